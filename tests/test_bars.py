"""The terminal's bar column (issue 15, item 5): each row's MACs as a share, drawn in eighths of
a cell (``#`` cells in ASCII), exact; a bar only the plain table draws, and the first column
dropped after the kernel when the table does not fit.

Each bar is checked against a recount here: the nearest number of eighths found by trying
every length, ties to the even one, never the renderer's ``round``.
"""

from __future__ import annotations

import csv
import io
import json
from fractions import Fraction

import pytest
from typer.testing import CliRunner

from convcost import spec
from convcost.analysis.sweep import sweep
from convcost.cli import app
from convcost.report import Format, Layout, _text, renderer
from convcost.report import table as terminal

runner = CliRunner()
PARTS = "▏▎▍▌▋▊▉"  # one to seven eighths of a cell


def nearest(share: Fraction, steps: int) -> int:
    """The whole number of steps (of ``steps`` in a full bar) nearest to ``share``, ties to
    the even one, by trying each; at least one for a share above 0."""
    best = min(range(steps + 1), key=lambda n: (abs(Fraction(n, steps) - share), n % 2))
    return 1 if share > 0 and best == 0 else best


def eighths(drawn: str) -> int:
    """The length of a drawn bar in eighths of a cell: full cells, then at most one part."""
    body = drawn.strip()
    full = len(body) - len(body.lstrip("█"))
    rest = body[full:]
    assert len(rest) <= 1 and all(ch in PARTS for ch in rest), drawn
    return 8 * full + (PARTS.index(rest) + 1 if rest else 0)


SHARES = sorted({Fraction(p, q) for q in range(1, 70) for p in range(q + 1)})


@pytest.mark.parametrize("cells", [1, 3, 8])
def test_a_bar_is_the_nearest_eighth(cells: int) -> None:
    """Every share p/q (q < 70), including the ties k/(2 x 8 x cells) halfway between two
    eighths, draws the recounted number of eighths."""
    ties = [Fraction(2 * k + 1, 16 * cells) for k in range(8 * cells)]
    for share in [*SHARES, *ties]:
        assert eighths(_text.bar(share, cells)) == nearest(share, 8 * cells), share


def test_ties_go_to_the_even_eighth() -> None:
    # 3/128 is 1.5 eighths of 8 cells: 2; 5/128 is 2.5: 2; 7/128 is 3.5: 4
    assert [_text.bar(Fraction(n, 128)) for n in (3, 5, 7)] == ["▎", "▎", "▌"]


def test_zero_is_empty_and_anything_above_zero_shows() -> None:
    assert _text.bar(Fraction(0)) == "" and _text.ascii_bar(Fraction(0)) == ""
    tiny = Fraction(1, 10**12)
    assert _text.bar(tiny) == "▏" and _text.ascii_bar(tiny) == "#"
    assert _text.bar(Fraction(1)) == "█" * _text.BAR_CELLS == "████████"
    assert _text.ascii_bar(Fraction(1)) == "########"


@pytest.mark.parametrize("cells", [1, 3, 8])
def test_an_ascii_bar_is_the_nearest_cell(cells: int) -> None:
    for share in SHARES:
        drawn = _text.ascii_bar(share, cells)
        assert set(drawn) <= {"#"} and len(drawn) == nearest(share, cells), share


def _rows(text: str) -> dict[str, list[str]]:
    """The body and footer rows of the first table in ``text``: name -> cells."""
    table = text.split("\n└")[0]
    rows = [line for line in table.splitlines() if line.startswith("│ ")]
    return {cells[0]: cells for cells in ([c.strip() for c in r.split("│")[1:-1]] for r in rows)}


def test_every_bar_of_net_mobilenet_v1_is_its_share_of_the_largest_row() -> None:
    out = runner.invoke(app, ["net", "mobilenet_v1", "--all"], env={"COLUMNS": "200"}).stdout
    header = next(line for line in out.splitlines() if line.startswith("┃"))
    titles = [t.strip() for t in header.split("┃")[1:-1]]
    assert titles[-3:] == ["MACs", "MACs %", "MACs bar"]
    rows = _rows(out)
    total = int(rows.pop("total")[-3].replace(",", ""))
    assert total == 568_740_352
    assert len(rows) == 83  # every layer of MobileNet V1 (its by-type table says 83)
    macs = {name: int(cells[-3].replace(",", "")) for name, cells in rows.items()}
    largest = max(macs.values())
    assert largest == 51_380_224  # the 1x1 convolutions at 56x56x128 and 14x14x512 (Table 1)
    drawn = 0
    for name, cells in rows.items():
        share = Fraction(macs[name], largest)
        assert eighths(cells[-1]) == nearest(share, 64), name
        assert (cells[-1] == "") == (share == 0), name
        drawn += share > 0
    assert drawn == 28  # 27 convolutions and the classifier
    assert "MACs bar: each row's MACs over the largest row's (a full bar)" in out


def test_the_largest_rows_have_the_full_bar_and_the_total_none() -> None:
    out = runner.invoke(app, ["net", "mobilenet_v1", "--top", "3"], env={"COLUMNS": "200"}).stdout
    rows = _rows(out)
    assert rows.pop("total")[-1] == ""
    assert [cells[-1] for cells in rows.values()] == ["████████"] * 3


def test_every_bar_of_a_sweep_is_its_share_of_the_largest() -> None:
    grid = sweep(spec.load(spec.shipped("mobilenet_v2")[0]), [1.4, 1, 0.35], [224, 96])
    text = terminal.table(grid.table(), layout=Layout(width=100))
    largest = grid.row(1.4, 224).macs
    assert largest == 582_195_824  # torchvision's count
    lines = [line for line in text.splitlines() if line.startswith("│ ")]
    assert len(lines) == len(grid.rows) == 6
    for line, row in zip(lines, grid.rows, strict=True):
        assert eighths(line.split("│")[-2]) == nearest(Fraction(row.macs, largest), 64)
    assert lines[0].split("│")[-2].strip() == "████████"
    assert "MACs bar: MACs over those of alpha 1.4 at 224x224, the largest (a full bar)" in text


def test_ascii_mode_draws_hashes() -> None:
    grid = sweep(spec.load(spec.shipped("mobilenet_v1")[0]), [1, 0.25], [224, 128])
    text = terminal.table(grid.table(), layout=Layout(width=100, ascii=True))
    text.encode("ascii")  # every character ASCII
    bars = [line.split("|")[-2].strip() for line in text.splitlines() if line.startswith("| ")]
    # 1/224, 1/128, 0.25/224, 0.25/128 over 568,740,352: 8, 2.62, 0.58 and 0.19 cells
    assert bars[1:] == ["########", "###", "#", "#"]  # bars[0] is the header row


@pytest.mark.parametrize("fmt", [Format.MARKDOWN, Format.LATEX, Format.CSV, Format.JSON])
def test_only_the_terminal_has_a_bar(fmt: Format) -> None:
    loaded = spec.load(spec.shipped("mobilenet_v1")[0])
    from convcost import network

    text = renderer(fmt).network(network.walk(loaded))
    text += renderer(fmt).table(sweep(loaded, [1, 0.5]).table(), [])
    assert "bar" not in text.lower()
    assert not set(text) & set("█" + PARTS)
    if fmt is Format.CSV:
        assert "macs_bar" not in next(csv.reader(io.StringIO(text)))
    if fmt is Format.JSON:
        assert "macs_bar" not in json.loads(text.split("\n{")[0])["layers"][0]


def _lines(args: list[str], columns: int) -> list[str]:
    return runner.invoke(app, args, env={"COLUMNS": str(columns)}).stdout.splitlines()


def test_the_bar_goes_first_after_the_kernel() -> None:
    """MobileNetV2's table is 117 columns without the bar: at 120 the kernel makes room for
    it; at 80 it is left out and the table is as it was before bars (four columns out)."""
    wide = _lines(["net", "mobilenet_v2"], 120)
    assert len(wide[1]) == 119 and wide[2].endswith("┃  MACs % ┃ MACs bar ┃")
    assert "(left out to fit 120 columns: kernel)" in wide
    narrow = _lines(["net", "mobilenet_v2"], 80)
    assert len(narrow[1]) == 76
    assert "(left out to fit 80 columns: input, kernel, stride, MACs %, MACs bar)" in narrow


def test_a_bar_that_does_not_fit_changes_nothing_else() -> None:
    """Where the bar is left out, the table is drawn as if it had none: VGG-16 is exactly 120
    columns without it, and keeps its kernel column there."""
    loaded = spec.load(spec.shipped("vgg16")[0])
    from convcost import network

    report = network.walk(loaded)
    for width in (60, 80, 100, 120):
        layout = Layout(width=width)
        grid = _text.layers_grid(report, layout, _text.bar)
        without = _text.layers_grid(report, layout)
        drawn, plain = list(terminal.draw(grid, layout)), list(terminal.draw(without, layout))
        plain_out = plain[-1].removesuffix(")\n") if plain[-1].startswith("(left") else None
        assert drawn[:-1] == (plain[:-1] if plain_out else plain), width
        if plain_out is None:
            assert drawn[-1] == f"(left out to fit {width} columns: MACs bar)\n"
        else:
            assert drawn[-1] == plain_out + ", MACs bar)\n"
