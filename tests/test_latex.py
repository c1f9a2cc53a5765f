"""LaTeX that a paper ``\\input``s: each output compiles with pdflatex in an article with the
documented preamble (docs/cli.md, "LaTeX"), with no error and no overfull box; symbols and
counts are in math mode; each fragment names the packages it needs.

The compiling tests are skipped where pdflatex is missing; on Debian and Ubuntu,
``apt-get install --no-install-recommends texlive-latex-base texlive-latex-recommended``
brings it, with every package of the preamble.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from convcost import cli, network, spec
from convcost.report import Layout, Units, latex
from convcost.views import View

runner = CliRunner()
needs_pdflatex = pytest.mark.skipif(shutil.which("pdflatex") is None, reason="needs pdflatex")

# The article a paper starts from: 345pt of text width at 10pt, and the documented preamble.
ARTICLE = (
    "\\documentclass{article}\n"
    f"{latex.PREAMBLE}\n"
    "\\begin{document}\n\\input{fragment}\n\\end{document}\n"
)

# Every command and flag that changes what the LaTeX holds: the must-show list of issue 13,
# the long and wide per-layer tables (shufflenet's 36-character names, vgg16's 14-digit
# MACs, xception's 299x299 shapes), every row (--all) and the compact default.
COMMANDS = [
    ["net", "mobilenet_v1"],
    ["net", "mobilenet_v2"],
    ["net", "mobilenet_v2", "--all"],
    ["net", "resnet50"],
    ["net", "resnet50", "--all"],
    ["net", "shufflenet_v2_x1_0", "--all"],
    ["net", "vgg16", "--all"],
    ["net", "xception", "--all"],
    ["net", "mobilenet_v2", "--by-type"],
    ["net", "mobilenet_v1", "--terms", "--convention", "fvcore"],
    ["net", "mobilenet_v1", "--alpha", "0.5"],
    ["zoo"],
    ["sweep", "mobilenet_v2", "--alpha", "1.4,1,0.75,0.5,0.35", "--resolution", "224..96/32"],
    ["layer", "--k", "3", "--cin", "256", "--cout", "256"],
    ["layer", "--k", "3", "--cin", "256", "--cout", "256", "--h", "56", "--w", "56"],
    ["layer", "--k", "3"],
    ["layer", "--k", "3", "--cin", "256", "--cout", "256", "--stride", "2"],
    ["layer", "--k", "3", "--stride", "2", "--padding", "1"],
    ["layer", "--k", "1x7", "--cin", "3", "--cout", "4", "--h", "9", "--stride", "2x1"],
    ["layer", "--k", "5", "--cin", "8", "--cout", "16", "--groups", "2", "--bias"],
]


def _latex(*args: str) -> str:
    is_formula = args[0] == "formula"
    result = runner.invoke(cli.app, [*args, "--latex"] if is_formula else [*args, "-f", "latex"])
    assert result.exit_code == 0, result.output
    return result.stdout


def _problems(fragment: str, folder: Path) -> list[str]:
    """The errors and overfull boxes of ``fragment`` ``\\input`` into :data:`ARTICLE`, each
    with the lines of the log that say where. Twice, as a longtable sets its widths from the
    first run."""
    (folder / "fragment.tex").write_text(fragment, encoding="utf-8")
    (folder / "paper.tex").write_text(ARTICLE, encoding="utf-8")
    for _ in range(2):
        done = subprocess.run(
            ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "paper.tex"],
            cwd=folder,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
    log = (folder / "paper.log").read_text(encoding="utf-8", errors="replace").splitlines()
    found = [
        "\n".join(log[i : i + 3])
        for i, line in enumerate(log)
        if line.startswith("!") or re.match(r"Overfull \\[hv]box", line)
    ]
    assert found or done.returncode == 0, done.stdout[-2000:]
    return found


@needs_pdflatex
@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_report_compiles_and_fits(args: list[str], tmp_path: Path) -> None:
    assert _problems(_latex(*args), tmp_path) == []


@needs_pdflatex
@pytest.mark.parametrize("kind", ["", "standard", "ratio", "output-size"])
@pytest.mark.parametrize("dims", ["2", "1", "3"])
def test_formulas_compile_when_input(kind: str, dims: str, tmp_path: Path) -> None:
    """``formula --latex`` is maths in ``align*``: it compiles as a paragraph of a paper (it
    stopped on "Missing $ inserted" when it was bare maths), in every dimension."""
    args = ["formula", *filter(None, [kind]), "--dims", dims]
    assert _problems(_latex(*args), tmp_path) == []


@needs_pdflatex
def test_every_shipped_spec_fits_every_row_and_unit(tmp_path: Path) -> None:
    """Every spec of the zoo, every row, in raw counts and in millions: one document."""
    fragments = []
    for name in spec.zoo_names():
        report = network.walk(spec.load(spec.resolve(name)[0]))
        fragments.append(latex.network(report, terms=True))
        fragments.append(latex.network(report, layout=Layout(View(fold=True), Units.M)))
    assert _problems("\n".join(fragments), tmp_path) == []


def test_each_fragment_names_its_packages_and_the_preamble_has_them() -> None:
    documented = set(re.search(r"\{(.*)\}", latex.PREAMBLE).group(1).split(","))  # type: ignore[union-attr]
    for args in [*COMMANDS, ["formula"]]:
        text = _latex(*args)
        named = re.match(
            r"% LaTeX by convcost; needs \\usepackage\{(.*)\} \(docs/cli\.md\)\n", text
        )
        assert named is not None, args
        assert set(named.group(1).split(",")) <= documented, args
        assert "\\documentclass" not in text and "\\begin{document}" not in text


def test_symbols_and_formulas_are_maths() -> None:
    symbolic = _latex("layer", "--k", "3")
    assert r"$9 \cdot C_{\mathrm{in}} \cdot C_{\mathrm{out}} \cdot H \cdot W$" in symbolic
    assert r"$H{\times}W{\times}C_{\mathrm{out}}$" in symbolic
    assert "C\\_in" not in symbolic.split("\n\n", 1)[1]  # only the title comment spells it
    counts = _latex("layer", "--k", "3", "--cin", "256", "--cout", "256")
    assert r"$589{,}824 \cdot H \cdot W$" in counts
    formulas = _latex("formula", "ratio")
    assert "\\begin{align*}" in formulas and "\\end{align*}" in formulas
    assert r"R\text{ (MACs)} &= \frac{C_{\mathrm{out}} + K_{\mathrm{h}} \cdot K_{\mathrm{w}}}" in (
        formulas
    )


def test_a_strided_symbolic_layer_names_its_output_size() -> None:
    """ceiling(H/2) in every count would not fit a column: the table writes H_out and says
    what it is beneath."""
    text = _latex("layer", "--k", "3", "--cin", "256", "--cout", "256", "--stride", "2")
    assert r"$589{,}824 \cdot H_{\mathrm{out}} \cdot W_{\mathrm{out}}$" in text
    assert (
        r"where $H_{\mathrm{out}} = \left\lceil{H / 2}\right\rceil$, "
        r"$W_{\mathrm{out}} = \left\lceil{W / 2}\right\rceil$"
    ) in text


def test_the_per_layer_table_breaks_across_pages_and_repeats_its_header() -> None:
    text = _latex("net", "resnet50", "--all")
    assert text.count("\\begin{longtable}") == 1
    header = "name & category & output & stride & params & MACs & MACs \\% \\\\\n"
    assert text.count(header) == 2 and "\\endhead" in text
    assert r"conv2\_x.\allowbreak{}1.\allowbreak{}downsample.\allowbreak{}bn & " in text
