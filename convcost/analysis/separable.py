"""Standard vs depthwise-separable: one convolution built four ways, side by side.

``convcost layer`` shows, for the same input, output channels, kernel, stride, padding and
dilation:

- ``standard``: the grouped convolution the flags describe (``--groups``, default 1);
- ``depthwise``: the separable layer's first stage, a Kh x Kw convolution with G = Cin that
  carries the stride;
- ``pointwise``: its second stage, a 1x1 convolution Cin -> Cout on the depthwise output;
- ``separable``: the two stages together (MobileNet section 3.1), so separable = depthwise +
  pointwise row by row.

Every count comes from ``layers.cost`` (which validates) and so from ``formulas.py``. A height
or width that is not given is the sympy symbol H or W; with both given, this module never
imports sympy and every count is a Python int.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from fractions import Fraction
from operator import attrgetter
from typing import Any, SupportsIndex

from convcost import formulas
from convcost.conventions import EXACT, Convention
from convcost.errors import ConvcostError
from convcost.formulas import Count
from convcost.layers import Conv2d, Padding, Pair, Shape, cost
from convcost.limits import MAX_SIZE
from convcost.tables import Audience, Column, Kind, Table

KINDS = ("standard", "depthwise", "pointwise", "separable")

# An exact ratio: a Fraction, or a sympy expression when it depends on a symbolic channel count.
Ratio = Fraction | Any


@dataclass(frozen=True, slots=True)
class KindCost:
    """One row of the comparison: one way of building the layer and what it costs."""

    name: str
    type: str
    input: Shape
    output: Shape
    kernel: Pair
    stride: Pair
    groups: int | None
    params: Count
    macs: Count

    @property
    def flops(self) -> Count:
        """FLOPs = 2 * MACs."""
        return formulas.flops(self.macs)


@dataclass(frozen=True, slots=True)
class Comparison:
    """What ``convcost layer`` prints: the four rows and R = separable / standard.

    ``macs_ratio`` and ``params_ratio`` are exact; ``approximation`` is 1/(Kh*Kw) + 1/Cout,
    which equals ``macs_ratio`` whenever the standard layer is ungrouped.
    """

    input: Shape
    cout: Count
    kernel: Pair
    stride: Pair
    padding: Padding
    dilation: Pair
    groups: int
    bias: bool
    rows: tuple[KindCost, ...]
    macs_ratio: Ratio
    params_ratio: Ratio
    approximation: Ratio
    convention: Convention = EXACT

    @property
    def symbolic(self) -> bool:
        """True when H, W or Cin was not given and stays a symbol."""
        return not all(isinstance(v, int) for v in self.input)

    def versus_standard(self, row: KindCost) -> tuple[Ratio, Ratio]:
        """(params, MACs) of ``row`` over the standard layer's, exact."""
        standard = self.row("standard")
        return exact_ratio(row.params, standard.params), exact_ratio(row.macs, standard.macs)

    def kinds_table(self) -> Table:
        """The four kinds as a table (convcost/tables.py); CSV also gets each row's params and
        MACs over the standard layer's."""
        return Table(
            "layers",
            "",
            [
                Column("name", "name", Kind.TEXT, attrgetter("name")),
                Column("type", "type", Kind.TEXT, attrgetter("type")),
                Column("input", "input", Kind.SHAPE, attrgetter("input")),
                Column("output", "output", Kind.SHAPE, attrgetter("output")),
                Column("kernel", "", Kind.PAIR, attrgetter("kernel"), show=Audience.MACHINE),
                Column("stride", "", Kind.PAIR, attrgetter("stride"), show=Audience.MACHINE),
                Column("groups", "", Kind.NUMBER, attrgetter("groups"), show=Audience.MACHINE),
                Column("params", "params", Kind.COUNT, attrgetter("params")),
                Column("macs", "MACs", Kind.COUNT, attrgetter("macs")),
                Column("flops", "FLOPs", Kind.COUNT, attrgetter("flops")),
                Column(
                    "params_vs_standard",
                    "",
                    Kind.RATIO,
                    lambda row: self.versus_standard(row)[0],
                    show=Audience.CSV,
                ),
                Column(
                    "macs_vs_standard",
                    "",
                    Kind.RATIO,
                    lambda row: self.versus_standard(row)[1],
                    show=Audience.CSV,
                ),
            ],
            self.rows,
            has_footer=False,
        )

    def row(self, name: str) -> KindCost:
        """The row called ``name`` (one of :data:`KINDS`)."""
        for row in self.rows:
            if row.name == name:
                return row
        raise KeyError(name)


def compare(
    *,
    k: int | Pair,
    cin: int | None = None,
    cout: int | None = None,
    h: int | None = None,
    w: int | None = None,
    stride: int | Pair = (1, 1),
    padding: int | Padding = "same",
    dilation: int | Pair = (1, 1),
    groups: int = 1,
    bias: bool = False,
    convention: Convention = EXACT,
) -> Comparison:
    """Cost the four kinds on an input of H x W x Cin; H, W, Cin or Cout left out stays a
    symbol. MACs follow ``convention`` (a peer's count adds the bias adds, say).

    ``k``, ``stride``, ``padding`` and ``dilation`` are one int for both axes or an (h, w)
    pair, as the command line's ``--k 3`` and ``--k 1x7``; ``padding`` may also be ``"same"``
    or ``"valid"``. Raises ``ConvcostError`` with ``field`` set to the argument ("k",
    "groups") when an argument is not what it should be or the layer cannot exist.
    """
    k = checked_pair(k, "k")
    stride = checked_pair(stride, "stride")
    dilation = checked_pair(dilation, "dilation")
    if not (isinstance(padding, str) and padding in ("same", "valid")):
        padding = checked_pair(padding, "padding", minimum=0)
    cin, cout = checked_count(cin, "cin", optional=True), checked_count(cout, "cout", optional=True)
    h, w = checked_count(h, "h", optional=True), checked_count(w, "w", optional=True)
    groups = checked_count(groups, "groups")
    if not isinstance(bias, bool):
        raise ConvcostError(f"expected True or False, got {_shown(bias)}", field="bias")
    if not isinstance(convention, Convention):
        raise ConvcostError(
            "expected a Convention (convcost.conventions.EXACT, or "
            f"conventions.convention('thop')), got {_shown(convention)}",
            field="convention",
        )
    height: Count = h
    width: Count = w
    channels_in: Count = cin
    channels_out: Count = cout
    if None in (h, w, cin, cout):
        symbols = formulas.symbols()  # imports sympy: only the symbolic path gets here
        height = symbols["h"] if h is None else h
        width = symbols["w"] if w is None else w
        channels_in = symbols["cin"] if cin is None else cin
        channels_out = symbols["cout"] if cout is None else cout
        if groups != 1 and (cin is None or cout is None):
            raise ConvcostError(
                "grouping needs --cin and --cout, to check that it divides them",
                field="groups",
            )
    shape: Shape = (height, width, channels_in)
    cin, cout = channels_in, channels_out
    kh, kw = k
    standard_layer = Conv2d(cout, k, stride, padding, dilation, groups, bias)
    depthwise_layer = Conv2d(cin, k, stride, padding, dilation, cin, bias)
    pointwise_layer = Conv2d(cout, (1, 1), (1, 1), (0, 0), (1, 1), 1, bias)
    standard = cost(standard_layer, shape)
    depthwise = cost(depthwise_layer, shape)
    pointwise = cost(pointwise_layer, depthwise.output)
    standard_macs, depthwise_macs, pointwise_macs = (
        convention.project(c.terms) for c in (standard, depthwise, pointwise)
    )
    rows = (
        KindCost(
            "standard",
            standard_layer.category(cin),
            shape,
            standard.output,
            k,
            stride,
            groups,
            standard.params,
            standard_macs,
        ),
        KindCost(
            "depthwise",
            depthwise_layer.category(cin),
            shape,
            depthwise.output,
            k,
            stride,
            cin,
            depthwise.params,
            depthwise_macs,
        ),
        KindCost(
            "pointwise",
            pointwise_layer.category(cin),
            depthwise.output,
            pointwise.output,
            (1, 1),
            (1, 1),
            1,
            pointwise.params,
            pointwise_macs,
        ),
        KindCost(
            "separable",
            f"{depthwise_layer.category(cin)} + {pointwise_layer.category(cin)}",
            shape,
            pointwise.output,
            k,
            stride,
            None,
            _factored(depthwise.params + pointwise.params),
            _factored(depthwise_macs + pointwise_macs),
        ),
    )
    return Comparison(
        input=shape,
        cout=cout,
        kernel=k,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        bias=bias,
        rows=rows,
        macs_ratio=exact_ratio(rows[3].macs, standard_macs),
        params_ratio=exact_ratio(rows[3].params, standard.params),
        approximation=exact_ratio(kh * kw + cout, kh * kw * cout),
        convention=convention,
    )


# --- the arguments, checked as the command line checks its flags (issue 13) ---------------


def checked_count(
    value: object, name: str, *, minimum: int = 1, optional: bool = False, wanted: str = ""
) -> Any:
    """``value`` as an int from ``minimum`` to MAX_SIZE (None kept where ``optional``);
    ``wanted`` says what the argument takes, for the message."""
    if value is None and optional:
        return None
    bound = "a positive integer" if minimum == 1 else f"an integer of at least {minimum}"
    if isinstance(value, bool) or not isinstance(value, SupportsIndex):
        wanted = wanted or bound + (" or None" if optional else "")
        raise ConvcostError(f"expected {wanted}, got {_shown(value)}", field=name)
    number = operator.index(value)  # numpy's integers too
    if number < minimum:
        raise ConvcostError(f"expected {bound}, got {_shown(number)}", field=name)
    if number > MAX_SIZE:
        raise ConvcostError(f"{_shown(number)} is larger than {MAX_SIZE:,}", field=name)
    return number


def checked_pair(value: object, name: str, *, minimum: int = 1) -> Pair:
    """One int for both axes, or an (h, w) pair of them (a tuple or a list)."""
    bound = "a positive integer" if minimum == 1 else f"an integer of at least {minimum}"
    wanted = f"{bound} or an (h, w) pair of them"
    if name == "padding":
        wanted = f"'same', 'valid', {bound} or an (h, w) pair of them"
    if isinstance(value, tuple | list):
        if len(value) != 2:
            count = f"{len(value)} value{'' if len(value) == 1 else 's'}"
            raise ConvcostError(f"expected {wanted}, got {count}", field=name)
        return (
            checked_count(value[0], name, minimum=minimum),
            checked_count(value[1], name, minimum=minimum),
        )
    single = checked_count(value, name, minimum=minimum, wanted=wanted)
    return (single, single)


def _shown(value: object) -> str:
    """``value`` in a message: its repr, clipped, and its type where the repr hides it."""
    if isinstance(value, int) and value.bit_length() > 64:  # repr fails past 4,300 digits
        sign = "-" if value < 0 else ""
        return f"an integer of about {sign}10^{value.bit_length() * 30103 // 100000}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    text = repr(value)
    text = text if len(text) <= 40 else text[:37] + "..."
    if value is None or isinstance(value, bool | int):
        return text
    return f"{text} (a {type(value).__name__})"


def _factored(count: Count) -> Count:
    """A symbolic sum as the paper writes it, C_in·(C_out + 9)·H·W; an int as itself."""
    if isinstance(count, int):
        return count
    import sympy

    return sympy.factor(count)


def exact_ratio(part: Count, whole: Count) -> Ratio:
    """part / whole as a Fraction; with symbols, cancelled by sympy, a Fraction again when
    nothing is left (R needs no H and W), else the expression (R depends on C_out)."""
    if isinstance(part, int) and isinstance(whole, int):
        return formulas.ratio(part, whole)
    import sympy

    value = sympy.cancel(sympy.sympify(part) / whole)
    if value.is_Rational:
        return Fraction(int(value.p), int(value.q))
    return value
