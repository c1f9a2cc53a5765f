"""GitHub-flavoured Markdown: pipe tables, numbers right-aligned, with separators."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from convcost.conventions import EXACT, Convention
from convcost.report import PLAIN, Layout, _text
from convcost.tables import Table

if TYPE_CHECKING:
    from convcost.analysis.separable import Comparison
    from convcost.network import Report


# ASCII punctuation that Markdown or GitHub acts on inline: \\ escapes, | splits a table cell,
# ` * ~ [ ] start code, emphasis, strikethrough, links and images, < > start HTML (a source's
# "<script>" stays text), # closes a heading, $ starts GitHub's maths. `&` only where it would
# begin an entity (&lt; &#60;), so "Tan & Le" reads as written; `_` unless it sits between two
# letters or digits, where CommonMark never reads it as emphasis ("mobilenet_v1" stays). Each
# is a CommonMark backslash escape.
_SPECIAL = re.compile(r"[\\|`*~\[\]<>#$]|&(?=#?\w+;)|(?<![^\W_])_|_(?![^\W_])")
# What would start a block (a list, quote, heading, rule, setext underline) if the text began
# a line; ours never does, it always follows "| ", "## " or "Source: ", but a leading one is
# escaped too so a cell reads the same anywhere.
_LEADING = re.compile(r"^(?=[-+=>#])")


def _escape(text: str) -> str:
    """Text as literal Markdown on one line: unprintable characters as escapes (``_text.safe``,
    a no-op on the grids' text), then nothing in it is markup."""
    escaped = _SPECIAL.sub(lambda m: "\\" + m.group(), _text.safe(text))
    return _LEADING.sub("\\\\", escaped)


def _convention(note: str) -> str:
    """The convention line: "Convention: MACs = ..." for convcost's own count, "Convention
    thop: MACs = ..." for a preset (whose note already names it)."""
    if note.startswith("convention "):
        return _escape("C" + note[1:])
    return f"Convention: {_escape(note)}"


def _table_lines(grid: _text.Grid) -> Iterator[str]:
    """The table one line at a time (each ending in a newline)."""
    header, numeric, rows, footer = grid.header, grid.numeric, grid.rows, grid.footer
    yield "| " + " | ".join(header) + " |\n"
    yield "|" + "|".join("--:" if name in numeric else "---" for name in header) + "|\n"
    for row in itertools.chain(rows, [footer] if footer is not None else []):
        yield "| " + " | ".join(_escape(cell) for cell in row) + " |\n"


def _table(grid: _text.Grid) -> str:
    return "".join(_table_lines(grid))


def network(
    report: Report, *, by_type: bool = False, terms: bool = False, layout: Layout = PLAIN
) -> str:
    """Heading, per-layer table with a total row, totals, breakdown by type, with ``terms``
    the cost terms, and the notes (the convention, what a view left out)."""
    return "".join(network_chunks(report, by_type=by_type, terms=terms, layout=layout))


def network_chunks(
    report: Report, *, by_type: bool = False, terms: bool = False, layout: Layout = PLAIN
) -> Iterator[str]:
    """:func:`network` in pieces, the per-layer table line by line, for writing as made."""
    yield f"## {_escape(_text.title(report))}\n\n"
    if report.source:
        yield f"Source: {_escape(_text.safe_source(report.source))}\n\n"
    if not by_type:
        yield from _table_lines(_text.layers_grid(report, layout))
        yield "\n"
    yield from (
        _table(_text.totals_grid(report, layout)),
        "\n### By layer type\n\n",
        _table(_text.by_type_grid(report, layout)),
    )
    if terms:
        table = report.terms_table()
        yield f"\n### {_escape(table.title)}\n\n"
        yield _table(_text.grid(table, layout.units))
    notes = _text.report_notes(report, PLAIN if by_type else layout)
    yield from (
        f"\n{_convention(notes[0])}.\n",
        *(f"\nNote: {_escape(note)}.\n" for note in notes[1:]),
    )


def comparison(c: Comparison, layout: Layout = PLAIN) -> str:
    """The four kinds side by side, then R."""
    return "\n".join(
        [
            f"## convcost layer: {_escape(_text.comparison_title(c))}\n",
            _table(_text.comparison_grid(c, layout)),
            _table(_text.ratio_grid(c)),
            f"{_convention(_text.convention_note(c.convention))}.\n",
        ]
    )


def zoo(reports: Sequence[Report], layout: Layout = PLAIN) -> str:
    """The shipped specs as one table."""
    return "\n".join(
        [
            _table(_text.zoo_grid(reports, layout)),
            f"Convention: {_text.CONVENTION_NOTE}.\n",
        ]
    )


def table(
    data: Table,
    notes: Sequence[str] = (),
    convention: Convention | None = EXACT,
    layout: Layout = PLAIN,
) -> str:
    """Any one table under its title as a heading, then its notes and the convention (none
    with ``convention=None``)."""
    parts = [f"## {_escape(data.title)}\n"] if data.title else []
    parts.append(_table(_text.grid(data, layout.units)))
    parts += (f"Note: {_escape(note)}.\n" for note in notes)
    if convention is not None:
        parts.append(f"{_convention(_text.convention_note(convention))}.\n")
    return "\n".join(parts)
