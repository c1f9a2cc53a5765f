"""`convcost net` and `convcost zoo` through the CLI, exact stdout against tests/golden/cli/.

These pin today's whole path (loader, walker, renderers, Typer, stdout writer) before the cost
model is restructured. The networks were chosen so that every merge and every free layer the
zoo uses appears at least once: mobilenet_v1 (plain chain: conv, BN, activation, global pool,
linear), mobilenet_v3_large (residual ADD, squeeze-excite MULTIPLY, dropout, two linears) and
shufflenet_v2_x1_0 (CONCAT, CHANNEL_SHUFFLE, maxpool). Rewrite with
``pytest --update-golden tests/test_cli_golden.py`` and review the diff.
"""

from __future__ import annotations

import csv
import io

import pytest
from test_report import EXTENSIONS, GoldenCheck
from typer.testing import CliRunner

from convcost import cli
from convcost.layers import LayerKind
from convcost.report import Format

NETWORKS = ["mobilenet_v1", "mobilenet_v3_large", "shufflenet_v2_x1_0"]

runner = CliRunner()


def _stdout(*args: str, columns: int = 80) -> str:
    result = runner.invoke(cli.app, list(args), env={"COLUMNS": str(columns)})
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    return result.stdout


@pytest.mark.parametrize("by_type", [False, True], ids=["layers", "by_type"])
@pytest.mark.parametrize("fmt", list(Format), ids=lambda f: f.value)
@pytest.mark.parametrize("name", NETWORKS)
def test_net_golden(name: str, fmt: Format, by_type: bool, golden: GoldenCheck) -> None:
    flags = ["--by-type"] if by_type else []
    text = _stdout("net", name, "--format", fmt.value, *flags)
    suffix = "_by_type" if by_type else ""
    golden(f"cli/net_{name}{suffix}.{EXTENSIONS[fmt]}", text)


@pytest.mark.parametrize("view", [["--all"], ["--depth", "1"], ["--top", "5", "--units", "si"]])
@pytest.mark.parametrize("name", NETWORKS)
def test_net_view_golden(name: str, view: list[str], golden: GoldenCheck) -> None:
    """The views, each at a width where nothing is left out."""
    text = _stdout("net", name, *view, columns=200)
    golden(f"cli/net_{name}_{'_'.join(v.strip('-') for v in view)}.txt", text)


@pytest.mark.parametrize("fmt", list(Format), ids=lambda f: f.value)
def test_zoo_golden(fmt: Format, golden: GoldenCheck) -> None:
    golden(f"cli/zoo.{EXTENSIONS[fmt]}", _stdout("zoo", "--format", fmt.value))


def test_the_networks_cover_every_merge_and_free_layer() -> None:
    """The goldens above hold at least one row of each kind the restructuring must keep."""
    kinds: set[str] = set()
    for name in NETWORKS:
        rows = csv.DictReader(io.StringIO(_stdout("net", name, "--format", "csv")))
        kinds |= {row["type"] for row in rows}
    wanted = {
        LayerKind.ADD,
        LayerKind.CONCAT,
        LayerKind.MULTIPLY,
        LayerKind.CHANNEL_SHUFFLE,
        LayerKind.MAXPOOL,
        LayerKind.DROPOUT,
        LayerKind.GLOBAL_AVGPOOL,
        LayerKind.ACTIVATION,
        LayerKind.BATCHNORM,
        LayerKind.CONV2D,
        LayerKind.LINEAR,
    }
    assert {kind.value for kind in wanted} <= kinds
