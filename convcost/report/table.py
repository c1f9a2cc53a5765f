"""The terminal table: plain text that fits the terminal.

Each table is drawn in rich's HEAVY_HEAD box, line by line, in time linear in its rows.
A table wider than ``layout.width`` is fitted to it, in a stated order (docs/cli.md):

1. the ``name`` and ``source`` columns are cut to ``SOFT`` characters, with an ellipsis;
2. columns are dropped in the order of ``DROP`` (kernel, the MACs bar, FLOPs, input, ...);
3. the cut columns are cut further, down to ``HARD`` characters.

A bar (``BARS``: a share drawn in characters, for the terminal alone) shows only where it
fits once the kernel is dropped; where it does not, the table is fitted as if it had none.
A line under the table names the columns left out. Cells never wrap; text lines (titles,
totals, notes) wrap at spaces. With ``layout.ascii`` the borders are ASCII, for a terminal
whose encoding is not UTF-8, and a bar is drawn in ``#``.
"""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from fractions import Fraction
from typing import TYPE_CHECKING

from rich.cells import cell_len

from convcost.conventions import EXACT, Convention
from convcost.report import PLAIN, Layout, _text
from convcost.tables import Table

if TYPE_CHECKING:
    from convcost.analysis.separable import Comparison
    from convcost.network import Report

# Columns dropped, first to last, while a table is wider than the terminal: what another
# column or the row before already says goes first (the type says the kernel, FLOPs are
# 2 x MACs, a layer's input is the previous row's output). A bar draws the MACs beside it:
# it goes before anything but the kernel (issue 15, item 5).
DROP = (
    "description",  # convcost devices: the name says which; the YAML file says the rest
    "int8",  # convcost devices: fp32 and fp16 first, the ridge is fp32's
    "bf16",
    "kernel",
    "macs_bar",
    "flops",
    "input",
    "inputs",  # net --memory: traffic - weights - output
    "stride",
    "params_ratio",  # compare: the exact ratios go before their percentages (CSV has both)
    "params_share",
    "macs_ratio",
    "buffers",
    "macs_share",
    "layers",
    "type",
    "category",
    "weights",  # net --memory: their sum is the model size, in the totals
    "output",
    "tiles",  # --algo winograd: the multiplications say what the tiles cost, and the
    "transforms",  # FLOPs ratio counts the transforms in
    "sep_params",  # net --as: the units' MACs and saving are what it is asked for
    "std_params",
    "r_share",  # layer grids: R stays exact, its excess over 1/K^2 says how near it is
    "std_macs",
    "sep_macs",
    "gflops",  # --device: the bound and the time say the most
    "kind",
)
# Columns cut with an ellipsis, and how far: to SOFT before any column is dropped, to HARD
# after. A name keeps its end (``block17.project``'s last parts say the most), a source its
# start.
SOFT = {"name": 24, "source": 24}
HARD = {"name": 10, "source": 10}
KEEP_END = frozenset({"name"})
# Bars: where one is dropped, nothing is dropped or cut for its sake (the table is fitted
# again without it).
BARS = frozenset({"macs_bar"})
# Up to this many rows the writer formats each cell once and keeps the text for its two
# passes (about 60 MB at the limit); past it, it formats twice and keeps nothing, so a
# million-row report stays within its memory ceiling (docs/spec.md, Limits).
KEPT_ROWS = 200_000

# The box in ASCII, for a terminal that is not UTF-8. Only what convcost draws is changed (the
# borders, the ellipsis of a cut cell, the product dot of a symbolic count): user text, a
# network's name, prints as it is in the spec.
_BOX = str.maketrans("┏━┳┓┃┡╇┩│├─┼┤└┴┘", "+=++|+++|+-+++++")
_SYMBOLS = str.maketrans("·", "*")


def _fit(widths: list[int], keys: Sequence[str], width: int | None) -> tuple[list[int], list[int]]:
    """The columns kept (indices) and their widths, so that the table is at most ``width``;
    a bar that does not fit leaves the table as it would be without it."""
    kept, fitted = _fitted(widths, keys, width, set())
    bars = {i for i, key in enumerate(keys) if key in BARS and i not in kept}
    return _fitted(widths, keys, width, bars) if bars else (kept, fitted)


def _fitted(
    widths: list[int], keys: Sequence[str], width: int | None, left_out: set[int]
) -> tuple[list[int], list[int]]:
    """:func:`_fit` in the stated order, the ``left_out`` columns dropped from the start."""
    kept = [i for i in range(len(widths)) if i not in left_out]
    widths = list(widths)
    if width is None:
        return kept, widths

    def total() -> int:
        return sum(widths[i] for i in kept) + 3 * len(kept) + 1

    def cut(limits: dict[str, int]) -> None:
        for i in kept:
            limit = limits.get(keys[i]) if i < len(keys) else None
            if limit is not None and widths[i] > limit and total() > width:
                widths[i] = max(limit, widths[i] - (total() - width))

    cut(SOFT)
    for key in DROP:
        if total() <= width or len(kept) <= 2:
            break
        if key in keys and keys.index(key) in kept:
            kept.remove(keys.index(key))
    cut(HARD)
    return kept, widths


def _clip(text: str, width: int, keep_end: bool, ellipsis: str = "…") -> str:
    """``text`` in at most ``width`` cells, an ellipsis where it was cut."""
    if cell_len(text) <= width:
        return text
    if width <= 1:
        return ellipsis[:width]
    out = ""
    for ch in reversed(text) if keep_end else text:
        if cell_len(out + ch) > width - 1:
            break
        out = ch + out if keep_end else out + ch
    return ellipsis + out if keep_end else out + ellipsis


def draw(grid: _text.Grid, layout: Layout = PLAIN) -> Iterator[str]:
    """``grid`` as a boxed table, line by line: one pass over the rows for the column
    widths, one to write them; fitted to ``layout.width``."""
    header, numeric, rows, footer, keys = (
        grid.header,
        grid.numeric,
        grid.rows,
        grid.footer,
        grid.keys,
    )
    widths = [cell_len(name) for name in header]
    for row in itertools.chain(rows, [footer] if footer is not None else []):
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], cell_len(cell))
    kept, widths = _fit(widths, keys, layout.width)
    dropped = [header[i] for i in range(len(header)) if i not in kept]
    right = [header[i] in numeric for i in kept]
    ends = [i < len(keys) and keys[i] in KEEP_END for i in kept]
    shown = [widths[i] for i in kept]

    ellipsis = "~" if layout.ascii else "…"

    def line(cells: Sequence[str], edge: str, mid: str) -> str:
        if layout.ascii:
            edge, mid = edge.translate(_BOX), mid.translate(_BOX)
        padded = []
        for i, w, r, end in zip(kept, shown, right, ends, strict=True):
            c = cells[i]
            if r and layout.ascii:  # a number, never user text
                c = c.translate(_SYMBOLS)
            if cell_len(c) > w:
                c = _clip(c, w, end, ellipsis)
            gap = " " * (w - cell_len(c))
            padded.append(gap + c if r else c + gap)
        return (f"{edge} " + f" {mid} ".join(padded) + f" {edge}").rstrip() + "\n"

    def rule(left: str, fill: str, cross: str, end: str) -> str:
        text = left + cross.join(fill * (w + 2) for w in shown) + end + "\n"
        return text.translate(_BOX) if layout.ascii else text

    yield rule("┏", "━", "┳", "┓")
    yield line(header, "┃", "┃")
    yield rule("┡", "━", "╇", "┩")
    for row in rows:
        yield line(row, "│", "│")
    if footer is not None:
        yield rule("├", "─", "┼", "┤")
        yield line(footer, "│", "│")
    yield rule("└", "─", "┴", "┘")
    yield from (text(grid.notes[i], layout) for i in kept if i < len(grid.notes) and grid.notes[i])
    if dropped:
        yield text(f"(left out to fit {layout.width} columns: {', '.join(dropped)})", layout)


def _bar(layout: Layout) -> Callable[[Fraction], str]:
    """How the terminal draws a bar: block elements, or ``#`` where it is not UTF-8."""
    return _text.ascii_bar if layout.ascii else _text.bar


def text(line: str, layout: Layout = PLAIN, indent: str = "  ", symbols: bool = False) -> str:
    """A line of text, wrapped at spaces to ``layout.width`` (following lines indented);
    ``symbols``: it holds convcost's formulas, not user text (ASCII ``*`` for ``·``)."""
    if layout.ascii and symbols:
        line = line.translate(_SYMBOLS)
    if layout.width is None or cell_len(line) <= layout.width:
        return line + "\n"
    lead = line[: len(line) - len(line.lstrip(" "))]
    wrapped = textwrap.wrap(
        line,
        max(layout.width, 20),
        initial_indent="",
        subsequent_indent=lead + indent,
        break_on_hyphens=False,
        drop_whitespace=True,
    )
    return "\n".join([lead + wrapped[0].lstrip(" "), *wrapped[1:]]) + "\n"


def _totals(report: Report, layout: Layout) -> str:
    lines = _text.totals_grid(report, layout).rows
    return "totals: " + ", ".join(f"{name} {value}" for name, value in lines)


def network(
    report: Report, *, by_type: bool = False, terms: bool = False, layout: Layout = PLAIN
) -> str:
    """Per-layer table (totals in the footer), totals, breakdown by type, with ``terms`` the
    cost terms, and the notes: what the counts mean, what a view left out."""
    return "".join(network_chunks(report, by_type=by_type, terms=terms, layout=layout))


def network_chunks(
    report: Report, *, by_type: bool = False, terms: bool = False, layout: Layout = PLAIN
) -> Iterator[str]:
    """:func:`network` in pieces, the per-layer table line by line."""
    yield text(_text.title(report), layout)
    if not by_type:
        layers = _text.layers_grid(report, layout, _bar(layout))
        if len(report.rows) <= KEPT_ROWS:
            layers = replace(layers, rows=list(layers.rows))
        yield from draw(layers, layout)
    yield text(_totals(report, layout), layout)
    yield "By layer type\n"
    yield from draw(_text.by_type_grid(report, layout), layout)
    if terms:
        table = report.terms_table()
        yield text(table.title, layout)
        yield from draw(_text.grid(table, layout.units), layout)
    for note in _text.report_notes(report, layout._replace(view=None) if by_type else layout):
        yield text(note, layout)


def comparison(c: Comparison, layout: Layout = PLAIN) -> str:
    """The four kinds side by side, then R."""
    lines = [text(_text.comparison_title(c), layout, indent="")]
    lines += draw(_text.comparison_grid(c, layout), layout)
    lines.append("R = separable / standard\n")
    lines += (
        text(f"  {name:<20}{value}", layout, indent="    ", symbols=True)
        for name, value in _text.ratio_lines(c)
    )
    lines.append(text(_text.convention_note(c.convention), layout))
    return "".join(lines)


def zoo(reports: Sequence[Report], layout: Layout = PLAIN) -> str:
    """The shipped specs: input, params, buffers, MACs."""
    lines = list(draw(_text.zoo_grid(reports, layout), layout))
    lines.append(text(_text.CONVENTION_NOTE, layout))
    return "".join(lines)


def table(
    data: Table,
    notes: Sequence[str] = (),
    convention: Convention | None = EXACT,
    layout: Layout = PLAIN,
) -> str:
    """Any one table: its title, the table, the notes, and what the counts mean (left out
    with ``convention=None``, for a table that another one's note already covers)."""
    # A record's title heads its first column (_text.grid): not said twice.
    lines = [text(data.title, layout, indent="")] if data.title and not data.record else []
    lines += draw(_text.grid(data, layout.units, _bar(layout)), layout)
    said = [] if convention is None else [_text.convention_note(convention)]
    lines += (text(note, layout) for note in [*notes, *said])
    return "".join(lines)
