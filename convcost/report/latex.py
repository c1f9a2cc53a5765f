"""LaTeX ``tabular`` (booktabs rules) for papers; numbers with thousands separators."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from convcost.report import _text

if TYPE_CHECKING:
    from convcost.analysis.separable import Comparison
    from convcost.network import Report

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
}


def escape(text: str) -> str:
    """Escape LaTeX's special characters; ``·`` (a symbolic product) becomes ``\\cdot``."""
    out = "".join(_SPECIAL.get(ch, ch) for ch in text)
    return out.replace("·", r"$\cdot$")


def _table(grid: _text.Grid) -> str:
    header, numeric, rows, footer = grid.header, grid.numeric, grid.rows, grid.footer
    spec = "".join("r" if name in numeric else "l" for name in header)
    lines = [
        f"\\begin{{tabular}}{{{spec}}}",
        r"\toprule",
        " & ".join(escape(name) for name in header) + r" \\",
        r"\midrule",
    ]
    lines += [" & ".join(escape(cell) for cell in row) + r" \\" for row in rows]
    if footer is not None:
        lines += [r"\midrule", " & ".join(escape(cell) for cell in footer) + r" \\"]
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines) + "\n"


def network(report: Report, *, by_type: bool = False) -> str:
    """Per-layer tabular with a total row, totals, breakdown by type; needs ``booktabs``."""
    parts = [f"% {escape(_text.title(report))}", f"% {escape(_text.CONVENTION_NOTE)}\n"]
    if not by_type:
        parts.append(_table(_text.layers_grid(report)))
    parts += [_table(_text.totals_grid(report)), _table(_text.by_type_grid(report))]
    return "\n".join(parts)


def comparison(c: Comparison) -> str:
    """The four kinds side by side, then R."""
    return "\n".join(
        [
            f"% convcost layer: {escape(_text.comparison_title(c))}",
            f"% {escape(_text.CONVENTION_NOTE)}\n",
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
