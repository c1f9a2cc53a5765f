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


def _table(grid: _text.Grid) -> str:
    header, numeric, rows, footer = grid.header, grid.numeric, grid.rows, grid.footer
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("--:" if name in numeric else "---" for name in header) + "|",
    ]
    lines += [
        "| " + " | ".join(_escape(cell) for cell in row) + " |"
        for row in [*rows, *([footer] if footer is not None else [])]
    ]
    return "\n".join(lines) + "\n"


def network(report: Report, *, by_type: bool = False) -> str:
    """Heading, per-layer table with a total row, totals, breakdown by type, convention."""
    parts = [f"## {_escape(_text.title(report))}\n"]
    if report.source:
        parts.append(f"Source: {_escape(report.source)}\n")
    if not by_type:
        parts.append(_table(_text.layers_grid(report)))
    parts += [
        _table(_text.totals_grid(report)),
        "### By layer type\n",
        _table(_text.by_type_grid(report)),
    ]
    parts.append(f"Convention: {_text.CONVENTION_NOTE}.\n")
    return "\n".join(parts)


def comparison(c: Comparison) -> str:
    """The four kinds side by side, then R."""
    return "\n".join(
        [
            f"## convcost layer: {_text.comparison_title(c)}\n",
            _table(_text.comparison_grid(c)),
            _table(_text.ratio_grid(c)),
            f"Convention: {_text.CONVENTION_NOTE}.\n",
        ]
    )


def zoo(reports: Sequence[Report]) -> str:
    """The shipped specs as one table."""
    return "\n".join(
        [
            _table(_text.zoo_grid(reports)),
            f"Convention: {_text.CONVENTION_NOTE}.\n",
        ]
    )
