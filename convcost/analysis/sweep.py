"""A grid of a network's variants: every width multiplier alpha at every input resolution.

``convcost sweep`` shows, for each (alpha, resolution) of the grid, the totals ``network.walk``
gives for that variant (params, buffers, MACs under the chosen convention, FLOPs = 2 x MACs)
and the params and MACs as a share of a base variant: alpha 1 at the spec's own resolution
when the grid holds it, else the grid's first variant. MobileNet's Tables 6 and 7 are such
grids; the official MobileNet V1 and MobileNetV2 releases list 16 and 25 of these variants.

Every count comes from ``network.walk``, the variant's own or crossed: a grid of A alphas x R
resolutions takes A + R - 1 walks, crossed exactly (``_crossed``: channels follow alpha and
spatial sizes the resolution, and every cost term is a count per position times the
positions), or A x R walks, one per variant, where the crossing's checks fail.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import count, groupby
from math import prod
from operator import attrgetter, mul
from typing import NamedTuple

from convcost.conventions import EXACT, Convention
from convcost.errors import ConvcostError
from convcost.formulas import Count
from convcost.network import LayerCost, Report, Totals, alpha_text, walk
from convcost.spec import Spec
from convcost.tables import Audience, Column, Kind, Table

MAX_VARIANTS = 10_000  # alphas x resolutions in one sweep


@dataclass(frozen=True, slots=True)
class SweepRow:
    """One variant of the grid: its alpha, its resolution (H, W), its totals, and its
    params and MACs over the base variant's (exact; 0 where the base has none)."""

    alpha: Fraction
    resolution: tuple[int, int]
    totals: Totals
    params_share: Fraction
    macs_share: Fraction

    @property
    def params(self) -> Count:
        return self.totals.params

    @property
    def buffers(self) -> Count:
        return self.totals.buffers

    @property
    def macs(self) -> Count:
        return self.totals.macs

    @property
    def flops(self) -> Count:
        return self.totals.flops

    @property
    def label(self) -> str:
        """``0.75/160``: alpha / resolution, as a plot labels the variant (``/160x128`` when
        not square)."""
        h, w = self.resolution
        return f"{alpha_text(self.alpha)}/{h if h == w else f'{h}x{w}'}"


@dataclass(frozen=True, slots=True)
class Sweep:
    """What ``convcost sweep`` prints: one row per variant, alphas outer, resolutions inner,
    in the order given; ``base`` is the row every share is taken of, and ``own_base`` says
    whether it is alpha 1 at the spec's own resolution (else it is the first row). ``fast``
    says the rows were crossed from A + R - 1 walks (``sweep``'s fast path), not walked one
    by one; the rows are the same either way, so two sweeps compare equal without it."""

    network: str
    input: tuple[int, ...]
    rows: tuple[SweepRow, ...]
    base: SweepRow
    own_base: bool
    convention: Convention = EXACT
    fast: bool = field(default=False, compare=False)

    def row(self, alpha: Fraction | float | int, resolution: int | tuple[int, int]) -> SweepRow:
        """The variant at ``alpha`` and ``resolution`` (N or (H, W)); KeyError if absent."""
        want = Fraction(repr(alpha)) if isinstance(alpha, float) else Fraction(alpha)
        size = resolution if isinstance(resolution, tuple) else (resolution, resolution)
        for row in self.rows:
            if row.alpha == want and row.resolution == size:
                return row
        raise KeyError((alpha, resolution))

    def pareto(self) -> list[SweepRow]:
        """The variants with the most params for their MACs, fewest MACs first: those no
        other variant beats with fewer-or-equal MACs and more-or-equal params, strictly one.

        MACs are the cost (time, energy) and params stand for capacity: over a width x
        resolution grid the front is where to go for a MACs budget, the widest network the
        budget allows at a lower resolution (for MobileNetV2, the 96x96 variants). With params
        counted as a cost too, the front would be the one smallest variant. Variants equal on
        both are all kept. Sorting by MACs, most params first, makes it one pass: a variant is
        on the front when its params exceed those of every variant with fewer MACs, and are
        the most among those with as many.
        """
        order = sorted(self.rows, key=lambda r: (r.macs, -r.params))
        front: list[SweepRow] = []
        best: Count = None  # most params among variants with fewer MACs
        for _, same in groupby(order, key=attrgetter("macs")):
            group = list(same)
            most = group[0].params
            if best is None or most > best:
                front += (r for r in group if r.params == most)
                best = most
        return front

    @property
    def base_note(self) -> str:
        """Which variant the shares are of, in words."""
        which = "the spec's own width and resolution" if self.own_base else "the first variant"
        return (
            f"params % and MACs % are of alpha {alpha_text(self.base.alpha)} at "
            f"{self.base.resolution[0]}x{self.base.resolution[1]} ({which})"
        )

    def table(self) -> Table:
        """alpha, resolution, params, buffers, MACs, FLOPs, params % and MACs % of the base;
        buffers and FLOPs (= 2 x MACs) for machines only, so that the table fits 80 columns.
        The terminal adds a bar of each variant's MACs over the largest's (a full bar)."""
        largest = max(self.rows, key=attrgetter("macs"))
        h, w = largest.resolution
        bar_note = (
            f"MACs bar: MACs over those of alpha {alpha_text(largest.alpha)} at {h}x{w}, "
            "the largest (a full bar)"
        )
        return Table(
            "variants",
            f"{self.network}: {len(self.rows)} variant{'' if len(self.rows) == 1 else 's'}",
            [
                Column("alpha", "alpha", Kind.TEXT, lambda r: alpha_text(r.alpha)),
                Column("resolution", "resolution", Kind.PAIR, attrgetter("resolution")),
                Column("params", "params", Kind.COUNT, attrgetter("params")),
                Column("buffers", "", Kind.COUNT, attrgetter("buffers"), show=Audience.MACHINE),
                Column("macs", "MACs", Kind.COUNT, attrgetter("macs")),
                Column("flops", "", Kind.COUNT, attrgetter("flops"), show=Audience.MACHINE),
                Column("params_share", "params %", Kind.SHARE, attrgetter("params_share")),
                Column("macs_share", "MACs %", Kind.SHARE, attrgetter("macs_share")),
                Column(
                    "macs_bar",
                    "MACs bar",
                    Kind.BAR,
                    lambda r: _share(r.macs, largest.macs),
                    show=Audience.TERMINAL,
                    note=bar_note,
                ),
            ],
            self.rows,
            has_footer=False,
        )


def _own(shape: tuple[int, ...]) -> tuple[int, int]:
    """The spec's own resolution, as a variant holds it: (H, W), or (L, L) in 1-D."""
    return (shape[0], shape[0]) if len(shape) == 2 else (shape[-3], shape[-2])


def _share(part: Count, whole: Count) -> Fraction:
    return Fraction(part, whole) if whole else Fraction(0)


def sweep(
    spec: Spec,
    alphas: Iterable[Fraction | float | int],
    resolutions: Iterable[int | tuple[int, int]] | None = None,
    convention: Convention = EXACT,
    *,
    fast: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> Sweep:
    """Cost ``spec`` at every alpha x resolution (alphas outer), each variant as
    ``network.walk`` builds it (and checks it: a bad alpha or resolution is a
    ``ConvcostError`` naming it). ``resolutions`` None is the spec's own (H, W), or a 1-D
    spec's length N as (N, N).

    ``fast`` (the default) walks each resolution at the first alpha and each alpha at the
    first resolution, A + R - 1 walks instead of A x R, and crosses them (``_crossed``): the
    same Sweep, exactly; where one of the crossing's checks fails it walks every variant, as
    ``fast=False`` always does. ``Sweep.fast`` says which ran.

    ``progress``, if given, is told (walks done, walks to do) after each walk.

    At most ``MAX_VARIANTS`` variants, checked before any is walked.
    """
    if resolutions is None:
        resolutions = [_own(spec.input)]
    alphas, resolutions = list(alphas), list(resolutions)
    if not alphas or not resolutions:
        raise ConvcostError(
            "a sweep needs at least one alpha and one resolution",
            field="alpha" if not alphas else "resolution",
        )
    if len(alphas) * len(resolutions) > MAX_VARIANTS:
        raise ConvcostError(
            f"{len(alphas):,} alphas x {len(resolutions):,} resolutions is more than "
            f"{MAX_VARIANTS:,} variants",
            field="alpha",
        )
    crossed = None
    if fast and len(alphas) > 1 and len(resolutions) > 1:
        tick = _ticker(progress, len(alphas) + len(resolutions) - 1)
        crossed = _crossed(spec, alphas, resolutions, convention, tick)
    variants = crossed
    if variants is None:
        tick = _ticker(progress, len(alphas) * len(resolutions))
        reports = (_walk(spec, a, r, convention, tick) for a in alphas for r in resolutions)
        variants = [
            _Variant(r.alpha or Fraction(1), r.resolution or (0, 0), r.input[:-1], r.totals)
            for r in reports
        ]
    own = [i for i, v in enumerate(variants) if v.alpha == 1 and v.sizes == spec.input[:-1]]
    base = variants[own[0] if own else 0].totals
    rows = tuple(
        SweepRow(
            v.alpha,
            v.resolution,
            v.totals,
            _share(v.totals.params, base.params),
            _share(v.totals.macs, base.macs),
        )
        for v in variants
    )
    return Sweep(
        spec.name,
        tuple(spec.input),
        rows,
        rows[own[0] if own else 0],
        bool(own),
        convention,
        crossed is not None,
    )


def _walk(
    spec: Spec,
    alpha: Fraction | float | int,
    resolution: int | tuple[int, int],
    convention: Convention,
    tick: Callable[[], None],
) -> Report:
    """One variant; ``walk`` takes a float or an int as it reads (0.3 is 3/10) and checks
    each value. ``tick`` is called once it is walked."""
    report = walk(spec, alpha=alpha, resolution=resolution, convention=convention)  # type: ignore[arg-type]
    tick()
    return report


def _ticker(progress: Callable[[int, int], None] | None, total: int) -> Callable[[], None]:
    """A function that tells ``progress`` (done, ``total``) each time it is called."""
    if progress is None:
        return lambda: None
    done = count(1)
    return lambda: progress(next(done), total)


# --- the fast path: A + R - 1 walks crossed into A x R variants (issue 15, item 6) --------


class _Variant(NamedTuple):
    """One variant before the shares: its alpha, resolution, the input's spatial sizes (the
    base is the one at the spec's own) and its totals."""

    alpha: Fraction
    resolution: tuple[int, int]
    sizes: tuple[Count, ...]
    totals: Totals


def _crossed(
    spec: Spec,
    alphas: list[Fraction | float | int],
    resolutions: list[int | tuple[int, int]],
    convention: Convention,
    tick: Callable[[], None],
) -> list[_Variant] | None:
    """Every variant's totals from the walks at (a0, r) for each resolution r and at (a, r0)
    for each alpha a, a0 and r0 the first of each; None where a check below fails, or a walk
    does (the caller then walks every variant, so that the error is the one it would meet).

    Why it is exact. Alpha sets channel counts and the resolution sets spatial sizes, and
    neither reaches the other: a block reads its input's channels (``shape[-1]``) to size its
    layers, and its spatial sizes only to decide whether a classifier needs a flatten
    (``blocks._expand_fc``); a layer's output sizes follow from its input sizes, kernel,
    stride and padding, its output channels from its input channels and ``cout``; params and
    buffers from channels and kernels. Every cost term of ``layers.KIND_COST`` is a count per
    position, from channels and the layer alone (Cout * Cin/G * Kh * Kw for ``conv``, C for
    ``bn`` and ``act.*``), times the positions P (the product of the spatial sizes) of the
    row's output (``conv``, ``linear``, ``bias``, ``bn``, ``act.*``, ``pool.*.out``, merges,
    norms, ``layer_scale``, upsampling, ``conv_transpose.out``) or of its input
    (``pool.*.in``, ``conv_transpose``), or times nothing (``bn_params``, ``norm_params``,
    ``prelu_params``). So a term is c(a) * P(r), and term(a, r) = term(a, r0) / P(r0) * P(r).

    Checked on the walks rather than assumed: every walk has the same rows (names, layer
    kinds, term names); at every alpha each row's spatial sizes (inputs and output) are those
    at a0; at every resolution its layer, channels, params and buffers are those at r0 (a
    flatten before a Linear breaks this: its features grow with the resolution); each term is
    positive at (a0, r0) and follows one basis P over the resolutions at a0, exactly:
    term(a0, r) * P(r0) == term(a0, r0) * P(r), which with c(a0) > 0 makes P(r) / P(r0) the
    true basis's ratio; and P(r0) divides term(a, r0). The sum over rows then groups by term
    and basis: per alpha a vector of coefficients, per resolution one of positions, and a
    variant's term is their dot product. Its MACs are the convention's projection of the
    summed terms, which is linear (sum of weight x term), as ``Totals.of`` sums the rows'.
    """
    a0, r0 = alphas[0], resolutions[0]
    try:
        # the order of the row path's first walks: every resolution at a0, then each alpha
        at_a0 = [_walk(spec, a0, r, convention, tick) for r in resolutions]
        at_r0 = [at_a0[0], *(_walk(spec, a, r0, convention, tick) for a in alphas[1:])]
    except ConvcostError:
        return None
    base = at_a0[0].rows
    for report in at_a0[1:]:
        if len(report.rows) != len(base) or not all(map(_resized_only, report.rows, base)):
            return None
    for report in at_r0[1:]:
        if len(report.rows) != len(base) or not all(map(_widened_only, report.rows, base)):
            return None
    # term -> positions over the resolutions -> coefficient per alpha, summed over rows
    sums: dict[str, dict[tuple[Count, ...], list[Count]]] = {}
    for i, row in enumerate(base):
        across = [report.rows[i] for report in at_a0]
        for term, value in row.terms.items():
            positions = _basis(term, across)
            if positions is None or value <= 0:
                return None
            coefficients = sums.setdefault(term, {}).setdefault(positions, [0] * len(alphas))
            for k, report in enumerate(at_r0):
                coefficient, rest = divmod(report.rows[i].terms[term], positions[0])
                if rest:
                    return None
                coefficients[k] += coefficient
    # per term: for each alpha its coefficients, for each resolution its positions
    plans = [
        (term, list(zip(*by.values(), strict=True)), list(zip(*by, strict=True)))
        for term, by in sums.items()
    ]
    variants = []
    for k, widened in enumerate(at_r0):
        params, buffers = widened.totals.params, widened.totals.buffers
        alpha = widened.alpha or Fraction(1)
        for j, resized in enumerate(at_a0):
            terms = {
                term: sum(map(mul, per_alpha[k], per_size[j]))
                for term, per_alpha, per_size in plans
            }
            totals = Totals(params, buffers, convention.project(terms), terms)
            variants.append(
                _Variant(alpha, resized.resolution or (0, 0), resized.input[:-1], totals)
            )
    return variants


def _resized_only(row: LayerCost, base: LayerCost) -> bool:
    """``row`` at another resolution is ``base`` with other spatial sizes only."""
    return (
        row.name == base.name
        and row.layer == base.layer
        and tuple(row.terms) == tuple(base.terms)
        and [s[-1] for s in row.inputs] == [s[-1] for s in base.inputs]
        and row.output[-1] == base.output[-1]
        and row.params == base.params
        and row.buffers == base.buffers
    )


def _widened_only(row: LayerCost, base: LayerCost) -> bool:
    """``row`` at another alpha is ``base`` with other channels (and what they size) only."""
    return (
        row.name == base.name
        and row.layer.kind is base.layer.kind
        and type(row.layer) is type(base.layer)
        and tuple(row.terms) == tuple(base.terms)
        and [s[:-1] for s in row.inputs] == [s[:-1] for s in base.inputs]
        and row.output[:-1] == base.output[:-1]
    )


def _basis(term: str, rows: list[LayerCost]) -> tuple[Count, ...] | None:
    """The positions over the resolutions that ``term`` of one row (``rows``, at each
    resolution) is proportional to, exactly: none (all 1), its output's or its first input's;
    None if it follows none of them."""
    values = [row.terms[term] for row in rows]
    first = values[0]
    for positions in (
        (1,) * len(rows),
        tuple(prod(row.output[:-1]) for row in rows),
        tuple(prod(row.inputs[0][:-1]) for row in rows),
    ):
        if all(v * positions[0] == first * p for v, p in zip(values, positions, strict=True)):
            return positions
    return None
