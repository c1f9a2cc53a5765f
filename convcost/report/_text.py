"""Numbers to strings, in one place: every renderer formats through these helpers.

Counts are exact ints, or sympy expressions when ``convcost layer`` was not given H and W.
Human formats (table, Markdown, LaTeX) get thousands separators and ``·`` for products;
machine formats (CSV, JSON) get raw ints and sympy's own spelling (``589824*H*W``).
User text (network, layer and category names, sources) is made printable here too, by
:func:`safe`, before each format applies its own escaping.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from convcost import printable
from convcost.conventions import EXACT, Convention

if TYPE_CHECKING:
    from convcost.analysis.separable import Comparison, KindCost
    from convcost.network import LayerCost, Report


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
    """A count for people: ``589,824`` or ``589,824·H·W``."""
    if isinstance(value, int):
        return f"{value:,}"
    text = str(value).replace("**", "^").replace("*", "·")
    return _DIGITS.sub(lambda m: f"{int(m.group()):,}", text)


def raw(value: Any) -> int | str:
    """A count for machines: the int itself, or sympy's string for an expression."""
    return value if isinstance(value, int) else str(value)


def shape(value: Sequence[Any]) -> str:
    """``112x112x32``; symbolic sides as sympy prints them (``HxWx256``)."""
    return "x".join(str(v) for v in value)


def pair(value: Sequence[int] | str | None) -> str:
    """A kernel, stride or padding: ``3x3``, ``same``; empty when the layer has none."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return f"{value[0]}x{value[1]}"


def percent(share: Fraction) -> str:
    """A share as a percentage with two decimals, rounded half to even exactly."""
    hundredths = round(share * 10_000)
    return f"{hundredths // 100}.{hundredths % 100:02d}%"


def decimal(value: Any, places: int = 4) -> str | None:
    """A fraction as a decimal for people; None for a ratio that still holds a symbol."""
    return f"{float(value):.{places}f}" if isinstance(value, Fraction) else None


def fraction(value: Any) -> str:
    """``265/2304``; an integer as itself; a symbolic ratio as ``(C_out + 9)/(9·C_out)``."""
    return str(value) if isinstance(value, Fraction) else human(value)


# --- table cells shared by the table, Markdown and LaTeX renderers --------------------------

NETWORK_HEADER = ("name", "type", "input", "output", "kernel", "stride", "params", "MACs", "MACs %")
NETWORK_NUMERIC = frozenset({"params", "MACs", "MACs %"})


def network_cells(report: Report, row: LayerCost) -> tuple[str, ...]:
    return (
        safe(row.name),
        safe(row.category),
        shape(row.input),
        shape(row.output),
        pair(row.kernel),
        pair(row.stride),
        human(row.params),
        human(row.macs),
        percent(report.share(row)),
    )


def network_footer(report: Report) -> tuple[str, ...]:
    return (
        "total",
        "",
        shape(report.input),
        shape(report.output),
        "",
        "",
        human(report.totals.params),
        human(report.totals.macs),
        percent(Fraction(1) if report.totals.macs else Fraction(0)),
    )


BY_TYPE_HEADER = ("type", "layers", "params", "params %", "MACs", "MACs %")
BY_TYPE_NUMERIC = frozenset({"layers", "params", "params %", "MACs", "MACs %"})


def by_type_rows(report: Report) -> list[tuple[str, ...]]:
    return [
        (
            safe(s.category),
            human(s.layers),
            human(s.params),
            percent(s.params_share),
            human(s.macs),
            percent(s.macs_share),
        )
        for s in report.by_category()
    ]


def by_type_footer(report: Report) -> tuple[str, ...]:
    full = percent(Fraction(1))
    return (
        "total",
        human(len(report.rows)),
        human(report.totals.params),
        full if report.totals.params else percent(Fraction(0)),
        human(report.totals.macs),
        full if report.totals.macs else percent(Fraction(0)),
    )


def totals_lines(report: Report) -> list[tuple[str, str]]:
    t = report.totals
    return [
        ("params", human(t.params)),
        ("buffers", human(t.buffers)),
        ("MACs", human(t.macs)),
        ("FLOPs", human(t.flops)),
    ]


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


COMPARISON_HEADER = ("kind", "type", "input", "output", "params", "MACs", "FLOPs")
COMPARISON_NUMERIC = frozenset({"params", "MACs", "FLOPs"})


def comparison_cells(row: KindCost) -> tuple[str, ...]:
    return (
        safe(row.name),
        safe(row.type),
        shape(row.input),
        shape(row.output),
        human(row.params),
        human(row.macs),
        human(row.flops),
    )


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
        ("1/K^2 + 1/Cout", f"1/{kh * kw} + 1/{c.cout} = {exact(c.approximation)}"),
    ]


CONVENTION_NOTE = (
    "MACs = multiply-accumulates (bias adds are not MACs); FLOPs = 2 x MACs; "
    "params = weights + biases + BatchNorm gamma/beta; buffers = BatchNorm "
    "running mean/var"
)


def convention_note(convention: Convention) -> str:
    """The line every report ends with: what its MACs count (a preset names its tool)."""
    if convention.name == EXACT.name:
        return CONVENTION_NOTE
    return (
        f"convention {convention.name}: MACs = {convention.macs}; FLOPs = 2 x MACs; "
        "params = weights + biases + BatchNorm gamma/beta; buffers = BatchNorm running mean/var"
    )


def report_notes(report: Report) -> list[str]:
    """The convention, and whether declared output shapes were checked."""
    notes = [convention_note(report.convention)]
    if not report.declared_checked:
        notes.append(UNCHECKED_NOTE)
    return notes


UNCHECKED_NOTE = "declared output shapes not checked: --alpha or --resolution changes them"


ZOO_HEADER = ("name", "input", "params", "buffers", "MACs", "source")
ZOO_NUMERIC = frozenset({"params", "buffers", "MACs"})


def zoo_cells(report: Report) -> tuple[str, ...]:
    t = report.totals
    return (
        safe(report.network),
        shape(report.input),
        human(t.params),
        human(t.buffers),
        human(t.macs),
        safe_source(report.source),
    )


# --- grids: the tables the page renderers draw ----------------------------------------------


@dataclass(frozen=True, slots=True)
class Grid:
    """One table's text before it is drawn: the table, Markdown and LaTeX renderers draw the
    same grids, each in its own markup."""

    header: Sequence[str]
    numeric: frozenset[str]
    rows: Sequence[Sequence[str]]
    footer: Sequence[str] | None = None


class _LayerCells(Sequence[tuple[str, ...]]):
    """A report's per-layer cells, made as they are read: a page renderer streams a million
    rows without holding ten million strings (docs/spec.md, Limits)."""

    def __init__(self, report: Report) -> None:
        self.report = report

    def __len__(self) -> int:
        return len(self.report.rows)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [network_cells(self.report, row) for row in self.report.rows[index]]
        return network_cells(self.report, self.report.rows[index])

    def __iter__(self) -> Iterator[tuple[str, ...]]:
        report = self.report
        return (network_cells(report, row) for row in report.rows)


def layers_grid(report: Report) -> Grid:
    """One row per layer, the totals in the footer."""
    return Grid(NETWORK_HEADER, NETWORK_NUMERIC, _LayerCells(report), network_footer(report))


def by_type_grid(report: Report) -> Grid:
    """MobileNet's Table 2: params and MACs by layer type."""
    return Grid(BY_TYPE_HEADER, BY_TYPE_NUMERIC, by_type_rows(report), by_type_footer(report))


def totals_grid(report: Report) -> Grid:
    """params, buffers, MACs, FLOPs."""
    return Grid(("total", "value"), frozenset({"value"}), totals_lines(report))


def comparison_grid(c: Comparison) -> Grid:
    """The four kinds of one layer."""
    return Grid(COMPARISON_HEADER, COMPARISON_NUMERIC, [comparison_cells(row) for row in c.rows])


def zoo_grid(reports: Sequence[Report]) -> Grid:
    """The shipped specs."""
    return Grid(ZOO_HEADER, ZOO_NUMERIC, [zoo_cells(r) for r in reports])


def ratio_grid(c: Comparison) -> Grid:
    """R = separable / standard, exact and as a decimal."""
    return Grid(("R = separable / standard", "value"), frozenset(), ratio_lines(c))
