"""GitHub-flavoured Markdown: pipe tables, numbers right-aligned, with separators."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from convcost.report import _text

if TYPE_CHECKING:
    from convcost.analysis.separable import Comparison
    from convcost.network import Report


def _escape(cell: str) -> str:
    return cell.replace("|", "\\|")


def _table(
    header: Sequence[str],
    numeric: frozenset[str],
    rows: Sequence[Sequence[str]],
    footer: Sequence[str] | None = None,
) -> str:
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("--:" if name in numeric else "---" for name in header) + "|",
    ]
    lines += [
        "| " + " | ".join(_escape(cell) for cell in row) + " |"
        for row in [*rows, *([footer] if footer is not None else [])]
    ]
    return "\n".join(lines) + "\n"


def _totals(report: Report) -> str:
    return _table(("total", "value"), frozenset({"value"}), _text.totals_lines(report))


def network(report: Report, *, by_type: bool = False) -> str:
    """Heading, per-layer table with a total row, totals, breakdown by type, convention."""
    parts = [f"## {_escape(_text.title(report))}\n"]
    if report.source:
        parts.append(f"Source: {_escape(report.source)}\n")
    if not by_type:
        parts.append(
            _table(
                _text.NETWORK_HEADER,
                _text.NETWORK_NUMERIC,
                [_text.network_cells(report, row) for row in report.rows],
                _text.network_footer(report),
            )
        )
    parts.append(_totals(report))
    parts.append("### By layer type\n")
    parts.append(
        _table(
            _text.BY_TYPE_HEADER,
            _text.BY_TYPE_NUMERIC,
            _text.by_type_rows(report),
            _text.by_type_footer(report),
        )
    )
    parts.append(f"Convention: {_text.CONVENTION_NOTE}.\n")
    return "\n".join(parts)


def comparison(c: Comparison) -> str:
    """The four kinds side by side, then R."""
    return "\n".join(
        [
            f"## convcost layer: {_text.comparison_title(c)}\n",
            _table(
                _text.COMPARISON_HEADER,
                _text.COMPARISON_NUMERIC,
                [_text.comparison_cells(row) for row in c.rows],
            ),
            _table(("R = separable / standard", "value"), frozenset(), _text.ratio_lines(c)),
            f"Convention: {_text.CONVENTION_NOTE}.\n",
        ]
    )


def zoo(reports: Sequence[Report]) -> str:
    """The shipped specs as one table."""
    return "\n".join(
        [
            _table(_text.ZOO_HEADER, _text.ZOO_NUMERIC, [_text.zoo_cells(r) for r in reports]),
            f"Convention: {_text.CONVENTION_NOTE}.\n",
        ]
    )
