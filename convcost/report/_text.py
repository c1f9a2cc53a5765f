"""Numbers to strings, in one place: every renderer formats through these helpers.

Counts are exact ints, or sympy expressions when ``convcost layer`` was not given H and W.
Human formats (table, Markdown, LaTeX) get thousands separators and ``·`` for products;
machine formats (CSV, JSON) get raw ints and sympy's own spelling (``589824*H*W``).
User text (network, layer and category names, sources) is made printable here too, by
:func:`safe`, before each format applies its own escaping.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from convcost import printable
from convcost.conventions import EXACT, Convention
from convcost.report import PLAIN, Layout, Units
from convcost.tables import Audience, Column, Kind, Table

if TYPE_CHECKING:
    from convcost.analysis.separable import Comparison
    from convcost.network import Report
    from convcost.views import View


_DIGITS = re.compile(r"\d{4,}")


def safe(text: str) -> str:
    """User text as printable text: what ``str.isprintable`` rejects becomes an escape.

    Names come from files and from library callers (the network name defaults to the spec's
    file name, which may hold a newline or ESC), so every renderer prints them through here:
    ``"evil\\n\\x1b[2J"`` is shown as ``evil\\n\\x1b[2J``, never acted on.
    """
    return printable.escape(text)


def safe_source(text: str | None) -> str:
    """A spec's ``source``: a multi-line YAML block folded to one line, then :func:`safe`."""
    return "" if text is None else printable.escape(printable.fold(text))


def human(value: Any) -> str:
    """A count for people: ``589,824`` or ``589,824·H·W``; None (no such count) is blank."""
    if isinstance(value, int):
        return f"{value:,}"
    if value is None:
        return ""
    text = str(value).replace("**", "^").replace("*", "·")
    return _DIGITS.sub(lambda m: f"{int(m.group()):,}", text)


def raw(value: Any) -> int | str:
    """A count for machines: the int itself, or sympy's string for an expression."""
    return value if isinstance(value, int) else str(value)


def shape(value: Sequence[Any]) -> str:
    """``112x112x32``; symbolic sides as sympy prints them, in parentheses unless a symbol
    or an integer, so that no ``x`` reads as part of a side: ``HxWx256``,
    ``(ceiling(H/2))x(ceiling(W/2))x256`` (issue 13)."""
    return "x".join(
        [str(side) if isinstance(side, int) or side.is_Atom else f"({side})" for side in value]
    )


def pair(value: Sequence[int] | str | None) -> str:
    """A kernel, stride or padding: ``3x3``, ``same``; empty when the layer has none
    (``3x3x3`` in 3-D, ``80`` in 1-D)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return "x".join(map(str, value))


def percent(share: Fraction) -> str:
    """A share as a percentage with two decimals, rounded half to even exactly."""
    hundredths = round(share * 10_000)
    return f"{hundredths // 100}.{hundredths % 100:02d}%"


BAR_CELLS = 8  # a full bar: 64 eighths, so one eighth is 1/64 = 1.5625% of the whole
_EIGHTHS = ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")


def bar(share: Fraction, cells: int = BAR_CELLS) -> str:
    """A share of a full bar ``cells`` wide, in eighths of a cell (block elements ▏ to █):
    round(share x cells x 8) eighths, half to even, exactly; a share above 0 draws at least
    one eighth, so that a row that costs anything shows, and 0 draws nothing."""
    whole, part = divmod(_steps(share, cells * 8), 8)
    return "█" * whole + _EIGHTHS[part]


def ascii_bar(share: Fraction, cells: int = BAR_CELLS) -> str:
    """:func:`bar` in whole cells of ``#``, for a terminal that is not UTF-8:
    round(share x cells), half to even, at least one ``#`` for a share above 0."""
    return "#" * _steps(share, cells)


def _steps(share: Fraction, steps: int) -> int:
    """round(share x steps) half to even, at least 1 for a share above 0: ``round`` of a
    Fraction in integers alone (a bar is drawn on each of up to a million rows, and a
    Fraction product costs five times as much)."""
    num, den = share.numerator, share.denominator
    whole, rest = divmod(num * steps, den)
    if 2 * rest > den or (2 * rest == den and whole % 2):
        whole += 1
    return whole if whole or num <= 0 else 1


def decimal(value: Any, places: int = 4) -> str | None:
    """A fraction as a decimal for people; None for a ratio that still holds a symbol."""
    return f"{float(value):.{places}f}" if isinstance(value, Fraction) else None


def fraction(value: Any) -> str:
    """``265/2304``; an integer as itself; a symbolic ratio as ``(C_out + 9)/(9·C_out)``."""
    return str(value) if isinstance(value, Fraction) else human(value)


# --- table cells shared by the table, Markdown and LaTeX renderers --------------------------


def cell(kind: Kind, value: Any) -> str:
    """A raw value of a typed column as people read it (table, Markdown, LaTeX); a blank
    (None or '') stays blank."""
    if value is None or (isinstance(value, str) and kind is not Kind.TEXT):
        return "" if value is None else value
    return HUMAN[kind](value)


HUMAN: dict[Kind, Callable[[Any], str]] = {
    Kind.TEXT: printable.escape,  # what safe() does, one call less per cell
    Kind.COUNT: human,
    Kind.NUMBER: human,
    Kind.BYTES: human,
    Kind.SHARE: percent,
    Kind.RATIO: fraction,
    Kind.RATE: lambda value: "" if value is None else rate(value),
    Kind.SECONDS: lambda value: f"{value:.3g}",
    Kind.SHAPE: shape,
    Kind.PAIR: pair,
    Kind.BAR: percent,  # drawn as a bar by the terminal alone (grid's ``bar``)
}


_SI = ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "K"))
_SCALE = {Units.K: 10**3, Units.M: 10**6, Units.G: 10**9}


def hundredths(value: int, scale: int) -> str:
    """``value / scale`` with two decimals and separators, rounded half to even exactly."""
    scaled = round(Fraction(value, scale) * 100)
    sign, scaled = ("-", -scaled) if scaled < 0 else ("", scaled)
    return f"{sign}{scaled // 100:,}.{scaled % 100:02d}"


def rate(value: Fraction) -> str:
    """A quantity per another (FLOPs per byte) for people: ``9.81``, two decimals, rounded
    half to even exactly; the exact Fraction is in CSV and JSON."""
    return hundredths(value.numerator, value.denominator)


def si(value: Any) -> str:
    """A count scaled by its own size: ``864``, ``10.84M``, ``1.23G``; a symbol as :func:`human`."""
    if not isinstance(value, int):
        return human(value)
    for scale, suffix in _SI:
        if abs(value) >= scale:
            return hundredths(value, scale) + suffix
    return str(value)


def count_writer(units: Units) -> Callable[[Any], str]:
    """How ``units`` writes a count for people."""
    if units is Units.RAW:
        return human
    if units is Units.SI:
        return si
    scale = _SCALE[units]
    return lambda value: hundredths(value, scale) if isinstance(value, int) else human(value)


def exact_decimal(value: Fraction) -> str:
    """A fraction as the decimal a person typed (3/4 -> 0.75); non-terminating ones as p/q."""
    denominator = value.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    if denominator != 1:
        return str(value)
    digits = 0
    while (value * 10**digits).denominator != 1:
        digits += 1
    scaled = abs(int(value * 10**digits))
    whole, part = divmod(scaled, 10**digits)
    sign = "-" if value < 0 else ""
    return f"{sign}{whole}.{part:0{digits}d}" if digits else f"{sign}{whole}"


def title(report: Report) -> str:
    parts = [safe(report.network), f"input {shape(report.input)}"]
    if report.alpha is not None:
        parts.append(f"alpha {exact_decimal(report.alpha)}")
    return ", ".join(parts)


def comparison_title(c: Comparison) -> str:
    padding = pair(c.padding)
    return (
        f"input {shape(c.input)}, {c.cout} output channels, kernel {pair(c.kernel)}, "
        f"stride {pair(c.stride)}, padding {padding}, dilation {pair(c.dilation)}, "
        f"groups {c.groups}, {'bias' if c.bias else 'no bias'}"
    )


def ratio_lines(c: Comparison) -> list[tuple[str, str]]:
    """R = separable / standard, for MACs and params, with 1/(Kh*Kw) + 1/Cout beside it."""
    kh, kw = c.kernel

    def exact(value: Any) -> str:
        shown = decimal(value)
        return fraction(value) if shown is None else f"{fraction(value)} = {shown}"

    return [
        ("R (MACs)", exact(c.macs_ratio)),
        ("R (params)", exact(c.params_ratio)),
        ("1/(Kh*Kw) + 1/Cout", f"1/{kh * kw} + 1/{c.cout} = {exact(c.approximation)}"),
    ]


CONVENTION_NOTE = (
    "MACs = multiply-accumulates (bias adds are not MACs); FLOPs = 2 x MACs; "
    "params = weights + biases + norm gamma/beta (+ PReLU, layer scale); buffers = norm "
    "running mean/var"
)


def convention_note(convention: Convention) -> str:
    """The line every report ends with: what its MACs count (a preset names its tool)."""
    if convention.name == EXACT.name:
        return CONVENTION_NOTE
    return (
        f"convention {convention.name}: MACs = {convention.macs}; FLOPs = 2 x MACs; "
        "params = weights + biases + norm gamma/beta (+ PReLU, layer scale); buffers = norm "
        "running mean/var"
    )


def report_notes(report: Report, layout: Layout = PLAIN) -> list[str]:
    """The convention, whether declared output shapes were checked, and what ``layout``'s
    view left out of the per-layer table."""
    notes = [convention_note(report.convention)]
    if not report.declared_checked:
        notes.append(UNCHECKED_NOTE)
    view = view_note(report, layout.view)
    if view is not None:
        notes.append(view)
    return notes


UNCHECKED_NOTE = "declared output shapes not checked: --alpha or --resolution changes them"


# --- grids: the tables the page renderers draw ----------------------------------------------


@dataclass(frozen=True, slots=True)
class Grid:
    """One table's text before it is drawn: the table, Markdown and LaTeX renderers draw the
    same grids, each in its own markup."""

    header: Sequence[str]
    numeric: frozenset[str]
    rows: Sequence[Sequence[str]]
    footer: Sequence[str] | None = None
    keys: Sequence[str] = ()  # the columns' keys (tables.Column.key), for fitting a width
    notes: Sequence[str] = ()  # the columns' notes (tables.Column.note), printed when shown


def grid(
    table: Table, units: Units = Units.RAW, bar: Callable[[Fraction], str] | None = None
) -> Grid:
    """A typed table as people read it; its rows are formatted as they are read, so a page
    renderer streams a million rows without holding ten million strings. A record (one row
    of named values) becomes a two-column list: its title and "value". ``units`` writes the
    counts (a fixed unit goes into the column's title: "MACs (M)"). ``bar`` makes it the
    terminal's grid: it has the columns for the terminal alone too, and draws each
    ``Kind.BAR`` value with ``bar`` (:func:`bar` or :func:`ascii_bar`)."""
    audience = Audience.HUMAN if bar is None else Audience.HUMAN | Audience.TERMINAL
    columns = table.shown(audience)
    writers = HUMAN if units is Units.RAW else {**HUMAN, Kind.COUNT: count_writer(units)}
    if bar is not None:
        writers = {**writers, Kind.BAR: bar}

    def written(kind: Kind, value: Any) -> str:
        if value is None or (isinstance(value, str) and kind is not Kind.TEXT):
            return "" if value is None else value
        return writers[kind](value)

    unit = f" ({units.value})" if units in _SCALE else ""
    titles = [c.title + unit if c.kind is Kind.COUNT else c.title for c in columns]
    if table.record:
        (row,) = table.values(audience)
        lines = [(t, written(c.kind, v)) for t, c, v in zip(titles, columns, row, strict=True)]
        return Grid((table.title, "value"), frozenset({"value"}), lines, keys=("title", "value"))
    kinds = [c.kind for c in columns]
    footer = table.footer(audience)
    return Grid(
        titles,
        frozenset(t for t, c in zip(titles, columns, strict=True) if c.kind.numeric),
        _Cells(table, writers, audience),
        None if footer is None else [written(k, v) for k, v in zip(kinds, footer, strict=True)],
        [c.key for c in columns],
        [c.note for c in columns],
    )


class _Cells(Sequence[list[str]]):
    """A table's rows as people read them, made each time they are read."""

    def __init__(
        self, table: Table, writers: dict[Kind, Callable[[Any], str]], audience: Audience
    ) -> None:
        self.table = table
        self.writers = writers
        self.audience = audience

    def __len__(self) -> int:
        return self.table.row_count()

    def __getitem__(self, index: Any) -> Any:
        rows = list(self)
        return rows[index]

    def __iter__(self) -> Iterator[list[str]]:
        return self.table.written(self.audience, self.writers)


def layers_grid(
    report: Report, layout: Layout = PLAIN, bar: Callable[[Fraction], str] | None = None
) -> Grid:
    """One row per layer (or per row of ``layout.view``), the totals in the footer; ``bar``
    for the terminal (:func:`grid`)."""
    return grid(report.layer_table(layout.view), layout.units, bar)


def by_type_grid(report: Report, layout: Layout = PLAIN) -> Grid:
    """MobileNet's Table 2: params and MACs by layer type."""
    return grid(report.by_type_table(), layout.units)


def totals_grid(report: Report, layout: Layout = PLAIN) -> Grid:
    """params, buffers, MACs, FLOPs."""
    return grid(report.totals_table(), layout.units)


def comparison_grid(c: Comparison, layout: Layout = PLAIN) -> Grid:
    """The four kinds of one layer."""
    return grid(c.kinds_table(), layout.units)


def zoo_grid(reports: Sequence[Report], layout: Layout = PLAIN) -> Grid:
    """The shipped specs."""
    return grid(zoo_table(reports), layout.units)


def view_note(report: Report, view: View | None) -> str | None:
    """What a view left out of the per-layer table, and how to see it; None for every row."""
    if view is None or view.complete:
        return None
    shown = report.layer_table(view).row_count()
    parts = [f"{shown} of {len(report.rows)} rows"]
    if view.depth is not None:
        parts.append(f"grouped to depth {view.depth} of their dotted names")
    if view.top is not None:
        parts.append("the largest by MACs")
    if view.fold:
        parts.append(
            "rows without MACs that keep their shape (BatchNorm, activations, adds) are "
            "folded into the row before them, params added; --all shows them"
        )
    return "; ".join(parts)


def zoo_table(reports: Sequence[Report]) -> Table:
    """The shipped specs, one row each: input, params, buffers, MACs, FLOPs, source (the
    table, CSV and Markdown renderers draw it; JSON nests each spec's totals)."""
    t = attrgetter("totals")
    return Table(
        "specs",
        "",
        [
            Column("name", "name", Kind.TEXT, attrgetter("network")),
            Column("input", "input", Kind.SHAPE, attrgetter("input")),
            Column("params", "params", Kind.COUNT, lambda r: t(r).params),
            Column("buffers", "buffers", Kind.COUNT, lambda r: t(r).buffers),
            Column("macs", "MACs", Kind.COUNT, lambda r: t(r).macs),
            Column("flops", "", Kind.COUNT, lambda r: t(r).flops, show=Audience.MACHINE),
            Column("source", "source", Kind.TEXT, lambda r: printable.fold(r.source or "")),
        ],
        reports,
        has_footer=False,
    )


def ratio_grid(c: Comparison) -> Grid:
    """R = separable / standard, exact and as a decimal."""
    return Grid(("R = separable / standard", "value"), frozenset(), ratio_lines(c))
