"""Pictures (``--plot FILE``, issue 15): each kind drawn to PNG and SVG and read back.

An image is checked as its format defines it (PNG: the signature and the IHDR chunk's width
and height; SVG: XML with an ``<svg>`` root that has a width and a height), and for what it
shows: the layer names and types of a per-layer plot, the Pareto front's labels of a sweep
(``Sweep.pareto()``, itself checked against a brute-force recount), the networks and layer
types of a comparison. Without matplotlib only the first test runs: ``--plot`` says how to
install it.
"""

from __future__ import annotations

import os
import runpy
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from convcost import cli, spec
from convcost.analysis.compare import versus
from convcost.analysis.sweep import Sweep, SweepRow, sweep
from convcost.network import Totals, walk
from convcost.views import View

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "images"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SVG = "{http://www.w3.org/2000/svg}"
runner = CliRunner()


def run(*args: str) -> Result:
    return runner.invoke(cli.app, list(args))


def _load(name: str) -> spec.Spec:
    path, shown = spec.resolve(name)
    return spec.load(path, shown=shown)


def test_without_matplotlib_plot_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` fails
    target = tmp_path / "net.png"
    for argv in (
        ["net", "mobilenet_v1"],
        ["sweep", "mobilenet_v1", "--alpha", "1,0.5"],
        ["compare", "mobilenet_v1", "mobilenet_v2"],
        ["layer", "--k", "3,5", "--cin", "8", "--cout", "8"],
    ):
        result = run(*argv, "--plot", str(target))
        assert result.exit_code == 1
        assert result.stderr == "error: --plot needs matplotlib: pip install 'convcost[plot]'\n"
        assert result.stdout == ""  # before any work: no table either
    assert list(tmp_path.iterdir()) == []


# --- the Pareto front: no matplotlib needed ---------------------------------------------------


def _dominated(row: Any, rows: Any) -> bool:
    """Brute force: another variant has fewer-or-equal MACs and more-or-equal params,
    strictly one."""
    return any(
        o.macs <= row.macs
        and o.params >= row.params
        and (o.macs < row.macs or o.params > row.params)
        for o in rows
    )


def _front(rows: Any) -> list[Any]:
    """The unbeaten rows, fewest MACs first (most params first among equal MACs)."""
    unbeaten = [r for r in rows if not _dominated(r, rows)]
    return sorted(unbeaten, key=lambda r: (r.macs, -r.params))


def _sweep_of(points: list[tuple[int, int]]) -> Sweep:
    rows = tuple(
        SweepRow(Fraction(i + 1), (i + 1, i + 1), Totals(params, 0, macs), Fraction(1), Fraction(1))
        for i, (params, macs) in enumerate(points)
    )
    return Sweep("fake", (1, 1, 1), rows, rows[0], False)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=1, max_size=12))
def test_pareto_is_the_brute_force_front(points: list[tuple[int, int]]) -> None:
    result = _sweep_of(points)
    front = result.pareto()
    assert {id(r) for r in front} == {id(r) for r in _front(result.rows)}
    assert len(front) == len({id(r) for r in front})  # each once
    assert [(r.macs, -r.params) for r in front] == sorted((r.macs, -r.params) for r in front)


def test_pareto_keeps_ties_and_drops_the_beaten() -> None:
    # (params, macs): (3, 1) has the fewest MACs; (4, 5) ties (4, 5) and beats (2, 5) and
    # (3, 2)'s params do not beat (3, 1)'s; (5, 9) has the most params
    result = _sweep_of([(5, 9), (2, 5), (4, 5), (4, 5), (3, 1), (3, 2)])
    assert [(r.params, r.macs) for r in result.pareto()] == [(3, 1), (4, 5), (4, 5), (5, 9)]


def test_a_mobilenet_sweeps_front_is_its_lowest_resolution() -> None:
    # params do not depend on the resolution and grow with alpha, MACs grow with both: for a
    # MACs budget the most params come from the widest network at the lowest resolution.
    result = sweep(_load("mobilenet_v2"), [1.4, 1, 0.75, 0.5, 0.35], [224, 192, 160, 128, 96])
    front = ["0.35/96", "0.5/96", "0.75/96", "1/96", "1.4/96"]
    assert [r.label for r in result.pareto()] == front == [r.label for r in _front(result.rows)]
    assert result.row(0.35, 96).macs == 11_934_128  # torchvision's (tests/test_sweep.py)


def test_a_variants_label_is_alpha_over_resolution() -> None:
    result = sweep(_load("mobilenet_v1"), [Fraction(3, 4)], [(160, 128)])
    assert [r.label for r in result.rows] == ["0.75/160x128"]


# --- images ------------------------------------------------------------------------------------


def _png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which the PNG standard puts first."""
    assert data[:8] == PNG_SIGNATURE
    length, kind = struct.unpack(">I4s", data[8:16])
    assert (length, kind) == (13, b"IHDR")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _svg(data: bytes) -> ET.Element:
    root = ET.fromstring(data)
    assert root.tag == f"{SVG}svg"
    width, height = (float(root.get(a, "0").removesuffix("pt")) for a in ("width", "height"))
    assert 300 <= width <= 3000 and 200 <= height <= 3000, (width, height)
    return root


def _texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()).strip() for t in root.iter(f"{SVG}text")]


def _check_png(data: bytes) -> None:
    width, height = _png_size(data)
    assert 400 <= width <= 4000 and 300 <= height <= 4000, (width, height)


@pytest.fixture(scope="module")
def plotting() -> Any:
    pytest.importorskip("matplotlib")
    from convcost.report import plot

    return plot


@pytest.fixture(scope="module")
def mobilenet_v1() -> Any:
    return walk(_load("mobilenet_v1"))


@pytest.mark.parametrize(
    ("view", "rows"),
    [(View(fold=True), 29), (View(fold=True, depth=1), 16), (View(fold=True, top=5), 5)],
)
def test_network_plot_has_a_bar_per_row_of_the_view(
    plotting: Any, mobilenet_v1: Any, view: View, rows: int
) -> None:
    shown = list(mobilenet_v1.layer_table(view).rows)
    assert len(shown) == rows
    svg = _svg(plotting.image(plotting.network_figure(mobilenet_v1, view), "svg"))
    texts = _texts(svg)
    assert [t for t in texts if t in {r.name for r in shown}] == [r.name for r in shown]
    for category in {r.category for r in shown}:  # the legend names each layer type
        assert category in texts
    if view.top is None:
        # one bar per row in each of the two panels: Agg's SVG writes bars as paths with ids
        bars = [g for g in svg.iter(f"{SVG}g") if (g.get("id") or "").startswith("patch_")]
        assert len(bars) >= 2 * rows


def test_network_plot_png(plotting: Any, mobilenet_v1: Any) -> None:
    data = plotting.image(plotting.network_figure(mobilenet_v1, View(fold=True)), "png")
    _check_png(data)
    assert b"Software" not in data[:4096]  # no version in the metadata: the same bytes


def test_many_rows_label_every_nth(plotting: Any) -> None:
    report = walk(_load("resnet50"))
    assert len(report.rows) > 2 * plotting.MAX_LABELS
    texts = _texts(_svg(plotting.image(plotting.network_figure(report), "svg")))
    names = [t for t in texts if t in {r.name for r in report.rows}]
    assert plotting.MAX_LABELS // 2 <= len(names) <= plotting.MAX_LABELS
    assert names[0] == report.rows[0].name


def test_sweep_plot_marks_the_brute_force_front(plotting: Any) -> None:
    result = sweep(_load("mobilenet_v1"), [1, 0.75, 0.5], [224, 160, 128])
    figure = plotting.sweep_figure(result)
    svg = _svg(plotting.image(figure, "svg"))
    marked = [
        "".join(g.itertext()).strip()
        for g in svg.iter(f"{SVG}g")
        if (g.get("id") or "").startswith("pareto-")
    ]
    assert marked == [r.label for r in result.pareto()] == [r.label for r in _front(result.rows)]
    texts = _texts(svg)
    assert {r.label for r in result.rows} <= set(texts)  # every variant labelled
    _check_png(plotting.image(figure, "png"))


def test_a_front_of_several(plotting: Any) -> None:
    result = _sweep_of([(1, 1), (3, 2), (2, 3), (4, 5), (3, 6)])
    svg = _svg(plotting.image(plotting.sweep_figure(result), "svg"))
    marked = [
        "".join(g.itertext()).strip()
        for g in svg.iter(f"{SVG}g")
        if (g.get("id") or "").startswith("pareto-")
    ]
    # (params, MACs): 3/3 is beaten by 2/2 (more params for fewer MACs), 5/5 by 4/4
    assert marked == ["1/1", "2/2", "4/4"]


def test_comparison_plot(plotting: Any, mobilenet_v1: Any) -> None:
    result = versus([mobilenet_v1, walk(_load("mobilenet_v2"))])
    figure = plotting.comparison_figure(result)
    texts = _texts(_svg(plotting.image(figure, "svg")))
    assert {"mobilenet_v1", "mobilenet_v2"} <= set(texts)
    with_macs = {name for name, macs in result.by_type() if any(macs)}
    assert with_macs == {"Conv 1x1", "Conv DW 3x3", "Conv 3x3", "Fully connected"}
    assert with_macs <= set(texts) and "BatchNorm" not in texts  # no MACs, no segment
    _check_png(plotting.image(figure, "png"))


def test_layer_grid_plot_draws_r_and_its_floor(plotting: Any) -> None:
    from convcost.analysis.grid import grid

    layers = grid(k=[3, 5], cin=32, cout=[16, 64, 256, 1024], h=[28, 56], w=56)
    figure = plotting.layer_grid_figure(layers)
    lines = {line.get_label(): line for line in figure.axes[0].get_lines()}
    for k in (3, 5):
        # one point per Cout (H does not change R), at R = 1/K^2 + 1/Cout (MobileNet 3.1)
        x, y = lines[f"K = {k}"].get_data()
        assert list(x) == [16, 64, 256, 1024]
        assert list(y) == [float(Fraction(1, k * k) + Fraction(1, c)) for c in x]
    dashed = [line for line in figure.axes[0].get_lines() if line.get_linestyle() == "--"]
    floors = sorted(float(line.get_ydata()[0]) for line in dashed)
    assert floors == [1 / 25, 1 / 9]  # the dashed 1/K^2 of each kernel
    texts = _texts(_svg(plotting.image(figure, "svg")))
    assert {"K = 3", "K = 5", "1/9", "1/25"} <= set(texts)
    _check_png(plotting.image(figure, "png"))


def test_layer_plot_from_the_command_line(plotting: Any, tmp_path: Path) -> None:
    target = tmp_path / "r.svg"
    argv = ["layer", "--k", "3,5,7", "--cin", "32", "--cout", "16..1024*2"]
    result = run(*argv, "--plot", str(target))
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == run(*argv).stdout
    assert {"K = 3", "K = 5", "K = 7", "1/49"} <= set(_texts(_svg(target.read_bytes())))
    one = run("layer", "--k", "3", "--cin", "32", "--cout", "16", "--plot", str(target))
    assert one.exit_code == 2
    assert one.stderr == (
        "error: Invalid value for '--plot': draws R over a grid: give --cin, --cout and a list "
        "(16..1024*2)\n"
    )


def test_the_same_figure_gives_the_same_bytes(plotting: Any, mobilenet_v1: Any) -> None:
    for fmt in ("svg", "png"):
        one, two = (
            plotting.image(plotting.network_figure(mobilenet_v1, View(top=3)), fmt)
            for _ in range(2)
        )
        assert one == two
        assert b"Matplotlib v" not in one  # nor a version: a new release changes no file


# --- the command line --------------------------------------------------------------------------


def test_plot_beside_the_table(plotting: Any, tmp_path: Path) -> None:
    target = tmp_path / "mnv1.svg"
    result = run("net", "mobilenet_v1", "--depth", "1", "--plot", str(target))
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == run("net", "mobilenet_v1", "--depth", "1").stdout  # unchanged
    texts = _texts(_svg(target.read_bytes()))
    assert "block13" in texts and "block1.dw" not in texts  # the view's rows
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mnv1.svg"]  # no temp file left


@pytest.mark.parametrize(
    "argv",
    [
        ["net", "mobilenet_v1", "--top", "3"],
        ["sweep", "mobilenet_v1", "--alpha", "1,0.5", "--resolution", "224,128"],
        ["compare", "mobilenet_v1", "mobilenet_v1@0.5"],
    ],
)
def test_every_command_plots_png(plotting: Any, tmp_path: Path, argv: list[str]) -> None:
    target = tmp_path / "out.PNG"  # the extension in any case
    result = run(*argv, "--plot", str(target), "-o", str(tmp_path / "out.txt"))
    assert (result.exit_code, result.stderr, result.stdout) == (0, "", "")
    _check_png(target.read_bytes())
    assert (tmp_path / "out.txt").stat().st_size > 0


def test_an_existing_plot_needs_force(plotting: Any, tmp_path: Path) -> None:
    target = tmp_path / "out.svg"
    target.write_bytes(b"mine")
    result = run("net", "mobilenet_v1", "--plot", str(target))
    assert (result.exit_code, result.stdout) == (1, "")  # before any work
    assert result.stderr == f"error: {target}: exists; add --force to replace it\n"
    assert target.read_bytes() == b"mine"
    assert run("net", "mobilenet_v1", "--plot", str(target), "--force").exit_code == 0
    _svg(target.read_bytes())


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["net", "mobilenet_v1", "--plot", "out.jpg"],
            "Invalid value for '--plot': 'out.jpg': end the file name in .png or .svg",
        ),
        (
            ["net", "mobilenet_v1", "--plot", "out"],
            "Invalid value for '--plot': 'out': end the file name in .png or .svg",
        ),
        (
            ["net", "mobilenet_v1", "--as", "standard", "--plot", "out.png"],
            "Invalid value for '--plot': draws the network as written; leave out --as",
        ),
        (
            ["net", "mobilenet_v1", "-f", "csv", "-o", "x.svg", "--plot", "x.svg"],
            "Invalid value for '--plot': names the --output file; give each its own",
        ),
    ],
)
def test_bad_plot_flags(
    plotting: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run(*argv)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"error: {message}\n")
    assert list(tmp_path.iterdir()) == []


def test_a_plot_that_cannot_be_written_is_one_line(plotting: Any, tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "folder.png"
    result = run("net", "mobilenet_v1", "--plot", str(target))
    assert result.exit_code == 1
    assert result.stderr == f"error: {target}: cannot write: No such file or directory\n"


def test_plot_in_a_real_process(plotting: Any, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "convcost", "sweep", "mobilenet_v1", "--alpha", "1,0.5",
         "--plot", "sweep.png", "-f", "csv"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("alpha,resolution,params")
    _check_png((tmp_path / "sweep.png").read_bytes())


def test_the_core_never_imports_matplotlib() -> None:
    from test_cli import _modules_after

    modules = _modules_after(["net", "configs/mobilenet_v1.yaml", "--depth", "1"])
    assert "convcost.network" in modules  # the command really ran
    assert not {m for m in modules if m.split(".")[0] == "matplotlib"}


# --- README's pictures -------------------------------------------------------------------------


def test_readmes_pictures_come_from_the_script(plotting: Any, tmp_path: Path) -> None:
    made = runpy.run_path(str(IMAGES / "make.py"))["make"](tmp_path)
    committed = sorted(p.name for p in IMAGES.iterdir() if p.suffix in (".png", ".svg"))
    assert sorted(p.name for p in made) == committed == sorted(os.listdir(tmp_path))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for path in made:
        assert f"(docs/images/{path.name})" in readme
        root = _svg(path.read_bytes())
        assert len(path.read_bytes()) < 150_000
        assert _texts(root)


def test_a_per_layer_plot_of_more_rows_than_bars_is_refused(tmp_path: Path) -> None:
    """2,001 rows (5,000 take matplotlib about 10 s): one line naming --plot, before any
    drawing, and no file; --top brings it back within the bound."""
    pytest.importorskip("matplotlib")  # without it, --plot stops at the install hint
    from convcost.report.plot import MAX_BARS

    spec_file = tmp_path / "long.yaml"
    spec_file.write_text(
        f"input: [8, 8, 3]\nlayers:\n  - conv: {{c: 8, k: 3, n: {MAX_BARS + 1}}}\n",
        encoding="utf-8",
    )
    target = tmp_path / "long.png"
    result = run("net", str(spec_file), "--plot", str(target))
    assert result.exit_code == 2
    assert result.stderr == (
        "error: Invalid value for '--plot': 2,001 rows is more than 2,000 bars; group them "
        "with --depth N or keep the costliest with --top K\n"
    )
    assert not target.exists()
