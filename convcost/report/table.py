"""The terminal table: rich ``Table``s rendered to plain text (no colour, no ANSI codes)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from convcost.report import _text

if TYPE_CHECKING:
    from convcost.analysis.separable import Comparison
    from convcost.network import Report

WIDTH = 200  # wide enough that a table keeps its natural width instead of wrapping cells


def _table(
    header: Sequence[str],
    numeric: frozenset[str],
    rows: Sequence[Sequence[str]],
    footer: Sequence[str] | None = None,
) -> Table:
    table = Table(show_footer=footer is not None)
    for i, name in enumerate(header):
        table.add_column(
            name,
            justify="right" if name in numeric else "left",
            footer=footer[i] if footer is not None else "",
        )
    for row in rows:
        table.add_row(*row)
    return table


def _print(*items: Table | str) -> str:
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=WIDTH,
        color_system=None,
        force_terminal=False,
        highlight=False,
        emoji=False,
        markup=False,
    )
    for item in items:
        console.print(item)
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"


def _totals(report: Report) -> str:
    return "totals: " + ", ".join(f"{name} {value}" for name, value in _text.totals_lines(report))


def network(report: Report, *, by_type: bool = False) -> str:
    """Per-layer table (totals in the footer), totals, breakdown by type, convention."""
    breakdown = _table(
        _text.BY_TYPE_HEADER,
        _text.BY_TYPE_NUMERIC,
        _text.by_type_rows(report),
        _text.by_type_footer(report),
    )
    items: list[Table | str] = [_text.title(report)]
    if not by_type:
        items.append(
            _table(
                _text.NETWORK_HEADER,
                _text.NETWORK_NUMERIC,
                [_text.network_cells(report, row) for row in report.rows],
                _text.network_footer(report),
            )
        )
    items += [_totals(report), "By layer type", breakdown, _text.CONVENTION_NOTE]
    return _print(*items)


def comparison(c: Comparison) -> str:
    """The four kinds side by side, then R."""
    kinds = _table(
        _text.COMPARISON_HEADER,
        _text.COMPARISON_NUMERIC,
        [_text.comparison_cells(row) for row in c.rows],
    )
    ratio = "\n".join(f"  {name:<16}{value}" for name, value in _text.ratio_lines(c))
    return _print(
        _text.comparison_title(c),
        kinds,
        "R = separable / standard\n" + ratio,
        _text.CONVENTION_NOTE,
    )


def zoo(reports: Sequence[Report]) -> str:
    """The shipped specs: input, params, buffers, MACs."""
    return _print(
        _table(_text.ZOO_HEADER, _text.ZOO_NUMERIC, [_text.zoo_cells(r) for r in reports]),
        _text.CONVENTION_NOTE,
    )
