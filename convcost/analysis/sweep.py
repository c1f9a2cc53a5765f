"""A grid of a network's variants: every width multiplier alpha at every input resolution.

``convcost sweep`` shows, for each (alpha, resolution) of the grid, the totals ``network.walk``
gives for that variant (params, buffers, MACs under the chosen convention, FLOPs = 2 x MACs)
and the params and MACs as a share of a base variant: alpha 1 at the spec's own resolution
when the grid holds it, else the grid's first variant. MobileNet's Tables 6 and 7 are such
grids; the official MobileNet V1 and MobileNetV2 releases list 16 and 25 of these variants.

Each variant is one ``walk``: this module walks nothing itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from operator import attrgetter

from convcost.conventions import EXACT, Convention
from convcost.errors import ConvcostError
from convcost.formulas import Count
from convcost.network import Totals, walk
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


@dataclass(frozen=True, slots=True)
class Sweep:
    """What ``convcost sweep`` prints: one row per variant, alphas outer, resolutions inner,
    in the order given; ``base`` is the row every share is taken of, and ``own_base`` says
    whether it is alpha 1 at the spec's own resolution (else it is the first row)."""

    network: str
    input: tuple[int, ...]
    rows: tuple[SweepRow, ...]
    base: SweepRow
    own_base: bool
    convention: Convention = EXACT

    def row(self, alpha: Fraction | float | int, resolution: int | tuple[int, int]) -> SweepRow:
        """The variant at ``alpha`` and ``resolution`` (N or (H, W)); KeyError if absent."""
        want = Fraction(repr(alpha)) if isinstance(alpha, float) else Fraction(alpha)
        size = resolution if isinstance(resolution, tuple) else (resolution, resolution)
        for row in self.rows:
            if row.alpha == want and row.resolution == size:
                return row
        raise KeyError((alpha, resolution))

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
        buffers and FLOPs (= 2 x MACs) for machines only, so that the table fits 80 columns."""
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
            ],
            self.rows,
            has_footer=False,
        )


def alpha_text(alpha: Fraction) -> str:
    """A width multiplier as it is written: ``0.75``, ``1``, ``1.4``; ``1/3`` where no
    decimal is exact."""
    den = alpha.denominator
    twos = fives = 0
    while den % 2 == 0:
        den //= 2
        twos += 1
    while den % 5 == 0:
        den //= 5
        fives += 1
    if den != 1:
        return str(alpha)
    places = max(twos, fives)
    if places == 0:
        return str(alpha.numerator)
    scaled = alpha.numerator * 10**places // alpha.denominator
    whole, part = divmod(scaled, 10**places)
    return f"{whole}.{part:0{places}d}"


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
) -> Sweep:
    """Walk ``spec`` at every alpha x resolution (alphas outer), each as ``network.walk``
    builds it (and checks it: a bad alpha or resolution is a ``ConvcostError`` naming it).
    ``resolutions`` None is the spec's own (H, W), or a 1-D spec's length N as (N, N).

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
    reports = [
        # walk takes a float or an int as it reads (0.3 is 3/10) and checks each value
        walk(spec, alpha=a, resolution=r, convention=convention)  # type: ignore[arg-type]
        for a in alphas
        for r in resolutions
    ]
    own = [i for i, r in enumerate(reports) if r.alpha == 1 and r.input[:-1] == spec.input[:-1]]
    base = reports[own[0] if own else 0]
    rows = tuple(
        SweepRow(
            r.alpha or Fraction(1),
            r.resolution or (0, 0),
            r.totals,
            _share(r.totals.params, base.totals.params),
            _share(r.totals.macs, base.totals.macs),
        )
        for r in reports
    )
    return Sweep(
        spec.name,
        tuple(spec.input),
        rows,
        rows[own[0] if own else 0],
        bool(own),
        convention,
    )
