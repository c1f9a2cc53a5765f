"""The table model holds: a cost term added to one rule, or a column added to one view, shows
in every format with no renderer touched (issue "Open the cost model", item 6)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from convcost import cli, layers, network
from convcost.layers import LayerKind
from convcost.report import Format
from convcost.tables import Column, Kind, Table
from convcost.views import View

runner = CliRunner()
FORMATS = [f.value for f in Format]


def _net(*flags: str) -> dict[str, str]:
    out = {}
    for fmt in FORMATS:
        result = runner.invoke(cli.app, ["net", "mobilenet_v1", *flags, "-f", fmt])
        assert result.exit_code == 0, result.output
        out[fmt] = result.stdout
    return out


def test_a_toy_term_in_one_rule_shows_in_every_format(monkeypatch: pytest.MonkeyPatch) -> None:
    """One place: the convolution rule also returns 'toy' = 7 per layer (27 convs: 189)."""
    conv = layers.KIND_COST[LayerKind.CONV2D]

    def with_toy(layer: layers.Conv2d, shape: layers.Shape) -> layers.Cost:
        cost = conv(layer, shape)
        return layers.Cost(cost.output, cost.params, cost.buffers, {**cost.terms, "toy": 7})

    monkeypatch.setitem(layers.KIND_COST, LayerKind.CONV2D, with_toy)
    texts = _net("--terms")
    for fmt in ("table", "markdown", "latex"):
        assert "toy" in texts[fmt] and "189" in texts[fmt], fmt
    rows = {r["term"]: r for r in csv.DictReader(io.StringIO(texts["csv"]))}
    assert rows["toy"] == {"term": "toy", "count": "189", "weight": "0", "macs": "0"}
    terms = {t["term"]: t for t in json.loads(texts["json"])["terms"]}
    assert terms["toy"] == {"term": "toy", "count": 189, "weight": 0, "macs": 0}
    # the toy term is counted, not added to the MACs: exact stays convcost's count
    assert json.loads(texts["json"])["totals"]["macs"] == 568_740_352


def test_a_toy_column_in_one_view_shows_in_every_format(monkeypatch: pytest.MonkeyPatch) -> None:
    """One place: the per-layer view gets a column 'toy' (the row's output channels)."""
    layer_table = network.Report.layer_table

    def with_toy(report: network.Report, view: View | None = None) -> Table:
        table = layer_table(report, view)
        toy = Column("toy", "toy", Kind.COUNT, lambda r: r.output[2] * 1000, "")
        return Table(table.key, table.title, [*table.columns, toy], table.rows)

    monkeypatch.setattr(network.Report, "layer_table", with_toy)
    texts = _net()
    # fc1 has 1,000 output channels: 1,000,000 for people, 1000000 for machines
    for fmt in ("table", "markdown"):
        assert "toy" in texts[fmt] and "1,000,000" in texts[fmt], fmt
    assert "toy" in texts["latex"] and "1,000,000" in texts["latex"]
    rows = list(csv.DictReader(io.StringIO(texts["csv"])))
    assert rows[-1]["name"] == "fc1" and rows[-1]["toy"] == "1000000"  # no totals row
    layers_json = json.loads(texts["json"])["layers"]
    assert layers_json[-1]["name"] == "fc1" and layers_json[-1]["toy"] == 1_000_000


def test_every_kind_has_a_writer_in_every_format() -> None:
    from convcost.report import _text
    from convcost.report import csv as csv_format
    from convcost.report import json as json_format

    for writers in (_text.HUMAN, csv_format._CSV, json_format._JSON):
        assert set(writers) == set(Kind)


def test_terms_table_sums_to_the_macs_under_each_convention() -> None:
    from convcost import conventions, spec

    loaded = spec.load(spec.shipped("efficientnet_b0")[0])
    for preset in conventions.CONVENTIONS.values():
        report = network.walk(loaded, convention=preset)
        table = report.terms_table()
        assert sum(row[3] for row in table.values(table.columns[0].show)) == report.totals.macs
