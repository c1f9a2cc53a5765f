"""Renderers: report -> text, one module per format, chosen by one exhaustive dispatch.

Each format module provides ``network(report, *, by_type)``, ``comparison(comparison)``,
``zoo(reports)`` and, for any one table with its notes, ``table(table, notes, convention)``,
all pure functions returning the whole text (ending in a newline). Numbers become strings
only here (``_text``). The formats for people (table, Markdown, LaTeX) also take a
:class:`Layout`: which rows, which units, and for the terminal its width.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, NamedTuple, NoReturn

if sys.version_info >= (3, 11):
    from typing import assert_never
else:  # pragma: no cover

    def assert_never(value: NoReturn) -> NoReturn:
        raise AssertionError(f"unhandled value: {value!r}")


if TYPE_CHECKING:
    from convcost.views import View


class Format(str, Enum):
    """The output formats of every report command (``--format``)."""

    TABLE = "table"
    CSV = "csv"
    MARKDOWN = "markdown"
    JSON = "json"
    LATEX = "latex"


class Units(str, Enum):
    """How counts read for people (``--units``); CSV and JSON always hold the exact ints.

    ``raw``: 3,504,872. ``si``: each count scaled on its own, 3.50M (K, M, G, T: powers of
    1000). ``K``, ``M``, ``G``: every count in one unit, as a paper's table gives "MACs (M)",
    with two decimals, the unit in the column's title."""

    RAW = "raw"
    SI = "si"
    K = "K"
    M = "M"
    G = "G"


HUMAN_FORMATS = (Format.TABLE, Format.MARKDOWN, Format.LATEX)


class Layout(NamedTuple):
    """How a report is laid out for people: ``view`` picks the per-layer rows (None: all),
    ``units`` writes counts, ``width`` is the terminal's (None: no limit) and ``ascii`` draws
    the table's borders in ASCII (a terminal whose encoding is not UTF-8)."""

    view: View | None = None
    units: Units = Units.RAW
    width: int | None = None
    ascii: bool = False


PLAIN = Layout()  # every row, raw counts, no width limit


@dataclass(frozen=True, slots=True)
class Renderer:
    """The renderers of one format; ``network_chunks`` yields ``network``'s text in pieces."""

    network: Callable[..., str]
    comparison: Callable[..., str]
    zoo: Callable[..., str]
    network_chunks: Callable[..., Iterable[str]]
    table: Callable[..., str]  # any one table (tables.Table) and its notes: ``convcost sweep``


def renderer(fmt: Format) -> Renderer:
    """The renderers for ``fmt``; modules are imported on demand (rich only for tables)."""
    match fmt:
        case Format.TABLE:
            from convcost.report import table as module
        case Format.CSV:
            from convcost.report import csv as module  # type: ignore[no-redef]
        case Format.MARKDOWN:
            from convcost.report import markdown as module  # type: ignore[no-redef]
        case Format.JSON:
            from convcost.report import json as module  # type: ignore[no-redef]
        case Format.LATEX:
            from convcost.report import latex as module  # type: ignore[no-redef]
        case _:
            assert_never(fmt)
    return Renderer(
        module.network, module.comparison, module.zoo, module.network_chunks, module.table
    )
