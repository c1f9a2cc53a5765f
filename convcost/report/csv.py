"""CSV for spreadsheets: one table, raw integers, a final ``total`` row where sums make sense.

The ``macs`` and ``flops`` columns both appear, so FLOPs = 2 x MACs is in the data itself,
and under a preset (``--convention thop``) a last column ``convention`` names it.
Text cells (names, types, sources) go through :func:`_text_cell`, so a name
cannot run as a spreadsheet formula.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterable, Iterator, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from convcost.conventions import EXACT, Convention
from convcost.report import _text

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
    shown = _text.safe(text)
    return "'" + shown if shown.startswith(_FORMULA_START) else shown


def _share(value: Fraction) -> str:
    return f"{float(value):.6f}"


NETWORK_HEADER = (
    "name",
    "type",
    "category",
    "input",
    "output",
    "kernel",
    "stride",
    "params",
    "buffers",
    "macs",
    "flops",
    "macs_share",
)
BY_TYPE_HEADER = ("type", "layers", "params", "params_share", "macs", "macs_share")


def network(report: Report, *, by_type: bool = False) -> str:
    """Per-layer rows and a ``total`` row; with ``by_type``, the breakdown by type instead."""
    return "".join(network_chunks(report, by_type=by_type))


def network_chunks(report: Report, *, by_type: bool = False) -> Iterator[str]:
    """:func:`network` line by line, for writing as it is made."""
    t = report.totals
    if by_type:
        rows: list[Sequence[Any]] = [
            (
                _text_cell(s.category),
                s.layers,
                _text.raw(s.params),
                _share(s.params_share),
                _text.raw(s.macs),
                _share(s.macs_share),
            )
            for s in report.by_category()
        ]
        rows.append(
            (
                "total",
                len(report.rows),
                _text.raw(t.params),
                _share(Fraction(1 if t.params else 0)),
                _text.raw(t.macs),
                _share(Fraction(1 if t.macs else 0)),
            )
        )
        yield from _lines(*_stated(BY_TYPE_HEADER, rows, report.convention))
        return
    layers = (
        (
            _text_cell(row.name),
            _text_cell(row.kind.value),
            _text_cell(row.category),
            _text.shape(row.input),
            _text.shape(row.output),
            _text.pair(row.kernel),
            _text.pair(row.stride),
            _text.raw(row.params),
            _text.raw(row.buffers),
            _text.raw(row.macs),
            _text.raw(row.flops),
            _share(report.share(row)),
        )
        for row in report.rows
    )
    total = (
        (
            "total",
            "",
            "",
            _text.shape(report.input),
            _text.shape(report.output),
            "",
            "",
            _text.raw(t.params),
            _text.raw(t.buffers),
            _text.raw(t.macs),
            _text.raw(t.flops),
            _share(Fraction(1 if t.macs else 0)),
        ),
    )
    yield from _lines(*_stated(NETWORK_HEADER, itertools.chain(layers, total), report.convention))


def _stated(
    header: Sequence[str], rows: Iterable[Sequence[Any]], convention: Convention
) -> tuple[Sequence[str], Iterable[Sequence[Any]]]:
    """A preset's name in a last column ``convention`` on every row (a spreadsheet keeps no
    comment lines; a column survives sorting and filtering). convcost's own count, ``exact``,
    adds no column, so its CSV stays as it always was."""
    if convention.name == EXACT.name:
        return header, rows
    return (*header, "convention"), ((*row, convention.name) for row in rows)


COMPARISON_HEADER = (
    "name",
    "type",
    "input",
    "output",
    "kernel",
    "stride",
    "groups",
    "params",
    "macs",
    "flops",
    "params_vs_standard",
    "macs_vs_standard",
)


def comparison(c: Comparison) -> str:
    """One row per kind; the last two columns are each row over ``standard``, exact."""
    return _write(
        *_stated(
            COMPARISON_HEADER,
            [
                (
                    _text_cell(row.name),
                    _text_cell(row.type),
                    _text.shape(row.input),
                    _text.shape(row.output),
                    _text.pair(row.kernel),
                    _text.pair(row.stride),
                    "" if row.groups is None else row.groups,
                    _text.raw(row.params),
                    _text.raw(row.macs),
                    _text.raw(row.flops),
                    *(str(ratio) for ratio in c.versus_standard(row)),
                )
                for row in c.rows
            ],
            c.convention,
        )
    )


ZOO_HEADER = ("name", "input", "params", "buffers", "macs", "flops", "source")


def zoo(reports: Sequence[Report]) -> str:
    """One row per shipped spec."""
    return _write(
        ZOO_HEADER,
        [
            (
                _text_cell(r.network),
                _text.shape(r.input),
                _text.raw(r.totals.params),
                _text.raw(r.totals.buffers),
                _text.raw(r.totals.macs),
                _text.raw(r.totals.flops),
                _text_cell(_text.safe_source(r.source)),
            )
            for r in reports
        ],
    )
