"""``convcost formula``: the derived formulas as Unicode (sympy's pretty printer) or LaTeX."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def render(derived: Mapping[str, Mapping[str, Any]], *, latex: bool = False) -> str:
    """One block per kind: its name, then ``label = formula`` lines.

    ``derived`` maps a kind (``standard``, ``ratio``, ...) to ``formulas.derive(kind)``.
    """
    import sympy
    from sympy.printing.pretty.pretty import PrettyPrinter
    from sympy.printing.pretty.pretty_symbology import pretty_use_unicode

    from convcost.report.latex import escape

    # sympy keeps one global switch for Unicode symbols, set at import from the encoding of
    # stdout: with PYTHONIOENCODING=ascii its ASCII tables lack the floor brackets (KeyError
    # 'lfloor'). We always write UTF-8 (cli.py), so switch it on while printing.
    unicode_before = pretty_use_unicode(True)
    try:
        blocks = []
        for kind, formulas in derived.items():
            lines = [f"% {kind}" if latex else kind]
            for label, expr in formulas.items():
                if latex:
                    lines.append(f"\\text{{{escape(label)}}} = {sympy.latex(expr)}")
                    continue
                form = PrettyPrinter({"use_unicode": True, "wrap_line": False})._print(expr)
                prefix = f"  {label} = "
                for i, line in enumerate(form.render(wrap_line=False).split("\n")):
                    lead = prefix if i == form.baseline else " " * len(prefix)
                    lines.append((lead + line).rstrip())
            blocks.append("\n".join(lines) + "\n")
    finally:
        pretty_use_unicode(unicode_before)
    return "\n".join(blocks)
