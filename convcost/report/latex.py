"""LaTeX fragments that a paper ``\\input``s: booktabs tables, symbols and counts in math mode.

Each fragment opens with a comment naming the packages it needs; :data:`PREAMBLE` serves every
one (docs/cli.md, "LaTeX"). A fragment has no ``\\documentclass`` and no float: the paper
places, captions and labels it. Long tables (per layer, the specs) are ``longtable``s, which
break across pages and repeat their header; the others are ``tabular``s. Each :class:`Style`
fits its table in an article's 345pt text width: tests/test_latex.py compiles every output
with pdflatex and finds no overfull box.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any, NamedTuple

from convcost.conventions import EXACT, Convention
from convcost.report import PLAIN, Layout, Units, _text
from convcost.tables import Audience, Kind, Table

if TYPE_CHECKING:
    from convcost.analysis.separable import Comparison
    from convcost.network import Report

PREAMBLE = r"\usepackage{amsmath,array,booktabs,longtable}"


class Style(NamedTuple):
    """How one kind of table is set: a ``longtable`` (``long``: it breaks across pages and
    repeats its header) or a ``tabular``; its font ``size`` and ``gap`` (``\\tabcolsep``, half
    the space between two columns; LaTeX's default is 6pt); the columns it leaves out; and
    ``name_width``, a width in which names wrap after a dot (None: they never wrap)."""

    long: bool = False
    size: str = r"\footnotesize"
    gap: str = "3pt"
    omitted: frozenset[str] = frozenset()
    name_width: str | None = None


# Columns are left out as the terminal drops them first when narrow (report/table.py): a
# layer's type says its kernel ("Conv 3x3"), its input is the row before's output, and FLOPs
# are 2 x MACs (the convention line says so); in ``convcost layer`` each kind's type repeats
# its name and the kernel. All nine columns of mobilenet_v2's per-layer table need 433pt at
# \footnotesize, and the seven of ``convcost layer --k 3`` 465pt at \scriptsize.
LAYERS = Style(
    long=True,
    size=r"\scriptsize",
    gap="2pt",
    omitted=frozenset({"kernel", "input"}),
    name_width=r"0.2\linewidth",
)
KINDS = Style(omitted=frozenset({"type", "input", "flops"}))
SPECS = Style(long=True)
SHORT = Style()
WRAPPED = frozenset({"source"})  # prose: in a longtable, a line of its own under its row

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


def _needs(*packages: str) -> str:
    return f"% LaTeX by convcost; needs \\usepackage{{{','.join(packages)}}} (docs/cli.md)\n"


# --- maths: sympy's LaTeX, spelt as the text formats spell it ---------------------------------


def symbol(name: str) -> str:
    """A symbol's name as LaTeX: ``C_in`` -> ``C_{\\mathrm{in}}`` (the subscript is a label,
    so upright), ``H`` -> ``H``."""
    base, _, label = name.partition("_")
    return rf"{base}_{{\mathrm{{{label}}}}}" if label else base


_DIGITS = re.compile(r"\d{4,}")


def maths(expr: Any, *, inline: bool = True) -> str:
    """A sympy expression (or an int) as LaTeX maths, without the ``$``, for a table cell
    (``inline``: short quotients as ``a / b``) or a displayed formula: sympy's LaTeX with
    products as ``\\cdot`` (the text formats' ``·``), integers grouped (``589{,}824``) and
    symbols by :func:`symbol`. Only a symbolic report comes here, so only it imports sympy."""
    import sympy

    value = sympy.sympify(expr)
    text = sympy.latex(
        value,
        mul_symbol="dot",
        fold_short_frac=inline,
        symbol_names={s: symbol(s.name) for s in value.free_symbols},
    )
    return _DIGITS.sub(lambda m: f"{int(m.group()):,}".replace(",", "{,}"), str(text))


def _atom(expr: Any) -> bool:
    """An int, a symbol or a sympy integer: an operand that needs no parentheses."""
    return isinstance(expr, int) or bool(expr.is_Atom)


def _grouped(expr: Any) -> str:
    """An operand as LaTeX, in parentheses unless it is an atom."""
    if isinstance(expr, int):
        return str(expr)
    return maths(expr) if expr.is_Atom else rf"\left({maths(expr)}\right)"


def _sides(value: Sequence[Any]) -> str:
    """``112{\\times}112{\\times}32``; a side that is not a symbol or an integer in
    parentheses, as :func:`_text.shape` writes it."""
    return r"{\times}".join(_grouped(side) for side in value)


def _quotient(value: Any) -> str:
    """A ratio inline, as the text formats write it: ``265/2304``, or
    ``\\left(C_{\\mathrm{out}} + 9\\right)/\\left(9 \\cdot C_{\\mathrm{out}}\\right)`` where a
    ``\\frac`` would shrink within a table's row."""
    if isinstance(value, Fraction):
        return str(value)
    from sympy import fraction

    numerator, denominator = fraction(value)
    if denominator == 1:
        return maths(numerator)
    return f"{_grouped(numerator)}/{_grouped(denominator)}"


# --- cells and tables -------------------------------------------------------------------------


def _pair(value: Sequence[int] | str | None) -> str:
    if value is None:
        return ""
    return escape(value) if isinstance(value, str) else f"${_sides(value)}$"


def _breakable(text: str) -> str:
    """Text free to break after each dot, for a layer's name (``block17.project.bn``)."""
    return escape(text).replace(".", r".\allowbreak{}")


def _writers(units: Units, named: Mapping[Any, Any]) -> dict[Kind, Callable[[Any], str]]:
    """How each kind of value reads in LaTeX: text escaped, counts grouped (in ``units``),
    symbols and shapes in math mode, each subexpression in ``named`` by its name."""
    counts = _text.count_writer(units)

    def count(value: Any) -> str:
        if isinstance(value, int):
            return counts(value)
        return f"${maths(value.xreplace(named))}$"

    def number(value: Any) -> str:  # never scaled to units
        return _text.human(value) if isinstance(value, int) else f"${maths(value)}$"

    def shape(value: Sequence[Any]) -> str:
        return f"${_sides([named.get(side, side) for side in value] if named else value)}$"

    return {
        Kind.TEXT: escape,
        Kind.COUNT: count,
        Kind.NUMBER: number,
        Kind.BYTES: number,
        Kind.SHARE: lambda value: escape(_text.percent(value)),
        Kind.RATIO: lambda value: f"${_quotient(value)}$",
        Kind.RATE: lambda value: "" if value is None else _text.rate(value),
        Kind.SECONDS: lambda value: f"{value:.3g}",
        Kind.SHAPE: shape,
        Kind.PAIR: _pair,
        Kind.BAR: lambda value: escape(_text.percent(value)),  # a bar is the terminal's
    }


def _begin(style: Style, spec: str, titles: Sequence[str], *, spread: bool = False) -> str:
    """A table's opening, to its header's rule, in a group that sets its size and gap;
    ``spread``, a longtable's columns spread over the line."""
    header = " & ".join(titles) + " \\\\\n"
    group = f"{{{style.size}\\setlength{{\\tabcolsep}}{{{style.gap}}}\n"
    if not style.long:
        return (
            f"{group}\\noindent\\begin{{tabular}}{{@{{}}{spec}@{{}}}}\n"
            f"\\toprule\n{header}\\midrule\n"
        )
    left = "@{}"
    if spread:
        group += "\\setlength{\\LTleft}{0pt}\\setlength{\\LTright}{0pt}\n"
        left = "@{\\extracolsep{\\fill}}"
    return (  # the header again on each page, a rule at the foot of each
        f"{group}\\begin{{longtable}}{{{left}{spec}@{{}}}}\n\\toprule\n{header}\\midrule\n"
        f"\\endfirsthead\n\\toprule\n{header}\\midrule\n\\endhead\n\\bottomrule\n\\endfoot\n"
    )


def _end(style: Style, note: str | None = None) -> str:
    """A table's closing, with ``note`` (a row) under its last rule."""
    below = "" if note is None else f"{note} \\\\\n"
    if not style.long:
        return f"\\bottomrule\n{below}\\end{{tabular}}}}\n"
    return f"{below}\\end{{longtable}}}}\n"


def _table_lines(
    table: Table,
    units: Units = Units.RAW,
    style: Style = SHORT,
    *,
    named: Mapping[Any, Any] | None = None,
    note: str | None = None,
) -> Iterator[str]:
    """``table`` one line at a time, set in ``style``; ``named`` subexpressions are printed
    by their names (:func:`_writers`), and ``note`` is a line under the table."""
    table = table._replace(columns=[c for c in table.columns if c.key not in style.omitted])
    grid = _text.grid(table, units)  # the titles (with the unit) and the alignment
    columns = table.shown(Audience.HUMAN)
    prose = {i for i, c in enumerate(columns) if style.long and c.key in WRAPPED}
    titles = [t for i, t in enumerate(grid.header) if i not in prose]
    spec = "lr"  # a record: a column of titles, one of values
    if not table.record:
        spec = "".join(
            rf">{{\raggedright\arraybackslash\hangindent=1em}}p{{{style.name_width}}}"
            if c.key == "name" and style.name_width is not None
            else "r"
            if title in grid.numeric
            else "l"
            for i, (c, title) in enumerate(zip(columns, grid.header, strict=True))
            if i not in prose
        )
    # a line of prose spans the line, so the columns above it spread over it too
    yield _begin(style, spec, [escape(title) for title in titles], spread=bool(prose))
    writers = _writers(units, named or {})
    if table.record:
        rows: Iterator[Sequence[str]] = ([escape(cell) for cell in row] for row in grid.rows)
    elif style.name_width is not None:
        rows = table.written(Audience.HUMAN, {**writers, Kind.TEXT: _breakable})
    else:
        rows = table.written(Audience.HUMAN, writers)
    line = (
        f"\\multicolumn{{{len(titles)}}}{{@{{\\quad}}"
        r">{\raggedright\arraybackslash}p{0.75\linewidth}@{}}"
    )
    for row in rows:
        yield " & ".join(cell for i, cell in enumerate(row) if i not in prose) + " \\\\\n"
        yield from (f"{line}{{{row[i]}}} \\\\\n" for i in sorted(prose) if row[i])
    footer = table.footer(Audience.HUMAN)
    if footer is not None:
        cells = [
            "" if v is None else escape(v) if isinstance(v, str) else writers[c.kind](v)
            for i, (c, v) in enumerate(zip(columns, footer, strict=True))
            if i not in prose
        ]
        yield "\\midrule\n" + " & ".join(cells) + " \\\\\n"
    yield _end(
        style, None if note is None else f"\\multicolumn{{{len(titles)}}}{{@{{}}l@{{}}}}{{{note}}}"
    )


def _table(table: Table, units: Units = Units.RAW, style: Style = SHORT, **options: Any) -> str:
    return "".join(_table_lines(table, units, style, **options))


def network(
    report: Report, *, by_type: bool = False, terms: bool = False, layout: Layout = PLAIN
) -> str:
    """Per-layer longtable with a total row, totals, breakdown by type, with ``terms`` the
    cost terms; the title and notes as comments."""
    return "".join(network_chunks(report, by_type=by_type, terms=terms, layout=layout))


def network_chunks(
    report: Report, *, by_type: bool = False, terms: bool = False, layout: Layout = PLAIN
) -> Iterator[str]:
    """:func:`network` in pieces, the per-layer table line by line, for writing as made."""
    notes = _text.report_notes(report, PLAIN if by_type else layout)
    packages = ("booktabs",) if by_type else ("array", "booktabs", "longtable")
    comments = "".join(f"% {escape(line)}\n" for line in [_text.title(report), *notes])
    yield _needs(*packages) + comments + "\n"
    if not by_type:
        layers = report.layer_table(layout.view)
        yield from _table_lines(layers, layout.units, LAYERS)
        yield "\n"
    yield _table(report.totals_table(), layout.units) + "\n"
    yield _table(report.by_type_table(), layout.units)
    if terms:
        table = report.terms_table()
        yield f"\n% {escape(table.title)}\n" + _table(table, layout.units)


def _output_names(c: Comparison) -> dict[Any, Any]:
    """The output's height and width by name (``H_out``, ``W_out``) where they are
    expressions: ``589{,}824 \\cdot H_{\\mathrm{out}} \\cdot W_{\\mathrm{out}}`` fits a
    column where ``589{,}824 \\cdot \\lceil H/2 \\rceil \\cdot \\lceil W/2 \\rceil`` would not."""
    sides = c.row("standard").output[:2]
    if all(_atom(side) for side in sides):
        return {}
    import sympy

    return {
        side: sympy.Symbol(f"{axis}_out", positive=True, integer=True)
        for side, axis in zip(sides, "HW", strict=True)
        if not _atom(side)
    }


def _ratio_lines(c: Comparison) -> Iterator[str]:
    """R = separable / standard, exact and as a decimal, beside 1/(K_h K_w) + 1/C_out: the
    rows of :func:`_text.ratio_lines`, in math mode."""
    kh, kw = c.kernel

    def exact(value: Any) -> str:
        shown = _text.decimal(value)
        return _quotient(value) if shown is None else f"{value} = {shown}"

    approximation = f"1/{kh * kw} + 1/{maths(c.cout)} = {exact(c.approximation)}"
    kernel = r"1/(K_{\mathrm{h}} \cdot K_{\mathrm{w}}) + 1/C_{\mathrm{out}}"
    yield _begin(SHORT, "ll", ["$R$ = separable / standard", "value"])
    yield f"$R$ (MACs) & ${exact(c.macs_ratio)}$ \\\\\n"
    yield f"$R$ (params) & ${exact(c.params_ratio)}$ \\\\\n"
    yield f"${kernel}$ & ${approximation}$ \\\\\n"
    yield _end(SHORT)


def comparison(c: Comparison, layout: Layout = PLAIN) -> str:
    """The four kinds side by side, then R; the output's sides by name where they are
    expressions, defined under the table."""
    named = _output_names(c)
    note = None
    if named:
        note = "where " + ", ".join(
            f"${maths(name)} = {maths(side)}$" for side, name in named.items()
        )
    return "\n".join(
        [
            _needs("booktabs")
            + f"% convcost layer: {escape(_text.comparison_title(c))}\n"
            + f"% {escape(_text.convention_note(c.convention))}\n",
            _table(c.kinds_table(), layout.units, KINDS, named=named, note=note),
            "".join(_ratio_lines(c)),
        ]
    )


def zoo(reports: Sequence[Report], layout: Layout = PLAIN) -> str:
    """The shipped specs as one longtable, each source on a line under its spec."""
    return "\n".join(
        [
            _needs("array", "booktabs", "longtable") + f"% {escape(_text.CONVENTION_NOTE)}\n",
            _table(_text.zoo_table(reports), layout.units, SPECS),
        ]
    )


def table(
    data: Table,
    notes: Sequence[str] = (),
    convention: Convention | None = EXACT,
    layout: Layout = PLAIN,
) -> str:
    """Any one table as a longtable; its title, notes and convention (none with
    ``convention=None``) as comments."""
    lines = [data.title] if data.title else []
    lines += [*notes, *([] if convention is None else [_text.convention_note(convention)])]
    return (
        _needs("array", "booktabs", "longtable")
        + "".join(f"% {escape(line)}\n" for line in lines)
        + "\n"
        + _table(data, layout.units, SPECS)
    )
