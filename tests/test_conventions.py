"""``--convention``: each preset reproduces its peer's MAC count from the spec alone.

The peers' numbers are the constants of tests/test_peers.py (measured once with torch, quoted in
docs/peers.md); here they come out of ``convcost net NAME --convention P --format json`` with no
torch installed. The rules are checked one layer at a time too (docs/peers.md's table of single
layers), so they are rules, not a table of the eight models.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

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
from convcost.layers import TERMS

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
    header, first, *_, last = csv_text.splitlines()
    assert header.endswith(",convention") and first.endswith(",fvcore")
    assert last.startswith("fc1,") and last.endswith(",fvcore")  # no totals row after it
    totals = runner.invoke(
        cli.app, ["net", "mobilenet_v1", "--convention", "fvcore", "-f", "csv", "--totals"]
    ).stdout
    assert totals.splitlines()[1].endswith(f",{FVCORE['mobilenet_v1'][0] * 2},fvcore")


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


# --- docs/peers.md, section "`--convention`: each tool's count from the spec" ---------------

PEERS_DOC = Path(__file__).resolve().parents[1] / "docs" / "peers.md"
SECTION = "## `--convention`: each tool's count from the spec"
X = "\N{MULTIPLICATION SIGN}"


def _section() -> str:
    text = PEERS_DOC.read_text(encoding="utf-8")
    assert text.count(SECTION) == 1
    return text.split(SECTION, 1)[1].split("\n## ", 1)[0]


def _doc_table(header: str) -> list[list[str]]:
    """The body rows (cells stripped) of the section's table whose header row starts so."""
    lines = _section().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in line.strip().strip("|").split("|")])
    return rows


_TERM = re.compile(
    r"(conv|linear|bias|bn|bn_params|add|multiply|concat"
    rf"|act\.({'|'.join(spec.ACTIVATIONS)})(\.functional)?"
    rf"|pool\.({'|'.join(conventions.POOLS)})(\.functional)?\.(in|out)|pool\.mean\.(in|out)"
    rf"|norm\.({'|'.join(conventions.NORMS)})(\.affine)?(\.functional)?"
    r"|norm_params|prelu_params|act\.prelu(\.functional)?|layer_scale"
    r"|conv_transpose(\.out(\.ungrouped)?)?|upsample\.(nearest|bilinear)(\.functional)?\.out)"
)


def test_doc_terms_table_names_every_family() -> None:
    rows = _doc_table("| term | what it counts |")
    named = {name for row in rows[2:] for name in re.findall(r"`([^`]+)`", row[0])}
    assert named == {name for key in TERMS for name in key.split(", ")}


def test_doc_weights_table_is_the_presets() -> None:
    """Each row's terms have the row's weight in each column's preset; every weighted term of
    every preset is in the table."""
    header, _, *rows = _doc_table("| terms |")
    presets = header[1:]
    assert presets == [c.value for c in ConventionName]
    seen: set[str] = set()
    for row in rows:
        names = re.findall(r"`([^`]+)`", row[0])
        assert names and len(row) == 1 + len(presets), row
        for name in names:
            assert _TERM.fullmatch(name), name
            assert name not in seen, name
            seen.add(name)
            weights = [conventions.convention(p).weights.get(name, 0) for p in presets]
            assert [int(c) for c in row[1:]] == weights, name
    weighted = {t for c in conventions.CONVENTIONS.values() for t, w in c.weights.items() if w}
    assert weighted <= seen, weighted - seen


_MACS_TERMS = ("conv", "linear")

# preset -> (model, the terms its worked example adds to the exact count, in the doc's order)
WORKED = {
    "thop": ("mobilenet_v1", ("bn", "pool.adaptive_avg.in", "pool.adaptive_avg.out")),
    "ptflops": (
        "mobilenet_v2",
        ("bias", "bn", "act.relu6", "pool.adaptive_avg.functional.in"),
    ),
    "ptflops-aten": ("vgg16", ("bias",)),
    "fvcore": ("shufflenet_v2_x1_0", ("bn",)),
    "torchinfo": ("resnet18", ("bias", "bn_params")),
    "torchprofile": ("mobilenet_v3_large", ("bn", "pool.adaptive_avg.out", "multiply")),
}


@pytest.mark.parametrize("preset", sorted(WORKED))
def test_doc_worked_example(preset: str) -> None:
    """The command prints the peer's number, and the sum the doc writes out is that number:
    the exact count plus weight x term for every term the preset counts in that model."""
    assert sorted(WORKED) == sorted(PEER_MACS)
    name, shown = WORKED[preset]
    weights = conventions.convention(preset).weights
    report = network.walk(spec.load(spec.resolve(name)[0]))
    terms = report.totals.terms
    counted = {t for t, v in terms.items() if v and weights.get(t, 0) and t not in _MACS_TERMS}
    assert set(shown) == counted and len(shown) == len(counted)
    command = f"net {name} --convention {preset} --format json"
    result = runner.invoke(cli.app, command.split())
    assert result.exit_code == 0, result.output
    macs = json.loads(result.stdout)["totals"]["macs"]
    extra = sum(weights[t] * terms[t] for t in shown)
    assert macs == PEER_MACS[preset][name] == report.totals.macs + extra
    parts = [
        f"{weights[t]} {X} {terms[t]:,} (`{t}`)" if weights[t] != 1 else f"{terms[t]:,} (`{t}`)"
        for t in shown
    ]
    sentence = (
        f"`convcost {command}` gives `totals.macs` {macs:,} = {report.totals.macs:,} + "
        + " + ".join(parts)
        + "."
    )
    assert sentence in " ".join(_section().split())


def test_doc_worked_examples_prose() -> None:
    text = " ".join(_section().split())
    shufflenet = network.walk(spec.load(spec.resolve("shufflenet_v2_x1_0")[0])).totals.terms
    assert conventions.FVCORE.weights.get("pool.mean.in", 0) == 0
    assert f"The pool's {shufflenet['pool.mean.in']:,} input elements are `pool.mean.in`" in text
    # mobilenet_v2's functional head pool counts once in ptflops, a module twice; ReLU6 once
    ptflops = conventions.PTFLOPS.weights
    assert ptflops["pool.adaptive_avg.functional.in"] == 1
    assert ptflops["pool.adaptive_avg.in"] == 2
    assert ptflops["act.relu6"] == 1
    assert "so the pool counts once; as a module it would count twice" in text


def test_doc_edge_cases() -> None:
    """LeakyReLU, a windowed AvgPool2d and a functional ReLU, one layer on 5x5x4 (100
    elements; 2x2 windows at stride 2 give 2x2x4 = 16 outputs), through the layer rules and
    the presets."""
    n, out = MICRO_ELEMENTS, 16
    presets = ("thop", "ptflops", "fvcore", "torchprofile")
    assert _one_layer("leaky_relu: {call: functional}", "ptflops") == 0
    expected = {
        "leaky_relu": (n, n, 0, n),
        "avgpool: {k: 2}": (out, 2 * n, 0, out),
        "avgpool: {k: 2, call: functional}": (0, n, 0, out),
        "relu": (0, 2 * n, 0, 0),
        "relu: {call: functional}": (0, n, 0, 0),
    }
    for entry, counts in expected.items():
        assert tuple(_one_layer(entry, p) for p in presets) == counts, entry
    text = " ".join(_section().split())
    for claim in (
        "**LeakyReLU** counts one per element in thop",
        "`F.leaky_relu` is not patched, so the functional call counts 0",
        "fvcore counts nothing for it.",
        "**A windowed `nn.AvgPool2d`** counts one per output element in thop (`count_avgpool`)"
        " and in torchprofile (`aten::avg_pool2d`, module or functional). ptflops counts its"
        " input elements, twice for a module; fvcore has no handler for it.",
        "**A functional ReLU** (`F.relu`, as pytorch-cifar writes it) counts once in ptflops",
        "`nn.ReLU` counts twice.",
    ):
        assert claim in text, claim
