"""LaTeX ``tabular`` (booktabs rules) for papers; numbers with thousands separators."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from convcost.report import _text

if TYPE_CHECKING:
    from convcost.analysis.separable import Comparison
    from convcost.network import Report

# TeX's ten special characters, each as text. < > | are not special, but the default OT1
# font encoding prints them as ¡ ¿ — (the names of text-mode commands are safe in any).
# [ ] are braced as pandoc does: a row starting "[2J" after the previous row's \\ would be
# read as \\'s optional [height] argument and stop the document.
_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    "[": "{[}",
    "]": "{]}",
}


def escape(text: str) -> str:
    """Escape LaTeX's special characters; ``·`` (a symbolic product) becomes ``\\cdot``.

    Unprintable characters become visible escapes first (``_text.safe``; a no-op on text the
    grids made printable already), so no line break can end a ``%`` comment early, and
    ``^^J`` (TeX's notation for a newline) cannot form since ``^`` is escaped.
    """
    out = "".join(_SPECIAL.get(ch, ch) for ch in _text.safe(text))
    if out.startswith("*"):  # after a row's \\ it would be read as \\* and vanish
        out = "{}" + out
    return out.replace("·", r"$\cdot$")


def _table_lines(grid: _text.Grid) -> Iterator[str]:
    """The tabular one line at a time (each ending in a newline)."""
    header, numeric, rows, footer = grid.header, grid.numeric, grid.rows, grid.footer
    spec = "".join("r" if name in numeric else "l" for name in header)
    yield f"\\begin{{tabular}}{{{spec}}}\n"
    yield "\\toprule\n"
    yield " & ".join(escape(name) for name in header) + " \\\\\n"
    yield "\\midrule\n"
    for row in rows:
        yield " & ".join(escape(cell) for cell in row) + " \\\\\n"
    if footer is not None:
        yield "\\midrule\n"
        yield " & ".join(escape(cell) for cell in footer) + " \\\\\n"
    yield "\\bottomrule\n"
    yield "\\end{tabular}\n"


def _table(grid: _text.Grid) -> str:
    return "".join(_table_lines(grid))


def network(report: Report, *, by_type: bool = False, terms: bool = False) -> str:
    """Per-layer tabular with a total row, totals, breakdown by type, with ``terms`` the cost
    terms; needs ``booktabs``."""
    return "".join(network_chunks(report, by_type=by_type, terms=terms))


def network_chunks(report: Report, *, by_type: bool = False, terms: bool = False) -> Iterator[str]:
    """:func:`network` in pieces, the per-layer tabular line by line, for writing as made."""
    notes = "".join(f"% {escape(note)}\n" for note in _text.report_notes(report))
    yield f"% {escape(_text.title(report))}\n{notes}\n"
    if not by_type:
        yield from _table_lines(_text.layers_grid(report))
        yield "\n"
    yield _table(_text.totals_grid(report)) + "\n" + _table(_text.by_type_grid(report))
    if terms:
        table = report.terms_table()
        yield f"\n% {escape(table.title)}\n" + _table(_text.grid(table))


def comparison(c: Comparison) -> str:
    """The four kinds side by side, then R."""
    return "\n".join(
        [
            f"% convcost layer: {escape(_text.comparison_title(c))}",
            f"% {escape(_text.convention_note(c.convention))}\n",
            _table(_text.comparison_grid(c)),
            _table(_text.ratio_grid(c)),
        ]
    )


def zoo(reports: Sequence[Report]) -> str:
    """The shipped specs as one tabular."""
    return "\n".join(
        [
            f"% {escape(_text.CONVENTION_NOTE)}\n",
            _table(_text.zoo_grid(reports)),
        ]
    )
