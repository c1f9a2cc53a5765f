"""``convcost formula``: the derived formulas as Unicode (sympy's pretty printer) or LaTeX."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any


def render(derived: Mapping[str, Mapping[str, Any]], *, latex: bool = False) -> str:
    """One block per kind: its name, then ``label = formula`` lines.

    ``derived`` maps a kind (``standard``, ``ratio``, ...) to ``formulas.derive(kind)``. Symbols
    print as named, ``C_in`` and ``K_h·K_w`` in Unicode (sympy would subscript the h but not
    the w, which has no subscript letter), ``C_{\\mathrm{in}}`` in LaTeX. The LaTeX is one
    ``align*`` per kind, for a document with ``\\usepackage{amsmath}``.
    """
    return _latex(derived) if latex else _unicode(derived)


# A label that opens with a symbol's name (R, H_out) sets it as the symbol.
_SYMBOL = re.compile(r"[A-Z](?:_[a-z]+)?")


def _label(label: str) -> str:
    """``R (MACs)`` -> ``R\\text{ (MACs)}``, ``params`` -> ``\\text{params}``."""
    from convcost.report.latex import escape, symbol

    first, space, rest = label.partition(" ")
    if not _SYMBOL.fullmatch(first):
        return f"\\text{{{escape(label)}}}"
    return symbol(first) + (f"\\text{{ {escape(rest)}}}" if space else "")


def _latex(derived: Mapping[str, Mapping[str, Any]]) -> str:
    from convcost.report.latex import maths

    blocks = ["% LaTeX by convcost; needs \\usepackage{amsmath} (docs/cli.md)\n"]
    for kind, formulas in derived.items():
        lines = [
            f"{_label(label)} &= {maths(expr, inline=False)}" for label, expr in formulas.items()
        ]
        body = " \\\\\n".join(lines)
        blocks.append(f"% {kind}\n\\begin{{align*}}\n{body}\n\\end{{align*}}\n")
    return "\n".join(blocks)


def _unicode(derived: Mapping[str, Mapping[str, Any]]) -> str:
    from sympy.printing.pretty.pretty import PrettyPrinter
    from sympy.printing.pretty.pretty_symbology import pretty_use_unicode
    from sympy.printing.pretty.stringpict import prettyForm

    class Printer(PrettyPrinter):  # type: ignore[misc]  # sympy has no type hints
        def _print_Symbol(self, expr: Any, bold_name: bool = False) -> Any:
            return prettyForm(expr.name)

    printer = Printer({"use_unicode": True, "wrap_line": False})
    # sympy keeps one global switch for Unicode symbols, set at import from the encoding of
    # stdout: with PYTHONIOENCODING=ascii its ASCII tables lack the floor brackets (KeyError
    # 'lfloor'). We always write UTF-8 (cli.py), so switch it on while printing.
    unicode_before = pretty_use_unicode(True)
    try:
        blocks = []
        for kind, formulas in derived.items():
            lines = [kind]
            for label, expr in formulas.items():
                form = printer._print(expr)
                prefix = f"  {label} = "
                for i, line in enumerate(form.render(wrap_line=False).split("\n")):
                    lead = prefix if i == form.baseline else " " * len(prefix)
                    lines.append((lead + line).rstrip())
            blocks.append("\n".join(lines) + "\n")
    finally:
        pretty_use_unicode(unicode_before)
    return "\n".join(blocks)
