"""The terminal table: rich ``Table``s rendered to plain text (no colour, no ANSI codes)."""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from convcost.report import _text

if TYPE_CHECKING:
    from convcost.analysis.separable import Comparison
    from convcost.network import Report

WIDTH = 200  # wide enough that a table keeps its natural width instead of wrapping cells
# rich lays out about 2,000 rows a second; past this many rows the per-layer table is drawn by
# _plain_table, which writes the same text in linear time (tests/test_report.py compares them).
RICH_ROWS = 1_000
# Up to this many rows the plain writer formats each cell once and keeps the text for its two
# passes (about 60 MB at the limit); past it, it formats twice and keeps nothing, so a
# million-row report stays within its memory ceiling (docs/spec.md, Limits).
KEPT_ROWS = 200_000


def _table(grid: _text.Grid) -> Table:
    # Cells are Text, not str: a name like "[bold]x" or "[/]" is printed as written, never
    # parsed as rich markup, whatever the Console's settings (the grid's text is already
    # printable, _text.safe).
    table = Table(show_footer=grid.footer is not None)
    for i, name in enumerate(grid.header):
        table.add_column(
            Text(name),
            justify="right" if name in grid.numeric else "left",
            footer=Text(grid.footer[i] if grid.footer is not None else ""),
        )
    for row in grid.rows:
        table.add_row(*(Text(cell) for cell in row))
    return table


def _plain_table(grid: _text.Grid) -> Iterator[str]:
    """What rich prints for ``_table(grid)`` with its default HEAVY_HEAD box, line by line:
    one pass over the rows for the column widths, one to write them.

    Cells never wrap: a table wider than the console is as wide as its widest row.
    """
    header, numeric, rows, footer = grid.header, grid.numeric, grid.rows, grid.footer
    widths = [cell_len(name) for name in header]
    for row in itertools.chain(rows, [footer] if footer is not None else []):
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], cell_len(cell))
    right = [name in numeric for name in header]

    def line(cells: Sequence[str], edge: str, mid: str) -> str:
        padded = (
            " " * (w - cell_len(c)) + c if r else c + " " * (w - cell_len(c))
            for c, w, r in zip(cells, widths, right, strict=True)
        )
        return (f"{edge} " + f" {mid} ".join(padded) + f" {edge}").rstrip() + "\n"

    def rule(left: str, fill: str, cross: str, end: str) -> str:
        return left + cross.join(fill * (w + 2) for w in widths) + end + "\n"

    yield rule("┏", "━", "┳", "┓")
    yield line(header, "┃", "┃")
    yield rule("┡", "━", "╇", "┩")
    for row in rows:
        yield line(row, "│", "│")
    if footer is not None:
        yield rule("├", "─", "┼", "┤")
        yield line(footer, "│", "│")
    yield rule("└", "─", "┴", "┘")


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
    lines = _text.totals_grid(report).rows
    return "totals: " + ", ".join(f"{name} {value}" for name, value in lines)


def network(report: Report, *, by_type: bool = False, terms: bool = False) -> str:
    """Per-layer table (totals in the footer), totals, breakdown by type, with ``terms`` the
    cost terms, and the convention."""
    return "".join(network_chunks(report, by_type=by_type, terms=terms))


def network_chunks(report: Report, *, by_type: bool = False, terms: bool = False) -> Iterator[str]:
    """:func:`network` in pieces; a table of more than RICH_ROWS rows line by line."""
    breakdown = _table(_text.by_type_grid(report))
    tail: list[Table | str] = [_totals(report), "By layer type", breakdown]
    if terms:
        table = report.terms_table()
        tail += [table.title, _table(_text.grid(table))]
    tail += _text.report_notes(report)
    if by_type:
        yield _print(_text.title(report), *tail)
        return
    layers = _text.layers_grid(report)
    if len(report.rows) <= RICH_ROWS:
        yield _print(_text.title(report), _table(layers), *tail)
        return
    # Written outside rich: printing a 100,000-line string through a Console is as slow as
    # laying out the table.
    if len(report.rows) <= KEPT_ROWS:
        layers = replace(layers, rows=list(layers.rows))
    yield f"{_text.title(report)}\n"
    yield from _plain_table(layers)
    yield _print(*tail)


def comparison(c: Comparison) -> str:
    """The four kinds side by side, then R."""
    kinds = _table(_text.comparison_grid(c))
    ratio = "\n".join(f"  {name:<16}{value}" for name, value in _text.ratio_lines(c))
    return _print(
        _text.comparison_title(c),
        kinds,
        "R = separable / standard\n" + ratio,
        _text.convention_note(c.convention),
    )


def zoo(reports: Sequence[Report]) -> str:
    """The shipped specs: input, params, buffers, MACs."""
    return _print(
        _table(_text.zoo_grid(reports)),
        _text.CONVENTION_NOTE,
    )
