"""``--convention``: each preset reproduces its peer's MAC count from the spec alone.

The peers' numbers are the constants of tests/test_peers.py (measured once with torch, quoted in
docs/peers.md); here they come out of ``convcost net NAME --convention P --format json`` with no
torch installed. The rules are checked one layer at a time too (docs/peers.md's table of single
layers), so they are rules, not a table of the eight models.
"""

from __future__ import annotations

import json

import pytest
from test_peers import (
    FVCORE,
    MICRO,
    MICRO_ELEMENTS,
    MODELS,
    PTFLOPS_ATEN,
    PTFLOPS_PYTORCH,
    THOP,
    TORCHINFO,
    TORCHPROFILE,
)
from typer.testing import CliRunner

from convcost import cli, conventions, network, spec
from convcost.conventions import ConventionName

runner = CliRunner()

PEER_MACS = {
    "thop": {name: THOP[name][0] for name in MODELS},
    "ptflops": {name: PTFLOPS_PYTORCH[name][0] for name in MODELS},
    "ptflops-aten": {name: PTFLOPS_ATEN[name][0] for name in MODELS},
    "fvcore": {name: FVCORE[name][0] for name in MODELS},
    "torchinfo": {name: TORCHINFO[name][0] for name in MODELS},
    "torchprofile": dict(TORCHPROFILE),
}


@pytest.mark.parametrize("preset", sorted(PEER_MACS))
@pytest.mark.parametrize("name", MODELS)
def test_preset_gives_the_peers_macs(name: str, preset: str) -> None:
    result = runner.invoke(cli.app, ["net", name, "--convention", preset, "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["totals"]["macs"] == PEER_MACS[preset][name]
    assert data["totals"]["flops"] == 2 * PEER_MACS[preset][name]
    assert data["convention"]["name"] == preset
    # the params never depend on the convention
    assert data["totals"]["params"] == THOP[name][1]


@pytest.mark.parametrize("name", MODELS)
def test_exact_is_the_default_and_adds_nothing(name: str) -> None:
    default = runner.invoke(cli.app, ["net", name, "-f", "json"]).stdout
    assert runner.invoke(cli.app, ["net", name, "--convention", "exact", "-f", "json"]).stdout == (
        default
    )
    assert "name" not in json.loads(default)["convention"]


def _one_layer(entry: str, convention: str) -> int:
    """MACs of one layer on a 5x5x4 input (docs/peers.md: 1x4x5x5, 100 elements)."""
    text = f"input: [5, 5, 4]\nlayers:\n  - {entry}\n"
    report = network.walk(spec.loads(text), convention=conventions.convention(convention))
    return int(report.totals.macs)


# (entry, PyTorch module) -> the MICRO row of docs/peers.md: (ptflops, thop)
SINGLE_LAYERS = {
    "relu": "nn.ReLU",
    "relu6": "nn.ReLU6",
    "silu": "nn.SiLU",
    "hswish": "nn.Hardswish",
    "adaptive_avgpool: {size: 1}": "nn.AdaptiveAvgPool2d(1)",
    "maxpool: {k: 2}": "nn.MaxPool2d(2)",
    "batchnorm": "nn.BatchNorm2d(4)",
}


@pytest.mark.parametrize("entry", sorted(SINGLE_LAYERS))
def test_single_layer_rules(entry: str) -> None:
    ptflops, _, thop = MICRO[SINGLE_LAYERS[entry]]
    assert _one_layer(entry, "ptflops") == ptflops
    assert _one_layer(entry, "thop") == thop
    assert _one_layer(entry, "exact") == 0


def test_how_a_pool_is_called_decides_who_counts_it() -> None:
    """100 input elements, 4 outputs: a module, F.adaptive_avg_pool2d, or x.mean([2, 3])."""
    n, out = MICRO_ELEMENTS, 4
    expected = {
        # call: (thop, ptflops, fvcore, torchprofile)
        "module": (n + out, 2 * n, n, out),
        "functional": (0, n, n, out),
        "mean": (0, 0, 0, out),
    }
    for call, counts in expected.items():
        entry = f"global_avgpool: {{call: {call}}}"
        got = tuple(_one_layer(entry, p) for p in ("thop", "ptflops", "fvcore", "torchprofile"))
        assert got == counts, call


def test_a_functional_relu_counts_once_in_ptflops_and_defaults_reach_blocks() -> None:
    """pytorch-cifar writes F.relu: ptflops counts it once (no module hook), and a default
    `call` reaches the ReLU inside a conv entry."""
    n = MICRO_ELEMENTS
    assert _one_layer("relu: {call: functional}", "ptflops") == n
    text = "input: [5, 5, 4]\ndefaults: {relu: {call: functional}}\nlayers:\n  - conv: {c: 4}\n"
    report = network.walk(spec.loads(text), convention=conventions.PTFLOPS)
    conv = 5 * 5 * 4 * 4 * 9
    assert report.totals.macs == conv + 2 * n + n  # conv, BN (2 per element), F.relu once


def test_bias_adds_go_to_the_tools_that_count_them() -> None:
    text = "input: [5, 5, 4]\nlayers:\n  - conv: {c: 4, bias: true, bn: false, act: none}\n"
    s = spec.loads(text)
    conv, bias = 5 * 5 * 4 * 4 * 9, 5 * 5 * 4
    macs = {
        p.value: network.walk(s, convention=conventions.convention(p)).totals.macs
        for p in ConventionName
    }
    assert macs == {
        "exact": conv,
        "thop": conv,
        "ptflops": conv + bias,
        "ptflops-aten": conv + bias,
        "fvcore": conv,
        "torchinfo": conv + bias,
        "torchprofile": conv,
    }


def test_every_format_names_a_preset() -> None:
    for fmt in ("table", "csv", "markdown", "json", "latex"):
        result = runner.invoke(cli.app, ["net", "mobilenet_v1", "--convention", "thop", "-f", fmt])
        assert result.exit_code == 0, result.output
        assert "thop" in result.stdout, fmt
    csv_text = runner.invoke(
        cli.app, ["net", "mobilenet_v1", "--convention", "fvcore", "-f", "csv"]
    ).stdout
    header, first, *_, total = csv_text.splitlines()
    assert header.endswith(",convention") and first.endswith(",fvcore")
    assert total.startswith("total,") and total.endswith(
        f",{FVCORE['mobilenet_v1'][0] * 2},1.000000,fvcore"
    )


def test_layer_takes_a_convention() -> None:
    flags = ["layer", "--k", "3", "--cin", "4", "--cout", "4", "--h", "5", "--w", "5", "--bias"]
    exact = json.loads(runner.invoke(cli.app, [*flags, "-f", "json"]).stdout)
    aten = json.loads(
        runner.invoke(cli.app, [*flags, "--convention", "ptflops-aten", "-f", "json"]).stdout
    )
    standard = {row["name"]: row["macs"] for row in exact["layers"]}["standard"]
    assert standard == 5 * 5 * 4 * 4 * 9
    assert {row["name"]: row["macs"] for row in aten["layers"]}["standard"] == standard + 100
    assert aten["convention"]["name"] == "ptflops-aten"
