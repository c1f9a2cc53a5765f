"""Renderers on fixed reports: golden files, exhaustiveness, and sums on the text."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from fractions import Fraction

import pytest

from convcost import network, spec
from convcost.analysis.separable import compare
from convcost.report import Format, Renderer, _text, renderer
from convcost.report._text import human, percent

GoldenCheck = Callable[[str, str], None]
EXTENSIONS = {
    Format.TABLE: "txt",
    Format.CSV: "csv",
    Format.MARKDOWN: "md",
    Format.JSON: "json",
    Format.LATEX: "tex",
}


@pytest.fixture(scope="module")
def mobilenet() -> network.Report:
    return network.walk(spec.load("configs/mobilenet_v1.yaml"))


def seed_layer():  # type: ignore[no-untyped-def]
    return compare(k=(3, 3), cin=3, cout=4, h=64, w=64, padding=(1, 1))


def test_every_format_has_a_renderer() -> None:
    for fmt in Format:
        found = renderer(fmt)
        assert isinstance(found, Renderer)
        assert all(callable(f) for f in (found.network, found.comparison, found.zoo))
    assert set(EXTENSIONS) == set(Format)


@pytest.mark.parametrize("fmt", list(Format))
def test_layer_golden(fmt: Format, golden: GoldenCheck) -> None:
    golden(f"layer_3x3_3to4_64.{EXTENSIONS[fmt]}", renderer(fmt).comparison(seed_layer()))


@pytest.mark.parametrize("fmt", list(Format))
def test_symbolic_layer_golden(fmt: Format, golden: GoldenCheck) -> None:
    text = renderer(fmt).comparison(compare(k=(3, 3), cin=256, cout=256))
    golden(f"layer_3x3_256_symbolic.{EXTENSIONS[fmt]}", text)


@pytest.mark.parametrize("fmt", [Format.MARKDOWN, Format.CSV])
def test_mobilenet_v1_golden(fmt: Format, golden: GoldenCheck, mobilenet: network.Report) -> None:
    golden(f"mobilenet_v1.{EXTENSIONS[fmt]}", renderer(fmt).network(mobilenet))


def test_every_format_states_the_convention(tiny_report: network.Report) -> None:
    for fmt in Format:
        for text in (renderer(fmt).network(tiny_report), renderer(fmt).comparison(seed_layer())):
            assert "FLOPs" in text or "flops" in text
            assert "MACs" in text or "macs" in text


def test_csv_rows_sum_to_the_totals(mobilenet: network.Report) -> None:
    """No totals row among the layers (issue 13): a column's sum is the total, which the
    totals CSV (``--totals``) gives as one row."""
    rows = list(csv.DictReader(io.StringIO(renderer(Format.CSV).network(mobilenet))))
    assert rows[-1]["name"] == "fc1"
    (total,) = csv.DictReader(io.StringIO(renderer(Format.CSV).network(mobilenet, totals=True)))
    assert total == {
        "params": "4231976",
        "buffers": "21888",
        "macs": "568740352",
        "flops": "1137480704",
    }
    for column in ("params", "buffers", "macs", "flops"):
        assert sum(int(r[column]) for r in rows) == int(total[column])


def _markdown_tables(text: str) -> list[list[list[str]]]:
    tables: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            current.append([cell.strip() for cell in line.strip("|").split(" | ")])
        elif current:
            tables.append(current)
            current = []
    return tables


def test_markdown_rows_sum_to_the_total_row(mobilenet: network.Report) -> None:
    layers, totals, by_type = _markdown_tables(renderer(Format.MARKDOWN).network(mobilenet))
    header, body, total = layers[0], layers[2:-1], layers[-1]
    assert total[0] == "total"
    for column in ("params", "MACs"):
        i = header.index(column)
        assert sum(int(r[i].replace(",", "")) for r in body) == int(total[i].replace(",", ""))
    header, body, total = by_type[0], by_type[2:-1], by_type[-1]
    for column in ("layers", "params", "MACs"):
        i = header.index(column)
        assert sum(int(r[i].replace(",", "")) for r in body) == int(total[i].replace(",", ""))
    assert ["FLOPs", "1,137,480,704"] in totals


def test_table_totals_in_the_footer(mobilenet: network.Report) -> None:
    text = renderer(Format.TABLE).network(mobilenet)
    footer = [line for line in text.splitlines() if line.startswith("│ total ")]
    assert len(footer) == 2  # per-layer table and breakdown
    assert "4,231,976" in footer[0] and "568,740,352" in footer[0] and "100.00%" in footer[0]
    assert "\x1b" not in text


def test_mobilenet_table_2_shares(mobilenet: network.Report) -> None:
    # Howard et al. 2017, Table 2: Conv 1x1 94.86% of mult-adds, Conv DW 3x3 3.06%, FC 0.18%.
    text = renderer(Format.CSV).network(mobilenet, by_type=True)
    shares = {r["type"]: r["macs_share"] for r in csv.DictReader(io.StringIO(text))}
    assert round(float(shares["Conv 1x1"]) * 100, 2) == 94.86
    assert round(float(shares["Conv DW 3x3"]) * 100, 2) == 3.06
    assert round(float(shares["Fully connected"]) * 100, 2) == 0.18
    markdown = renderer(Format.MARKDOWN).network(mobilenet, by_type=True)
    assert "| Conv 1x1 | 13 | 3,139,584 | 74.19% | 539,492,352 | 94.86% |" in markdown
    assert "block1.dw" not in markdown  # --by-type: the breakdown without the per-layer rows


def test_json_contract(mobilenet: network.Report) -> None:
    data = json.loads(renderer(Format.JSON).network(mobilenet))
    assert {"network", "convention", "input", "layers", "totals", "by_type"} <= set(data)
    assert data["input"] == [224, 224, 3]
    assert data["totals"] == {
        "params": 4_231_976,
        "buffers": 21_888,
        "macs": 568_740_352,
        "flops": 1_137_480_704,
    }
    first = data["layers"][0]
    assert {"name", "type", "input", "output", "params", "macs", "flops"} <= set(first)
    assert sum(layer["macs"] for layer in data["layers"]) == data["totals"]["macs"]


def test_layer_json_contract() -> None:
    data = json.loads(renderer(Format.JSON).comparison(compare(k=(3, 3), cin=256, cout=256)))
    assert [layer["params"] for layer in data["layers"]] == [589_824, 2_304, 65_536, 67_840]
    assert data["layers"][0]["macs"] == "589824*H*W"
    assert data["ratio"]["exact"] == "265/2304"
    assert data["ratio"]["decimal"] == pytest.approx(265 / 2304)
    assert {"name", "type", "input", "output", "params", "macs", "flops"} <= set(data["layers"][0])
    assert "convention" in data


def test_numbers_become_strings_in_one_place() -> None:
    assert human(589_824) == "589,824"
    assert percent(Fraction(9486, 10000)) == "94.86%"
    assert percent(Fraction(1, 8)) == "12.50%"
    import sympy

    h, w = sympy.symbols("H W")
    assert human(589824 * h * w) == "589,824·H·W"


def test_a_symbolic_shape_reads_one_way() -> None:
    """A side that is an expression is parenthesized, so the x between sides cannot be read
    as part of one (issue 13); symbols and integers stay bare."""
    strided = compare(k=(3, 3), cin=256, cout=256, stride=(2, 2), padding=(1, 1))
    assert _text.shape(strided.row("standard").output) == (
        "(floor(H/2 - 1/2) + 1)x(floor(W/2 - 1/2) + 1)x256"
    )
    same = compare(k=(3, 3), cin=256, cout=256, stride=(2, 2))
    assert _text.shape(same.row("standard").output) == "(ceiling(H/2))x(ceiling(W/2))x256"
    assert _text.shape(compare(k=(3, 3)).row("standard").output) == "HxWxC_out"
    assert _text.shape((112, 112, 32)) == "112x112x32"


def test_latex_escapes_specials() -> None:
    text = renderer(Format.LATEX).comparison(seed_layer())
    assert r"\begin{tabular}" in text and r"\bottomrule" in text
    assert r"$1/(K_{\mathrm{h}} \cdot K_{\mathrm{w}}) + 1/C_{\mathrm{out}}$" in text
    prose = re.sub(r"(?<!\\)\$.*?(?<!\\)\$", "", text)  # the maths is ours, not user text
    assert not re.search(r"(?<!\\)[_%]", prose.replace("% ", "").replace("%\n", ""))


ZOO = spec.zoo_names()


@pytest.mark.parametrize("name", ZOO)
def test_every_config_in_every_format(name: str) -> None:
    """Each shipped spec renders in each format, and each text carries the same totals."""
    report = network.walk(spec.load(spec.resolve(name)[0]))
    t = report.totals
    texts = {fmt: renderer(fmt).network(report) for fmt in Format}
    data = json.loads(texts[Format.JSON])
    assert data["totals"] == {
        "params": t.params,
        "buffers": t.buffers,
        "macs": t.macs,
        "flops": 2 * t.macs,
    }
    assert len(data["layers"]) == len(report.rows)
    rows = list(csv.DictReader(io.StringIO(texts[Format.CSV])))
    assert len(rows) == len(report.rows)  # no totals row
    assert sum(int(r["params"]) for r in rows) == t.params
    assert sum(int(r["macs"]) for r in rows) == t.macs
    for fmt in (Format.TABLE, Format.MARKDOWN, Format.LATEX):
        assert f"{t.params:,}" in texts[fmt] and f"{t.macs:,}" in texts[fmt], fmt
    by_type = list(csv.DictReader(io.StringIO(renderer(Format.CSV).network(report, by_type=True))))
    assert sum(int(r["macs"]) for r in by_type) == t.macs


def rich_drawing(grid: _text.Grid) -> str:
    """The reference for ``table.draw``: rich's own Table in its default HEAVY_HEAD box,
    on a console wide enough that nothing wraps."""
    import io as _io

    from rich.console import Console  # noqa: TID251
    from rich.table import Table  # noqa: TID251
    from rich.text import Text  # noqa: TID251

    drawn = Table(show_footer=grid.footer is not None)
    for i, name in enumerate(grid.header):
        drawn.add_column(
            Text(name),
            justify="right" if name in grid.numeric else "left",
            footer=Text(grid.footer[i] if grid.footer is not None else ""),
        )
    for row in grid.rows:
        drawn.add_row(*(Text(cell) for cell in row))
    buffer = _io.StringIO()
    Console(file=buffer, width=10_000, color_system=None, force_terminal=False).print(drawn)
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"


@pytest.mark.parametrize("name", ["mobilenet_v1", "shufflenet_v2_x1_0", "xception"])
def test_plain_table_draws_what_rich_draws(name: str) -> None:
    """The table writer draws rich's HEAVY_HEAD box in linear time (rich's layout takes tens
    of seconds at 100k rows); with no width limit both print the same text."""
    from convcost.report import table

    report = network.walk(spec.load(spec.resolve(name)[0]))
    layers = _text.layers_grid(report)
    assert "".join(table.draw(layers)) == rich_drawing(layers)


def test_plain_table_measures_wide_characters() -> None:
    from convcost.report import table

    layers = _text.Grid(
        ("name", "MACs"), frozenset({"MACs"}), [("层一", "1,024"), ("b", "7")], ("total", "1,031")
    )
    assert "".join(table.draw(layers)) == rich_drawing(layers)


@pytest.mark.parametrize(
    ("typed", "shown"),
    [("0.75", "0.75"), ("3/4", "0.75"), ("1", "1"), ("1.40", "1.4"), ("1/3", "1/3")],
)
def test_alpha_is_shown_as_typed(typed: str, shown: str) -> None:
    report = network.walk(spec.load("configs/mobilenet_v1.yaml"), alpha=Fraction(typed))
    assert _text.title(report) == f"mobilenet_v1, input 224x224x3, alpha {shown}"
    for fmt in Format:
        assert renderer(fmt).network(report, by_type=True)


@pytest.mark.parametrize("fmt", list(Format))
def test_network_chunks_join_to_the_whole_text(fmt: Format, tiny_report: network.Report) -> None:
    """`convcost net` writes CSV and JSON row by row as they are made; the pieces are the text."""
    for by_type in (False, True):
        pieces = list(renderer(fmt).network_chunks(tiny_report, by_type=by_type))
        assert "".join(pieces) == renderer(fmt).network(tiny_report, by_type=by_type)
        if fmt in (Format.CSV, Format.JSON) and not by_type:
            assert len(pieces) > len(tiny_report.rows)  # streamed, not one string


# --- the hand-built report (tests/conftest.py): what the table-model refactor must keep ----


@pytest.mark.parametrize("by_type", [False, True], ids=["layers", "by_type"])
@pytest.mark.parametrize("fmt", list(Format), ids=lambda f: f.value)
def test_tiny_report_golden(
    fmt: Format, by_type: bool, golden: GoldenCheck, tiny_report: network.Report
) -> None:
    text = renderer(fmt).network(tiny_report, by_type=by_type)
    golden(f"fixture/tiny_net{'_by_type' if by_type else ''}.{EXTENSIONS[fmt]}", text)


def test_tiny_report_is_what_the_walker_computes(
    tiny_report: network.Report, tiny_yaml: str
) -> None:
    """The fixture's hand counts agree with a walk of the spec it transcribes; the renderer
    tests themselves never walk."""
    assert network.walk(spec.loads(tiny_yaml)) == tiny_report
    assert network.Totals.of(tiny_report.rows) == tiny_report.totals


def test_tiny_report_rows_sum_to_the_totals_in_every_format(tiny_report: network.Report) -> None:
    body = list(csv.DictReader(io.StringIO(renderer(Format.CSV).network(tiny_report))))
    (total,) = csv.DictReader(io.StringIO(renderer(Format.CSV).network(tiny_report, totals=True)))
    assert [r["name"] for r in body] == [row.name for row in tiny_report.rows]  # no totals row
    for column in ("params", "buffers", "macs", "flops"):
        assert sum(int(r[column]) for r in body) == int(total[column])
    assert (total["params"], total["buffers"], total["macs"], total["flops"]) == (
        "778",
        "32",
        "37024",
        "74048",
    )
    layers, _, by_type = _markdown_tables(renderer(Format.MARKDOWN).network(tiny_report))
    for table in (layers, by_type):
        header, body_cells, footer = table[0], table[2:-1], table[-1]
        for column in ("params", "MACs"):
            i = header.index(column)
            cells = [int(r[i].replace(",", "")) for r in body_cells]
            assert sum(cells) == int(footer[i].replace(",", ""))
    data = json.loads(renderer(Format.JSON).network(tiny_report))
    assert data["totals"] == {"params": 778, "buffers": 32, "macs": 37_024, "flops": 74_048}
    assert sum(layer["params"] for layer in data["layers"]) == 778
    assert sum(s["layers"] for s in data["by_type"]) == len(tiny_report.rows)


def test_plain_table_draws_what_rich_draws_on_the_fixture(tiny_report: network.Report) -> None:
    from convcost.report import table

    layers = _text.layers_grid(tiny_report)
    assert "".join(table.draw(layers)) == rich_drawing(layers)
