"""Several networks side by side: ``convcost compare``.

:func:`versus` takes reports (each one ``network.walk``, at its own variant) and gives a
:class:`Versus`: the totals of each with its params and MACs over the first's, the MACs by
layer type for each, and the blocks (rows at depth 1, folded: ``convcost.views``) whose MACs
differ most, matched by name. This module walks nothing itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from operator import attrgetter
from typing import Any

from convcost.errors import ConvcostError
from convcost.formulas import Count
from convcost.network import Report, alpha_text
from convcost.tables import Audience, Column, Kind, Table
from convcost.views import View, rows

MIN_SPECS = 2
MAX_SPECS = 16
TOP_DIFFERENCES = 10


def _ratio(part: Count, whole: Count) -> Fraction:
    if isinstance(part, int) and isinstance(whole, int) and whole:
        return Fraction(part, whole)
    return Fraction(0)


@dataclass(frozen=True, slots=True)
class Entry:
    """One network of a comparison: its report and its params and MACs over the first's."""

    label: str
    report: Report
    params_ratio: Fraction
    macs_ratio: Fraction

    @property
    def variant(self) -> str:
        return self.report.variant_text


@dataclass(frozen=True, slots=True)
class Difference:
    """A block (a depth-1 row) and its MACs in each network (0 where it has no such
    block); ``spread`` is the largest MACs less the smallest."""

    name: str
    macs: tuple[Count, ...]

    @property
    def spread(self) -> int:
        values = [m if isinstance(m, int) else 0 for m in self.macs]
        return max(values) - min(values)


@dataclass(frozen=True, slots=True)
class Versus:
    """What ``convcost compare`` prints, as tables every format draws."""

    entries: tuple[Entry, ...]

    @property
    def labels(self) -> list[str]:
        return [e.label for e in self.entries]

    def totals_table(self) -> Table:
        """One row per network: params, buffers, MACs, FLOPs, and params and MACs over the
        first network's, as exact ratios and as percentages."""
        return Table(
            "totals",
            "Totals",
            [
                Column("network", "network", Kind.TEXT, attrgetter("label")),
                Column("variant", "", Kind.TEXT, attrgetter("variant"), show=Audience.MACHINE),
                Column("params", "params", Kind.COUNT, lambda e: e.report.totals.params),
                Column(
                    "buffers",
                    "",
                    Kind.COUNT,
                    lambda e: e.report.totals.buffers,
                    show=Audience.MACHINE,
                ),
                Column("macs", "MACs", Kind.COUNT, lambda e: e.report.totals.macs),
                Column(
                    "flops", "", Kind.COUNT, lambda e: e.report.totals.flops, show=Audience.MACHINE
                ),
                Column("params_ratio", "params x", Kind.RATIO, attrgetter("params_ratio")),
                Column("macs_ratio", "MACs x", Kind.RATIO, attrgetter("macs_ratio")),
                # the same ratios as decimals (percentages), left out first where space is short
                Column("params_share", "params %", Kind.SHARE, attrgetter("params_ratio")),
                Column("macs_share", "MACs %", Kind.SHARE, attrgetter("macs_ratio")),
            ],
            self.entries,
            has_footer=False,
        )

    def by_type(self) -> list[tuple[str, list[Count]]]:
        """(layer type, MACs in each network), largest MACs in the first network first."""
        found: dict[str, list[Count]] = {}
        for i, entry in enumerate(self.entries):
            for share in entry.report.by_category():
                found.setdefault(share.category, [0] * len(self.entries))[i] = share.macs
        order = sorted(found.items(), key=lambda kv: [-_int(v) for v in kv[1]] + [0])
        return order

    def by_type_table(self) -> Table:
        """One row per layer type, a MACs column per network, the totals in the footer."""
        return Table(
            "by_type",
            "MACs by layer type",
            [
                Column("type", "type", Kind.TEXT, lambda kv: kv[0], "total"),
                *(
                    Column(
                        f"macs_{i + 1}",
                        label,
                        Kind.COUNT,
                        _at(i),
                        self.entries[i].report.totals.macs,
                    )
                    for i, label in enumerate(self.labels)
                ),
            ],
            self.by_type(),
        )

    def differences(self, top: int = TOP_DIFFERENCES) -> list[Difference]:
        """The ``top`` blocks whose MACs differ most across the networks, largest first."""
        per: list[dict[str, Count]] = []
        names: dict[str, None] = {}
        for entry in self.entries:
            blocks: dict[str, Count] = {}
            for row in rows(entry.report, View(fold=True, depth=1)):
                blocks[row.name] = blocks.get(row.name, 0) + row.macs
                names.setdefault(row.name, None)
            per.append(blocks)
        found = [Difference(n, tuple(b.get(n, 0) for b in per)) for n in names]
        order = sorted(range(len(found)), key=lambda i: (-found[i].spread, i))
        return [found[i] for i in order[:top]]

    def differences_table(self, top: int = TOP_DIFFERENCES) -> Table:
        """The blocks whose MACs differ most: their MACs in each network, and the spread."""
        return Table(
            "differences",
            f"Blocks that differ most in MACs (top {top})",
            [
                Column("block", "block", Kind.TEXT, attrgetter("name")),
                *(
                    Column(f"macs_{i + 1}", label, Kind.COUNT, _at_macs(i))
                    for i, label in enumerate(self.labels)
                ),
                Column("spread", "spread", Kind.COUNT, attrgetter("spread")),
            ],
            self.differences(top),
            has_footer=False,
        )


def _int(value: Count) -> int:
    return value if isinstance(value, int) else 0


def _at(i: int) -> Any:
    return lambda kv: kv[1][i]


def _at_macs(i: int) -> Any:
    return lambda d: d.macs[i]


def _label(report: Report) -> str:
    """``mobilenet_v1``, or ``mobilenet_v1@0.75x160`` for a variant (the SPEC syntax)."""
    label = report.network
    if report.alpha is not None or report.resolution is not None:
        label += "@" + alpha_text(report.alpha or Fraction(1))
        if report.resolution is not None:
            label += f"x{report.resolution[0]}"
    return label


def versus(reports: Sequence[Report]) -> Versus:
    """Compare ``reports`` (2 to ``MAX_SPECS``), each against the first."""
    if not MIN_SPECS <= len(reports) <= MAX_SPECS:
        raise ConvcostError(
            f"compare takes {MIN_SPECS} to {MAX_SPECS} networks, not {len(reports)}"
        )
    first = reports[0].totals
    entries = tuple(
        Entry(
            _label(r),
            r,
            _ratio(r.totals.params, first.params),
            _ratio(r.totals.macs, first.macs),
        )
        for r in reports
    )
    return Versus(entries)
