"""docs/peers.md: what thop, ptflops, fvcore, torchinfo and torchprofile report for the zoo.

The peer numbers below were measured once (torch 2.14.1, torchvision 0.29.1, CPU, Python 3.11)
on each model built with ``weights=None`` in eval mode, one 1x3x224x224 input. MobileNet V1 is
Howard et al.'s Table 1 network (nn.Sequential of Conv2d/BatchNorm2d/ReLU, AdaptiveAvgPool2d,
Flatten, Linear), as in docs/peers.md. They are constants here, so this test needs no torch.

Each test asserts the relation docs/peers.md states between a peer's number and convcost's
own counts, with every extra term summed from convcost's report rows; and that the numbers in
the doc's tables are these constants, so the doc cannot drift.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from convcost import network, spec
from convcost.network import Report

DOC = Path(__file__).resolve().parents[1] / "docs" / "peers.md"

MODELS = (
    "mobilenet_v1",
    "mobilenet_v2",
    "mobilenet_v3_large",
    "resnet18",
    "resnet50",
    "vgg16",
    "shufflenet_v2_x1_0",
    "efficientnet_b0",
)

# thop 0.1.1.post2209072238: thop.profile(model, inputs=(x,)) -> (macs, params)
THOP = {
    "mobilenet_v1": (588962304, 4231976),
    "mobilenet_v2": (327486720, 3504872),
    "mobilenet_v3_large": (234838456, 5483032),
    "resnet18": (1824033792, 11689512),
    "resnet50": (4133742592, 25557032),
    "vgg16": (15470314496, 138357544),
    "shufflenet_v2_x1_0": (152708792, 2278604),
    "efficientnet_b0": (415145024, 5288548),
}
# ptflops 0.7.5: get_model_complexity_info(model, (3, 224, 224), as_strings=False,
# backend="pytorch") -> (macs, params); count_functional left at its default (True)
PTFLOPS_PYTORCH = {
    "mobilenet_v1": (589012456, 4231976),
    "mobilenet_v2": (320300008, 3504872),
    "mobilenet_v3_large": (231316416, 5483032),
    "resnet18": (1825313768, 11689512),
    "resnet50": (4132436968, 25557032),
    "vgg16": (15523225576, 138357544),
    "shufflenet_v2_x1_0": (152387568, 2278604),
    "efficientnet_b0": (410196896, 5288548),
}
# ptflops 0.7.5: the same call with backend="aten" -> (macs, params)
PTFLOPS_ATEN = {
    "mobilenet_v1": (568741352, 4231976),
    "mobilenet_v2": (300775272, 3504872),
    "mobilenet_v3_large": (216597120, 5483032),
    "resnet18": (1814074344, 11689512),
    "resnet50": (4089185256, 25557032),
    "vgg16": (15483821032, 138357544),
    "shufflenet_v2_x1_0": (144908992, 2278604),
    "efficientnet_b0": (385825092, 5288548),
}
# fvcore 0.1.5.post20221221: FlopCountAnalysis(model, x).total(), parameter_count(model)[""]
FVCORE = {
    "mobilenet_v1": (578875904, 4231976),
    "mobilenet_v2": (314193216, 3504872),
    "mobilenet_v3_large": (226033824, 5483032),
    "resnet18": (1819065856, 11689512),
    "resnet50": (4111512576, 25557032),
    "vgg16": (15470289408, 138357544),
    "shufflenet_v2_x1_0": (148808392, 2278604),
    "efficientnet_b0": (401659392, 5288548),
}
# fvcore 0.1.5.post20221221: FlopCountAnalysis(model, x).by_operator():
# conv, linear, batch_norm, adaptive_avg_pool2d (0 where the operator does not occur)
FVCORE_BY_OPERATOR = {
    "mobilenet_v1": (567716352, 1024000, 10085376, 50176),
    "mobilenet_v2": (299494272, 1280000, 13356224, 62720),
    "mobilenet_v3_large": (214080960, 2508800, 8799616, 644448),
    "resnet18": (1813561344, 512000, 4967424, 25088),
    "resnet50": (4087136256, 2048000, 22227968, 100352),
    "vgg16": (15346630656, 123633664, 0, 25088),
    "shufflenet_v2_x1_0": (143883992, 1024000, 3900400, 0),
    "efficientnet_b0": (384534752, 1280000, 13475392, 2369248),
}
# torchinfo 1.8.0: summary(model, input_size=(1, 3, 224, 224)) ->
# (total_mult_adds, total_params, trainable_params)
TORCHINFO = {
    "mobilenet_v1": (568763240, 4231976, 4231976),
    "mobilenet_v2": (300809384, 3504872, 3504872),
    "mobilenet_v3_large": (216621520, 5483032, 5483032),
    "resnet18": (1814083944, 11689512, 11689512),
    "resnet50": (4089238376, 25557032, 25557032),
    "vgg16": (15483821032, 138357544, 138357544),
    "shufflenet_v2_x1_0": (144925172, 2278604, 2278604),
    "efficientnet_b0": (385867108, 5288548, 5288548),
}
# torchprofile 0.1.0: profile_macs(model, x)
TORCHPROFILE = {
    "mobilenet_v1": 573784064,
    "mobilenet_v2": 307453664,
    "mobilenet_v3_large": 221591992,
    "resnet18": 1816557568,
    "resnet50": 4100300288,
    "vgg16": 15470289408,
    "shufflenet_v2_x1_0": 146859216,
    "efficientnet_b0": 394869216,
}

# One layer on a 1x4x5x5 input (100 elements), to show each counter's rule in isolation:
# (ptflops 0.7.5 default, ptflops with backend_specific_config={"count_functional": False},
# thop 0.1.1.post2209072238).
MICRO_ELEMENTS = 100
MICRO = {
    "nn.ReLU": (200, 100, 0),
    "nn.ReLU6": (100, 100, 0),
    "nn.SiLU": (100, 0, 0),
    "nn.Hardswish": (0, 0, 0),
    "nn.AdaptiveAvgPool2d(1)": (200, 100, 104),
    "nn.MaxPool2d(2)": (200, 100, 0),
    "nn.BatchNorm2d(4)": (200, 200, 400),
}

# How torchvision writes each model's global average pool, which decides who counts it:
# an nn.AdaptiveAvgPool2d module, F.adaptive_avg_pool2d in forward(), or x.mean([2, 3]).
POOL_CODE = {
    "mobilenet_v1": "module",
    "mobilenet_v2": "functional",
    "mobilenet_v3_large": "module",
    "resnet18": "module",
    "resnet50": "module",
    "vgg16": "module",
    "shufflenet_v2_x1_0": "mean",
    "efficientnet_b0": "module",
}


@dataclass(frozen=True)
class Terms:
    """Sums over convcost's report rows of what the peers count besides conv/linear MACs."""

    macs: int
    params: int
    bn_elements: int  # output elements of BatchNorm rows
    bn_params: int  # gamma + beta of BatchNorm rows
    bias_adds: int  # output elements of conv rows with a bias, out features of linear rows with one
    relu: int  # output elements of activation rows by function
    relu6: int
    silu: int
    avgpool_in: int  # global/adaptive average pooling, input and output elements
    avgpool_out: int
    maxpool_in: int
    multiply: int  # output elements of multiply rows (squeeze-excite scaling)


def terms_of(report: Report) -> Terms:
    """The extra terms, summed by the library: each row's named cost terms (layers.TERMS)."""
    t = report.totals.terms

    def total(*names: str) -> int:
        return sum(int(t.get(name, 0)) for name in names)

    avgpools = ("pool.adaptive_avg", "pool.adaptive_avg.functional", "pool.mean")
    return Terms(
        macs=report.totals.macs,
        params=report.totals.params,
        bn_elements=total("bn"),
        bn_params=total("bn_params"),
        bias_adds=total("bias"),
        relu=total("act.relu"),
        relu6=total("act.relu6"),
        silu=total("act.silu", "act.swish"),
        avgpool_in=total(*(f"{pool}.in" for pool in avgpools)),
        avgpool_out=total(*(f"{pool}.out" for pool in avgpools)),
        maxpool_in=total("pool.max.in"),
        multiply=total("multiply"),
    )


_TERMS: dict[str, Terms] = {}


def terms(name: str) -> Terms:
    if name not in _TERMS:
        _TERMS[name] = terms_of(network.walk(spec.load(spec.resolve(name)[0])))
    return _TERMS[name]


models = pytest.mark.parametrize("name", MODELS)


# --- the relations docs/peers.md states -----------------------------------------------------


@models
def test_params_all_tools_equal_convcost_params(name: str) -> None:
    p = terms(name).params
    assert THOP[name][1] == p
    assert PTFLOPS_PYTORCH[name][1] == p
    assert PTFLOPS_ATEN[name][1] == p
    assert FVCORE[name][1] == p
    assert TORCHINFO[name][1] == p
    assert TORCHINFO[name][2] == p  # trainable: BN running stats are buffers, not params


@models
def test_fvcore_conv_plus_linear_is_convcost_macs(name: str) -> None:
    t = terms(name)
    conv, linear, batch_norm, avgpool = FVCORE_BY_OPERATOR[name]
    assert conv + linear == t.macs
    assert batch_norm == 2 * t.bn_elements  # eval mode, affine: 2 per element
    # aten::adaptive_avg_pool2d counts its input elements; x.mean() is unsupported (skipped)
    assert avgpool == (0 if POOL_CODE[name] == "mean" else t.avgpool_in)
    assert FVCORE[name][0] == conv + linear + batch_norm + avgpool


@models
def test_fvcore_total(name: str) -> None:
    t = terms(name)
    pool = 0 if POOL_CODE[name] == "mean" else t.avgpool_in
    assert FVCORE[name][0] == t.macs + 2 * t.bn_elements + pool


@models
def test_ptflops_aten_is_macs_plus_bias_adds(name: str) -> None:
    t = terms(name)
    assert PTFLOPS_ATEN[name][0] == t.macs + t.bias_adds


@models
def test_torchinfo_is_macs_plus_bias_adds_plus_bn_params(name: str) -> None:
    t = terms(name)
    assert TORCHINFO[name][0] == t.macs + t.bias_adds + t.bn_params


@models
def test_thop(name: str) -> None:
    t = terms(name)
    pool = t.avgpool_in + t.avgpool_out if POOL_CODE[name] == "module" else 0
    assert THOP[name][0] == t.macs + 4 * t.bn_elements + pool


@models
def test_ptflops_pytorch(name: str) -> None:
    t = terms(name)
    pool = {"module": 2, "functional": 1, "mean": 0}[POOL_CODE[name]] * t.avgpool_in
    extra = 2 * t.bn_elements + 2 * t.relu + t.relu6 + t.silu + 2 * t.maxpool_in + pool
    assert PTFLOPS_PYTORCH[name][0] == t.macs + t.bias_adds + extra


@models
def test_torchprofile(name: str) -> None:
    t = terms(name)
    assert TORCHPROFILE[name] == t.macs + t.bn_elements + t.avgpool_out + t.multiply


def test_micro_rules() -> None:
    n = MICRO_ELEMENTS
    assert MICRO["nn.ReLU"] == (2 * n, n, 0)  # module hook + patched F.relu
    assert MICRO["nn.ReLU6"] == (n, n, 0)  # forward calls F.hardtanh, which is not patched
    assert MICRO["nn.SiLU"] == (n, 0, 0)  # no module hook; only the patched F.silu
    assert MICRO["nn.Hardswish"] == (0, 0, 0)
    assert MICRO["nn.AdaptiveAvgPool2d(1)"] == (2 * n, n, n + 4)  # thop: input + output
    assert MICRO["nn.MaxPool2d(2)"] == (2 * n, n, 0)
    assert MICRO["nn.BatchNorm2d(4)"] == (2 * n, 2 * n, 4 * n)


# --- the doc quotes exactly these numbers ---------------------------------------------------


def _table(marker: str) -> list[list[str]]:
    """The body rows (cells stripped) of the first table at or after the line starting marker."""
    lines = DOC.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(marker))
    rows: list[list[str]] = []
    for i, line in enumerate(lines[start:]):
        if line.startswith("|"):
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
        elif rows or (i and line.startswith("#")):
            break
    assert len(rows) > 2, marker
    return rows[2:]


def _int(cell: str) -> int:
    assert re.fullmatch(r"\d{1,3}(,\d{3})*", cell), cell
    return int(cell.replace(",", ""))


def _by_model(heading: str) -> dict[str, list[int]]:
    rows = _table(heading)
    table = {r[0].strip("`"): [_int(c) for c in r[1:]] for r in rows}
    assert list(table) == list(MODELS), heading
    return table


def test_doc_macs_table() -> None:
    for name, cells in _by_model("## MACs as each tool reports them").items():
        assert cells == [
            terms(name).macs,
            THOP[name][0],
            PTFLOPS_PYTORCH[name][0],
            PTFLOPS_ATEN[name][0],
            FVCORE[name][0],
            TORCHINFO[name][0],
            TORCHPROFILE[name],
        ], name


def test_doc_params_table() -> None:
    for name, cells in _by_model("## Parameters").items():
        assert cells == [
            terms(name).params,
            THOP[name][1],
            PTFLOPS_PYTORCH[name][1],
            PTFLOPS_ATEN[name][1],
            FVCORE[name][1],
            TORCHINFO[name][1],
            TORCHINFO[name][2],
        ], name


def test_doc_fvcore_table() -> None:
    for name, cells in _by_model("## fvcore by operator").items():
        assert cells == list(FVCORE_BY_OPERATOR[name]), name


def test_doc_terms_table() -> None:
    rows = _table("## The extra terms, from convcost's rows")
    assert [r[0].strip("`") for r in rows] == list(MODELS)
    for r in rows:
        name, t = r[0].strip("`"), terms(r[0].strip("`"))
        assert [_int(c) for c in r[1:-1]] == [
            t.bn_elements,
            t.bn_params,
            t.bias_adds,
            t.relu,
            t.relu6,
            t.silu,
            t.avgpool_in,
            t.avgpool_out,
            t.maxpool_in,
            t.multiply,
        ], name
        assert r[-1] == POOL_CODE[name], name


def test_doc_micro_table() -> None:
    rows = _table("| layer (100 elements) |")
    assert {r[0].strip("`"): tuple(_int(c) for c in r[1:]) for r in rows} == MICRO


def test_doc_versions() -> None:
    text = DOC.read_text(encoding="utf-8")
    for version in (
        "torch 2.14.1",
        "torchvision 0.29.1",
        "thop 0.1.1.post2209072238",
        "ptflops 0.7.5",
        "fvcore 0.1.5.post20221221",
        "torchinfo 1.8.0",
        "torchprofile 0.1.0",
    ):
        assert version in text, version


def test_doc_prose_figures() -> None:
    """The figures quoted in sentences (not tables) are these constants and terms too."""
    text = " ".join(DOC.read_text(encoding="utf-8").split())
    X = "\N{MULTIPLICATION SIGN}"
    v1 = terms("mobilenet_v1")
    thop, ptf = THOP["mobilenet_v1"][0], PTFLOPS_PYTORCH["mobilenet_v1"][0]
    assert thop - v1.macs == 4 * v1.bn_elements + v1.avgpool_in + v1.avgpool_out
    assert ptf == v1.macs + v1.bias_adds + 2 * v1.bn_elements + 2 * v1.relu + 2 * v1.avgpool_in
    for sentence in (
        f"thop say {round(thop / 1e6)} M and convcost say {round(v1.macs / 1e6)} M",
        f"MobileNet V1, thop {thop:,} vs convcost {v1.macs:,}",
        f"The difference is {thop - v1.macs:,} = 4 {X} {v1.bn_elements:,} (BN elements)"
        f" + {v1.avgpool_in:,} + {v1.avgpool_out:,} (the avg-pool's input and output).",
        f"ptflops' {ptf:,} = convcost + {v1.bias_adds:,} (FC bias) + 2 {X} {v1.bn_elements:,} (BN)"
        f" + 2 {X} {v1.relu:,} (ReLU, counted twice) + 2 {X} {v1.avgpool_in:,} (avg-pool, counted"
        " twice).",
        f"the classifier's out-features ({v1.bias_adds:,})",
        f"vgg16's is {terms('vgg16').bias_adds:,}.",
        f"input + output elements ({MICRO['nn.AdaptiveAvgPool2d(1)'][2]} above)",
    ):
        assert sentence in text, sentence
