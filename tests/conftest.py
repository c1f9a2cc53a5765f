"""Shared fixtures: golden files under tests/golden/, rewritten only by --update-golden, a
hand-built report for the renderers, and a terminal 80 columns wide for every test."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from convcost import layers as L
from convcost.layers import LayerKind
from convcost.network import LayerCost, Report, Totals

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture(autouse=True)
def _columns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables are as wide as the terminal: every test, and every process it starts, sees
    COLUMNS=80 whatever terminal pytest runs in (tests/test_terminal.py sets its own)."""
    monkeypatch.setenv("COLUMNS", "80")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="Rewrite tests/golden/ from the current output (review the diff).",
    )


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """``golden(name, text)``: assert ``text`` equals tests/golden/<name>, or rewrite it."""
    update = bool(request.config.getoption("--update-golden"))

    def check(name: str, text: str) -> None:
        path = GOLDEN / name
        if update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="")
            return
        assert path.exists(), f"missing golden file {path}; run pytest --update-golden"
        assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"

    return check


# tiny_net: 8x8x3 -> conv 3x3 (16) + BN + ReLU -> residual(depthwise 3x3, no BN, no act) + add
# -> global average pool -> fc 10. Every count by hand, with the convention of formulas.py
# (params = weights + biases + BN gamma/beta, buffers = BN running mean/var, MACs of conv and
# linear only): conv 3x3 3->16: 3*3*3*16 = 432 params, 8*8*16 * 3*3*3 = 27,648 MACs;
# BN over 16: 2*16 = 32 params, 32 buffers; depthwise 3x3 over 16: 16*3*3 = 144 params,
# 8*8*16 * 3*3 = 9,216 MACs; fc 16->10 with bias: 16*10 + 10 = 170 params, 160 MACs.
TINY_SOURCE = "hand-computed (conv & residual), tests/conftest.py"
TINY_YAML = f"""\
name: tiny_net
source: "{TINY_SOURCE}"
input: [8, 8, 3]
layers:
  - conv: {{c: 16}}
  - residual:
      layers:
        - depthwise: {{bn: false, act: none}}
  - global_avgpool
  - fc: {{c: 10}}
"""


def build_tiny_report() -> Report:
    """A seven-row report built directly from the dataclasses of convcost.network, no walk:
    the renderers' fixed input (tests/test_report.py, tests/golden/fixture/)."""
    hw16 = (8, 8, 16)
    conv = L.Conv2d(16, (3, 3))
    depthwise = L.Conv2d(16, (3, 3), groups=16)
    rows = (
        LayerCost(
            "conv1",
            conv,
            "Conv 3x3",
            ((8, 8, 3),),
            hw16,
            params=432,
            macs=27_648,
            terms={"conv": 27_648},
            scope=("conv1",),
            tensors=(0,),
            tensor=1,
        ),
        LayerCost(
            "conv1.bn",
            L.BatchNorm(),
            "BatchNorm",
            (hw16,),
            hw16,
            params=32,
            buffers=32,
            terms={"bn": 1_024, "bn_params": 32},
            scope=("conv1",),
            tensors=(1,),
            tensor=2,
        ),
        LayerCost(
            "conv1.relu",
            L.Activation("relu", "module"),
            "Activation",
            (hw16,),
            hw16,
            terms={"act.relu": 1_024},
            scope=("conv1",),
            tensors=(2,),
            tensor=3,
        ),
        LayerCost(
            "block1.dw1",
            depthwise,
            "Conv DW 3x3",
            (hw16,),
            hw16,
            params=144,
            macs=9_216,
            terms={"conv": 9_216},
            scope=("block1", "block1.dw1"),
            tensors=(3,),
            tensor=4,
        ),
        LayerCost(
            "block1.add",
            L.Merge(LayerKind.ADD),
            "Other",
            (hw16, hw16),
            hw16,
            terms={"add": 1_024},
            scope=("block1",),
            tensors=(4, 3),
            tensor=5,
        ),
        LayerCost(
            "pool1",
            L.GlobalPool(call="module"),
            "Pooling",
            (hw16,),
            (1, 1, 16),
            terms={"pool.adaptive_avg.in": 1_024, "pool.adaptive_avg.out": 16},
            scope=("pool1",),
            tensors=(5,),
            tensor=6,
        ),
        LayerCost(
            "fc1",
            L.Linear(10),
            "Fully connected",
            ((1, 1, 16),),
            (1, 1, 10),
            params=170,
            macs=160,
            terms={"linear": 160, "bias": 10},
            scope=("fc1",),
            tensors=(6,),
            tensor=7,
        ),
    )
    # 432 + 32 + 144 + 170 params, 32 buffers, 27,648 + 9,216 + 160 MACs
    terms = {
        "conv": 36_864,
        "bn": 1_024,
        "bn_params": 32,
        "act.relu": 1_024,
        "add": 1_024,
        "pool.adaptive_avg.in": 1_024,
        "pool.adaptive_avg.out": 16,
        "linear": 160,
        "bias": 10,
    }
    totals = Totals(params=778, buffers=32, macs=37_024, terms=terms)
    return Report("tiny_net", (8, 8, 3), rows, totals, source=TINY_SOURCE)


@pytest.fixture
def tiny_report() -> Report:
    """:func:`build_tiny_report`."""
    return build_tiny_report()


@pytest.fixture
def tiny_yaml() -> str:
    """The spec whose walk gives the tiny report (a cross-check of the hand counts)."""
    return TINY_YAML
