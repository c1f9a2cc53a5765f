"""CSV for spreadsheets and scripts: one table, raw integers, and no totals row.

Every row is one thing of the same sort (a layer, a layer type, a cost term, a kind of
convolution, a shipped spec), so a spreadsheet's ``SUM`` of a column, or a script's, is the
total: a ``total`` row among them would count everything twice (issue 13). The totals have
their own CSV, ``convcost net SPEC --format csv --totals``: one header line and one row with
the keys of JSON's ``totals`` (``params,buffers,macs,flops``). The terminal table, Markdown,
LaTeX and JSON always show them.

The header is each column's key, the same key JSON uses; a person's table titles the column
with the same words (``macs`` is MACs, ``macs_share`` is MACs %; docs/cli.md, "Column names").
The ``macs`` and ``flops`` columns both appear, so FLOPs = 2 x MACs is in the data itself,
and under a preset (``--convention thop``) a last column ``convention`` names it.
Text cells (names, types, sources) go through :func:`_text_cell`, so a name
cannot run as a spreadsheet formula.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from convcost import printable
from convcost.conventions import EXACT, Convention
from convcost.report import _text
from convcost.tables import Audience, Kind, Table

if TYPE_CHECKING:
    from convcost.analysis.separable import Comparison
    from convcost.network import Report


def _lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """One CSV line at a time, so a 100,000-layer report is never one string in memory."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in itertools.chain([header], rows):
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def _write(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    return "".join(_lines(header, rows))


# OWASP "CSV Injection": a cell starting with one of these is run as a formula by Excel,
# LibreOffice and Google Sheets ("=HYPERLINK(...)", "@SUM(...)", "+1+cmd|..."); OWASP's fix
# is a leading single quote, which makes it text. Tab and CR cannot survive _text.safe, but
# are listed so the set is OWASP's.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text_cell(text: str) -> str:
    """User text for a spreadsheet: printable (``_text.safe``), and ``'``-prefixed when it would
    start a formula. Only text cells come here, never a count (``_text.raw``) or a share."""
    shown = printable.escape(text)  # _text.safe, one call less for a million cells
    return "'" + shown if shown.startswith(_FORMULA_START) else shown


def _share(value: Fraction) -> str:
    return f"{float(value):.6f}"


def network(
    report: Report, *, by_type: bool = False, terms: bool = False, totals: bool = False
) -> str:
    """One row per layer; with ``by_type`` the breakdown by type instead, with ``terms`` the
    cost terms, with ``totals`` the totals alone, as one row (a CSV holds one table)."""
    return "".join(network_chunks(report, by_type=by_type, terms=terms, totals=totals))


def network_chunks(
    report: Report, *, by_type: bool = False, terms: bool = False, totals: bool = False
) -> Iterator[str]:
    """:func:`network` line by line, for writing as it is made."""
    table: Table
    if totals:
        table = report.totals_table()
    elif terms:
        table = report.terms_table()
    else:
        table = report.by_type_table() if by_type else report.layer_table()
    yield from _table_lines(table, report.convention)


def _table_lines(table: Table, convention: Convention = EXACT) -> Iterator[str]:
    """Any table: the columns CSV sees, keyed, raw values; never the table's totals row
    (``footer``), which would make each column sum to twice its total."""
    columns = table.shown(Audience.CSV)
    cells = table.written(Audience.CSV, _CSV)
    yield from _lines(*_stated([c.key for c in columns], cells, convention))


def _count(value: Any) -> Any:
    """An exact count as it is (sympy's string for an expression); blank for None."""
    return "" if value is None else _text.raw(value)


_CSV: dict[Kind, Callable[[Any], Any]] = {
    Kind.TEXT: _text_cell,
    Kind.COUNT: _count,
    Kind.NUMBER: _count,
    Kind.BYTES: _count,
    Kind.SHARE: _share,
    Kind.RATIO: str,
    Kind.RATE: lambda value: "" if value is None else str(value),
    Kind.SECONDS: repr,
    Kind.SHAPE: _text.shape,
    Kind.PAIR: _text.pair,
    Kind.BAR: _share,  # a bar is drawn by the terminal alone; a machine reads its share
}


def _stated(
    header: Sequence[str], rows: Iterable[Sequence[Any]], convention: Convention
) -> tuple[Sequence[str], Iterable[Sequence[Any]]]:
    """A preset's name in a last column ``convention`` on every row (a spreadsheet keeps no
    comment lines; a column survives sorting and filtering). convcost's own count, ``exact``,
    adds no column."""
    if convention.name == EXACT.name:
        return header, rows
    return (*header, "convention"), ((*row, convention.name) for row in rows)


def comparison(c: Comparison) -> str:
    """One row per kind; the last two columns are each row over ``standard``, exact."""
    return "".join(_table_lines(c.kinds_table(), c.convention))


def zoo(reports: Sequence[Report]) -> str:
    """One row per shipped spec."""
    return "".join(_table_lines(_text.zoo_table(reports)))


def table(data: Table, notes: Sequence[str] = (), convention: Convention = EXACT) -> str:
    """Any one table, one row per row (a CSV keeps no notes; a preset's name is a column)."""
    return "".join(_table_lines(data, convention))
