"""The table model: what every report is made of, before any format draws it.

A view (the walker's per-layer table, the breakdown by type, the totals, the cost terms)
is a :class:`Table` of raw values: exact ints, Fractions, shapes, text. Each
:class:`Column` says once what it holds (its :class:`Kind`), what it is called for people
(``title``) and for machines (``key``, the CSV header and the JSON key), who sees it, and how
it reads a row. Each format renders any table from the kinds alone (``report/``), so a new
column, or a new table, is written in one place and appears in every format; torchinfo's
column settings and pip-audit's one ``format()`` per format are the models.

This module imports nothing of convcost's, so the walker, the analyses and the renderers can
all build on it.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple


class Kind(enum.Enum):
    """What a column holds, which decides how each format writes it."""

    TEXT = "text"  # user or library text: names, types, sources
    COUNT = "count"  # an exact int (or a sympy expression): params, MACs, elements
    NUMBER = "number"  # a small exact int that is not a cost (layers, a weight): never scaled
    BYTES = "bytes"  # an exact int of bytes
    SHARE = "share"  # a Fraction of a whole: 1.91% for people, 0.019056 in CSV
    RATIO = "ratio"  # an exact Fraction: 265/2304 for people and machines
    RATE = "rate"  # an exact Fraction of two quantities (FLOPs per byte): 9.81 for people
    SECONDS = "seconds"  # a float
    SHAPE = "shape"  # (H, W, C): 112x112x32, or [112, 112, 32] in JSON
    PAIR = "pair"  # (h, w) or None: 3x3, or [3, 3] in JSON
    BAR = "bar"  # a Fraction from 0 to 1 drawn as a bar in the terminal; a share elsewhere

    @property
    def numeric(self) -> bool:
        """Right-aligned for people."""
        return self in (
            Kind.COUNT,
            Kind.NUMBER,
            Kind.BYTES,
            Kind.SHARE,
            Kind.RATIO,
            Kind.RATE,
            Kind.SECONDS,
        )


class Audience(enum.Flag):
    """Who sees a column: people (table, Markdown, LaTeX), CSV, JSON; ``TERMINAL``: the
    terminal table alone (a bar of characters, which a page or a file of data has no use
    for). The terminal sees ``HUMAN | TERMINAL``."""

    HUMAN = enum.auto()
    TERMINAL = enum.auto()
    CSV = enum.auto()
    JSON = enum.auto()
    MACHINE = CSV | JSON
    ALL = HUMAN | CSV | JSON


class Column(NamedTuple):
    """One column: ``value`` reads it from a row, ``footer`` is its totals-row value, and
    ``note`` a line the terminal prints under the table when it shows the column (what a
    bar is a share of).

    ``title`` is ``key`` in the words people read, so that a table's column is found in the
    CSV and JSON by its name: the key is the title lower-cased, `` %`` written ``_share`` and
    spaces ``_`` (MACs -> ``macs``, MACs % -> ``macs_share``); a column people do not see has
    the title ''. tests/test_unix.py holds every table to it.

    Column, Table and a Convention are named tuples rather than dataclasses: ``convcost
    layer`` imports them, and a named tuple costs a fifth of a dataclass to create at start.
    """

    key: str
    title: str
    kind: Kind
    value: Callable[[Any], Any]
    footer: Any = ""
    show: Audience = Audience.ALL
    note: str = ""


class Table(NamedTuple):
    """A view: typed columns over rows, an optional totals row (``footer``), and ``key``
    (its JSON key), ``title`` (a heading for people, or ''). ``rows`` may be read more than
    once (a terminal table measures its widths first), so it is a sequence, or a callable
    giving a fresh iterable."""

    key: str
    title: str
    columns: Sequence[Column]
    rows: Sequence[Any] | Callable[[], Iterable[Any]]
    has_footer: bool = True
    record: bool = False  # one row of named values: a "title | value" list, a JSON object

    def shown(self, audience: Audience) -> list[Column]:
        return [c for c in self.columns if c.show & audience]

    def values(self, audience: Audience) -> Iterator[list[Any]]:
        """The raw values of each row, for the columns ``audience`` sees."""
        getters = [c.value for c in self.shown(audience)]
        return ([get(row) for get in getters] for row in self._rows())

    def written(
        self, audience: Audience, writers: Mapping[Kind, Callable[[Any], Any]]
    ) -> Iterator[list[Any]]:
        """Each row as ``audience`` reads it: every value through its kind's writer, in one
        pass (a format's writers take None, a value no row has, as a blank)."""
        write_row = _row_writer([(c.value, writers[c.kind]) for c in self.shown(audience)])
        return map(write_row, self._rows())

    def footer(self, audience: Audience) -> list[Any] | None:
        return [c.footer for c in self.shown(audience)] if self.has_footer else None

    def row_count(self) -> int:
        rows = self._rows()
        return len(rows) if isinstance(rows, Sequence) else sum(1 for _ in rows)

    def _rows(self) -> Iterable[Any]:
        return self.rows() if callable(self.rows) else self.rows


def _row_writer(pairs: list[tuple[Callable[[Any], Any], Callable[[Any], Any]]]) -> Any:
    """``lambda row: [write0(get0(row)), write1(get1(row)), ...]``, compiled once per table.

    A report writes every cell of up to a million rows; unrolling the columns, as
    dataclasses and attrs generate their ``__init__``, halves the time a loop over (getter,
    writer) pairs takes. The generated text holds only ``get<i>``/``write<i>`` names, never
    any data.
    """
    names: dict[str, Any] = {}
    cells = []
    for i, (get, write) in enumerate(pairs):
        names[f"get{i}"], names[f"write{i}"] = get, write
        cells.append(f"write{i}(get{i}(row))")
    return eval(f"lambda row: [{', '.join(cells)}]", names)
