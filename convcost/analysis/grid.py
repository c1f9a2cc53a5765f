"""Layer sweeps: the standard-vs-separable comparison of ``convcost layer`` over a grid.

Every dimension takes a list (``--k 3,5,7 --cout 16..1024*2 --h 56``); the grid is their
product, in the order k, stride, dilation, groups, cin, cout, h, w (the last varying fastest).
Each configuration gives the standard layer's and the separable layer's params and MACs and
R = separable / standard MACs, exactly, and says whether R is within 10% of 1/(Kh*Kw): for an
ungrouped layer R = 1/(Kh*Kw) + 1/Cout (MobileNet section 3.1), so R*Kh*Kw - 1 = Kh*Kw/Cout,
which is at most 1/10 exactly when Cout >= 10*Kh*Kw (90 for 3x3). Below that the pointwise
term dominates: 3 to 4 channels with a 3x3 kernel give R = 13/36, 3.25 times 1/9.

The numeric path never builds a :class:`~convcost.analysis.separable.Comparison`: per
(kernel, groups, cin, cout) it takes the MACs of one output position from ``formulas.py``
(every term of a convolution is per-position work x Hout*Wout, ``layers._conv2d_cost``) and
multiplies by each Hout*Wout; R does not depend on the positions at all. tests/test_grid.py
checks it against ``compare`` on every configuration of small grids and a sample of large
ones. Left out, Cin, Cout, H or W is a symbol, and each configuration is a ``compare``
(sympy): at most ``MAX_SYMBOLIC`` of them.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from operator import attrgetter
from typing import Any, NamedTuple

from convcost import formulas
from convcost.analysis.separable import (
    Ratio,
    checked_count,
    checked_pair,
    compare,
)
from convcost.conventions import EXACT, Convention
from convcost.errors import ConvcostError
from convcost.formulas import Count
from convcost.layers import Padding, Pair, Shape, window_output
from convcost.tables import Audience, Column, Kind, Table

MAX_CONFIGURATIONS = 1_000_000  # the product of the lists, checked before any is costed
MAX_SYMBOLIC = 1_000  # configurations with a symbol left in (each a sympy comparison)
WITHIN = Fraction(1, 10)  # "R within 10% of 1/K^2": |R*Kh*Kw - 1| <= 1/10

# The dimensions in the grid's order, the last varying fastest.
DIMENSIONS = ("k", "stride", "dilation", "groups", "cin", "cout", "h", "w")


class GridRow(NamedTuple):
    """One configuration: its dimensions, the output shape, the standard and the separable
    layer's params and MACs (under the grid's convention), and R = separable / standard MACs.
    """

    k: Pair
    stride: Pair
    dilation: Pair
    groups: int
    cin: Count
    cout: Count
    h: Count
    w: Count
    output: Shape
    standard_params: Count
    standard_macs: Count
    separable_params: Count
    separable_macs: Count
    macs_ratio: Ratio
    excess: Fraction | None  # R*Kh*Kw - 1: how far R is above 1/(Kh*Kw); None for symbolic R

    @property
    def approximation(self) -> Ratio:
        """1/(Kh*Kw) + 1/Cout, which R equals for an ungrouped layer without bias adds."""
        taps = self.k[0] * self.k[1]
        if isinstance(self.cout, int):
            return Fraction(taps + self.cout, taps * self.cout)
        return (taps + self.cout) / (taps * self.cout)

    @property
    def within(self) -> bool | None:
        """Whether R is within 10% of 1/(Kh*Kw); None for a symbolic R."""
        excess = self.excess
        return None if excess is None else abs(excess) <= WITHIN


class KernelSummary(NamedTuple):
    """Where R comes within 10% of 1/K^2, for one kernel and groups: how many configurations,
    how many within, the smallest Cout within (None: none is), and the largest R with its Cout.
    """

    k: Pair
    groups: int
    configurations: int
    within: int
    from_cout: int | None
    largest_ratio: Fraction
    largest_at: int


@dataclass(frozen=True, slots=True)
class LayerGrid:
    """What ``convcost layer`` prints for lists: one :class:`GridRow` per configuration
    (computed as they are read: a million rows are never all held), and a summary by kernel.
    ``values`` maps each of :data:`DIMENSIONS` to its values, in order."""

    values: dict[str, tuple[Any, ...]]
    padding: Padding
    bias: bool
    convention: Convention
    _heights: dict[tuple[Any, ...], Count]
    _widths: dict[tuple[Any, ...], Count]
    _symbolic_rows: tuple[GridRow, ...] | None

    @property
    def size(self) -> int:
        """The number of configurations: the product of the lists' lengths."""
        return _product(len(v) for v in self.values.values())

    @property
    def varying(self) -> tuple[str, ...]:
        """The dimensions given more than one value, in grid order."""
        return tuple(name for name in DIMENSIONS if len(self.values[name]) > 1)

    @property
    def symbolic(self) -> bool:
        return self._symbolic_rows is not None

    def rows(self) -> Iterator[GridRow]:
        """Every configuration in grid order, each computed as it is read."""
        if self._symbolic_rows is not None:
            return iter(self._symbolic_rows)
        return self._numeric_rows()

    def _numeric_rows(self) -> Iterator[GridRow]:
        v = self.values
        weights = (self.convention.project({"conv": 1}), self.convention.project({"bias": 1}))
        ratios: dict[tuple[Pair, int, int], tuple[Fraction, Fraction | None]] = {}
        spatial = list(itertools.product(v["h"], v["w"]))
        for k, stride, dilation, groups in itertools.product(
            v["k"], v["stride"], v["dilation"], v["groups"]
        ):
            positions = [
                (h, w, self._heights[h, k[0], stride[0], dilation[0]],
                 self._widths[w, k[1], stride[1], dilation[1]])
                for h, w in spatial
            ]  # fmt: skip
            for cin, cout in itertools.product(v["cin"], v["cout"]):
                per = _per_position(k, groups, cin, cout, self.bias, weights)
                standard_params, standard, separable_params, separable = per
                key = (k, separable, standard)
                found = ratios.get(key)
                if found is None:
                    found = ratios[key] = _ratio(k, Fraction(separable, standard))
                ratio, excess = found
                for h, w, hout, wout in positions:
                    p = hout * wout
                    yield GridRow(
                        k,
                        stride,
                        dilation,
                        groups,
                        cin,
                        cout,
                        h,
                        w,
                        (hout, wout, cout),
                        standard_params,
                        standard * p,
                        separable_params,
                        separable * p,
                        ratio,
                        excess,
                    )

    def summary(self) -> list[KernelSummary]:
        """One row per (kernel, groups): where R is within 10% of 1/K^2. R depends on neither
        the stride, the dilation nor H and W, so this reads one configuration per (kernel,
        groups, cin, cout) and counts it once for every position it stands for."""
        v = self.values
        repeats = _product(len(v[d]) for d in ("stride", "dilation", "h", "w"))
        sample = self.rows() if self.symbolic else self._one_per_position_set()
        found: dict[tuple[Pair, int], list[Any]] = {}
        for row in sample:
            if not isinstance(row.macs_ratio, Fraction) or not isinstance(row.cout, int):
                continue
            count = 1 if self.symbolic else repeats
            entry = found.setdefault((row.k, row.groups), [0, 0, None, row.macs_ratio, row.cout])
            entry[0] += count
            if row.within:
                entry[1] += count
                entry[2] = row.cout if entry[2] is None else min(entry[2], row.cout)
            if row.macs_ratio > entry[3]:
                entry[3], entry[4] = row.macs_ratio, row.cout
        return [KernelSummary(k, g, *entry) for (k, g), entry in found.items()]

    def _one_per_position_set(self) -> Iterator[GridRow]:
        """The grid restricted to its first stride, dilation, H and W."""
        first = {d: self.values[d][:1] for d in ("stride", "dilation", "h", "w")}
        return LayerGrid(
            {**self.values, **first},
            self.padding,
            self.bias,
            self.convention,
            self._heights,
            self._widths,
            None,
        )._numeric_rows()

    def table(self) -> Table:
        """The configurations: the dimensions that vary (and always k and cout), the
        output, the standard and separable MACs (``std``, ``sep``, as ``net --as`` writes
        them), R exactly and as a percentage, and R's excess over 1/K^2. CSV and JSON get every
        dimension and both layers' params as well."""
        shown = set(self.varying) | {"k", "cout"}

        def dimension(name: str, kind: Kind) -> Column:
            audience = Audience.ALL if name in shown else Audience.MACHINE
            return Column(
                name, name if name in shown else "", kind, attrgetter(name), show=audience
            )

        return Table(
            "configurations",
            f"{self.size:,} configuration{'' if self.size == 1 else 's'}",
            [
                dimension("k", Kind.PAIR),
                dimension("stride", Kind.PAIR),
                dimension("dilation", Kind.PAIR),
                dimension("groups", Kind.NUMBER),
                dimension("cin", Kind.NUMBER),
                dimension("cout", Kind.NUMBER),
                dimension("h", Kind.NUMBER),
                dimension("w", Kind.NUMBER),
                Column("output", "output", Kind.SHAPE, attrgetter("output")),
                Column(
                    "std_params",
                    "",
                    Kind.COUNT,
                    attrgetter("standard_params"),
                    show=Audience.MACHINE,
                ),
                Column(
                    "sep_params",
                    "",
                    Kind.COUNT,
                    attrgetter("separable_params"),
                    show=Audience.MACHINE,
                ),
                Column("std_macs", "std MACs", Kind.COUNT, attrgetter("standard_macs")),
                Column("sep_macs", "sep MACs", Kind.COUNT, attrgetter("separable_macs")),
                Column("r", "R", Kind.RATIO, attrgetter("macs_ratio")),
                Column("r_share", "R %", Kind.SHARE, _share(attrgetter("macs_ratio"))),
                Column("excess_share", "excess %", Kind.SHARE, _share(attrgetter("excess"))),
            ],
            self.rows,
            has_footer=False,
        )

    def summary_table(self) -> Table:
        """Where R is within 10% of 1/K^2, by kernel (and groups where they vary)."""
        groups = Audience.ALL if "groups" in self.varying else Audience.MACHINE
        return Table(
            "summary",
            "R within 10% of 1/K^2, by kernel",
            [
                Column("k", "k", Kind.PAIR, attrgetter("k")),
                Column(
                    "groups",
                    "groups" if groups is Audience.ALL else "",
                    Kind.NUMBER,
                    attrgetter("groups"),
                    show=groups,
                ),
                Column(
                    "configurations", "configurations", Kind.NUMBER, attrgetter("configurations")
                ),
                Column("within", "within", Kind.NUMBER, attrgetter("within")),
                Column("from_cout", "from cout", Kind.NUMBER, attrgetter("from_cout")),
                Column("largest_r", "largest R", Kind.RATIO, attrgetter("largest_ratio")),
                Column("at_cout", "at cout", Kind.NUMBER, attrgetter("largest_at")),
            ],
            self.summary(),
            has_footer=False,
        )

    @property
    def notes(self) -> list[str]:
        """What the columns mean, for people."""
        return [
            "R = separable / standard MACs; excess % = R*Kh*Kw - 1, how far R is above "
            "1/(Kh*Kw): within 10% when at most 10.00%. Ungrouped, R = 1/(Kh*Kw) + 1/Cout, "
            "within 10% exactly from Cout = 10*Kh*Kw (90 for 3x3)"
        ]


def _share(read: Callable[[GridRow], Any]) -> Callable[[GridRow], Any]:
    """A ratio read as a share (a percentage for people); blank while it holds a symbol."""

    def value(row: GridRow) -> Any:
        got = read(row)
        return got if isinstance(got, Fraction) else None

    return value


def _ratio(k: Pair, ratio: Ratio) -> tuple[Ratio, Fraction | None]:
    """R and its excess R*Kh*Kw - 1 (None while R holds a symbol)."""
    if not isinstance(ratio, Fraction):
        return ratio, None
    return ratio, ratio * k[0] * k[1] - 1


def _per_position(
    k: Pair, groups: int, cin: int, cout: int, bias: bool, weights: tuple[int, int]
) -> tuple[int, int, int, int]:
    """(standard params, standard MACs per output position, separable params, separable MACs
    per output position): the formulas at Hout = Wout = 1, the MACs projected with the
    convention's ``weights`` of the conv and bias terms of ``layers._conv2d_cost`` (a bias
    adds Cout, Cin and Cout per position to the standard, depthwise and pointwise layers)."""
    kh, kw = k
    conv, bias_add = weights
    standard = conv * formulas.conv_macs(1, 1, cin, cout, kh, kw, groups)
    depthwise = conv * formulas.depthwise_macs(1, 1, cin, kh, kw)
    pointwise = conv * formulas.pointwise_macs(1, 1, cin, cout)
    if bias:
        standard += bias_add * cout
        depthwise += bias_add * cin
        pointwise += bias_add * cout
    return (
        formulas.conv_params(cin, cout, kh, kw, groups, bias),
        standard,
        formulas.separable_params(cin, cout, kh, kw, bias),
        depthwise + pointwise,
    )


def _product(values: Iterable[int]) -> int:
    total = 1
    for value in values:
        total *= value
    return total


def _listed(value: object) -> list[Any]:
    """One value, or a list or tuple of them (a pair is one value of k, stride, dilation)."""
    if isinstance(value, list):
        return value
    if isinstance(value, tuple) and not all(isinstance(v, int) for v in value):
        return list(value)
    return [value]


def grid(
    *,
    k: Any,
    cin: Any = None,
    cout: Any = None,
    h: Any = None,
    w: Any = None,
    stride: Any = 1,
    padding: int | Padding = "same",
    dilation: Any = 1,
    groups: Any = 1,
    bias: bool = False,
    convention: Convention = EXACT,
) -> LayerGrid:
    """The grid of every combination of the values given: each argument is one value as
    ``compare`` takes it, or a list of them (``k=[3, 5, 7]``, ``k=[(1, 7), (7, 1)]``,
    ``cout=[16, 32, 64]``); ``padding`` and ``bias`` are one value for all. Cin, Cout, H or W
    left out stays a symbol.

    At most ``MAX_CONFIGURATIONS`` configurations (``MAX_SYMBOLIC`` with a symbol), checked
    before any is costed; every window is checked to fit its padded input, and every groups
    to divide Cin and Cout, before any row is computed, so that reading the rows never fails.
    A bad value raises ``ConvcostError`` with ``field`` set to its argument.
    """
    given = {
        "k": _listed(k),
        "stride": _listed(stride),
        "dilation": _listed(dilation),
        "groups": _listed(groups),
        "cin": _listed(cin),
        "cout": _listed(cout),
        "h": _listed(h),
        "w": _listed(w),
    }
    for name, listed in given.items():
        if not listed:
            raise ConvcostError("expected at least one value, got an empty list", field=name)
    size = _product(len(listed) for listed in given.values())
    if size > MAX_CONFIGURATIONS:
        raise ConvcostError(
            f"{' x '.join(f'{len(v):,}' for v in given.values() if len(v) > 1)} is "
            f"{size:,} configurations, more than {MAX_CONFIGURATIONS:,}",
            field=next(name for name, v in given.items() if len(v) > 1),
        )
    values: dict[str, tuple[Any, ...]] = {
        "k": tuple(checked_pair(value, "k") for value in given["k"]),
        "stride": tuple(checked_pair(value, "stride") for value in given["stride"]),
        "dilation": tuple(checked_pair(value, "dilation") for value in given["dilation"]),
        "groups": tuple(checked_count(value, "groups") for value in given["groups"]),
        **{
            name: tuple(checked_count(value, name, optional=True) for value in given[name])
            for name in ("cin", "cout", "h", "w")
        },
    }
    if not (isinstance(padding, str) and padding in ("same", "valid")):
        padding = checked_pair(padding, "padding", minimum=0)
    if any(None in values[name] for name in ("cin", "cout", "h", "w")):
        if size > MAX_SYMBOLIC:
            raise ConvcostError(
                f"{size:,} configurations with a symbol left in (give --cin, --cout, --h and "
                f"--w numbers) is more than {MAX_SYMBOLIC:,}",
                field=next(n for n in ("cin", "cout", "h", "w") if None in values[n]),
            )
        rows = tuple(_compared(values, padding, bias, convention))
        return LayerGrid(values, padding, bias, convention, {}, {}, rows)
    for groups_value in values["groups"]:
        for name in ("cin", "cout"):
            for channels in values[name]:
                if channels % groups_value:
                    raise ConvcostError(
                        f"{groups_value} does not divide {name}={channels}", field="groups"
                    )
    heights = _sizes(values, padding, 0)
    widths = _sizes(values, padding, 1)
    return LayerGrid(values, padding, bias, convention, heights, widths, None)


def _sizes(
    values: dict[str, tuple[Any, ...]], padding: Padding, axis: int
) -> dict[tuple[Any, ...], Count]:
    """The output length along ``axis`` of every (size, k, stride, dilation) in the grid,
    each window checked to fit (``layers.window_output``)."""
    sizes = values["h" if axis == 0 else "w"]
    found: dict[tuple[Any, ...], Count] = {}
    for size, k, stride, dilation in itertools.product(
        sizes, values["k"], values["stride"], values["dilation"]
    ):
        key = (size, k[axis], stride[axis], dilation[axis])
        if key not in found:
            found[key] = window_output(size, k[axis], stride[axis], padding, axis, dilation[axis])
    return found


def _compared(
    values: dict[str, tuple[Any, ...]], padding: Padding, bias: bool, convention: Convention
) -> Iterator[GridRow]:
    """Each configuration as ``compare`` costs it (the symbolic path)."""
    for k, stride, dilation, groups, cin, cout, h, w in itertools.product(
        *(values[name] for name in DIMENSIONS)
    ):
        c = compare(
            k=k,
            cin=cin,
            cout=cout,
            h=h,
            w=w,
            stride=stride,
            padding=padding,
            dilation=dilation,
            groups=groups,
            bias=bias,
            convention=convention,
        )
        standard, separable = c.row("standard"), c.row("separable")
        yield GridRow(
            k,
            stride,
            dilation,
            groups,
            c.input[-1],
            c.cout,
            c.input[0],
            c.input[1],
            separable.output,
            standard.params,
            standard.macs,
            separable.params,
            separable.macs,
            *_ratio(k, c.macs_ratio),
        )
