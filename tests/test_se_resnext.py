"""Squeeze-excite as its own entry, and ResNeXt / Wide ResNet bottlenecks (issue 14, items 4
and 7), with the shipped regnet_y_400mf and resnext50_32x4d against torchvision.

The reference numbers are in ``tests/reference/regnet_resnext.json``, written by
``tests/reference/make_regnet_resnext.py`` (torchvision 0.28, torch 2.13, CPU): params and BN
buffers from the modules, MACs from forward hooks that read each Conv2d's and Linear's own
attributes and output shape, never convcost. The brute-force counters below loop over output
positions and kernel taps; the squeeze width follows torchvision's ``_make_divisible``, copied
here as the rule the models use.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from convcost import network, spec
from convcost.errors import ConvcostError
from convcost.layers import LayerKind
from convcost.network import Report

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = json.loads((ROOT / "tests" / "reference" / "regnet_resnext.json").read_text())
MODELS: dict[str, dict[str, Any]] = FIXTURE["models"]

_TAGS = {LayerKind.CONV2D: "conv", LayerKind.LINEAR: "linear", LayerKind.BATCHNORM: "bn"}


def _walk(text: str, alpha: Fraction | None = None) -> Report:
    return network.walk(spec.loads(text), alpha=alpha)


def _spec(shape: list[int], layers: list[Any]) -> str:
    return yaml.safe_dump({"input": shape, "layers": layers}, sort_keys=False)


def _layers(report: Report) -> list[list[Any]]:
    """[kind, params, MACs] of every conv, BN and linear row, in the walker's order."""
    return [
        [_TAGS[row.kind], int(row.params), int(row.macs)]
        for row in report.rows
        if row.kind in _TAGS
    ]


def _tv_make_divisible(v: float, divisor: int, min_value: int | None = None) -> int:
    """torchvision.models._utils._make_divisible, as the reference models call it."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


# --- the shipped specs against torchvision --------------------------------------------------


@pytest.mark.parametrize("name", ["regnet_y_400mf", "resnext50_32x4d"])
def test_shipped_spec_equals_torchvision(name: str) -> None:
    ref = MODELS[name]
    report = network.walk(spec.load(ROOT / "configs" / f"{name}.yaml"))
    t = report.totals
    assert (t.params, t.buffers, t.macs) == (ref["params"], ref["buffers"], ref["macs"])
    layers = _layers(report)
    assert layers == ref["layers"]  # each conv, BN and linear, in order
    assert sum(m for kind, _, m in layers if kind == "conv") == ref["conv_macs"]
    assert sum(m for kind, _, m in layers if kind == "linear") == ref["linear_macs"]
    assert sum(p for kind, p, _ in layers if kind == "bn") == ref["bn_params"]


def test_the_fixture_is_torchvisions_published_counts() -> None:
    # torchvision's model documentation: regnet_y_400mf 4,344,144 params, 0.4 GFLOPS;
    # resnext50_32x4d 25,028,904 params, 4.23 GFLOPS; wide_resnet50_2 68,883,240, 11.4 GFLOPS
    # (its "GFLOPS" are multiply-adds).
    published = {
        "regnet_y_400mf": (4_344_144, 0.4),
        "resnext50_32x4d": (25_028_904, 4.23),
        "wide_resnet50_2": (68_883_240, 11.4),
    }
    for name, (params, gmacs) in published.items():
        assert MODELS[name]["params"] == params
        digits = len(str(gmacs).split(".")[1])
        assert round(MODELS[name]["macs"] / 1e9, digits) == gmacs


WIDE_RESNET50_2 = """\
input: [224, 224, 3]
defaults:
  bottleneck: {width_per_group: 128}
layers:
  - conv: {c: 64, k: 7, s: 2, padding: 3}
  - maxpool: {k: 3, s: 2, padding: 1}
  - bottleneck: {c: 64, n: 3}
  - bottleneck: {c: 128, n: 4, s: 2}
  - bottleneck: {c: 256, n: 6, s: 2}
  - bottleneck: {c: 512, n: 3, s: 2}
  - global_avgpool
  - fc: {c: 1000}
"""


def test_wide_resnet50_2_is_a_short_spec() -> None:
    """Wide ResNet-50-2 (torchvision wide_resnet50_2): ResNet-50 with width_per_group 128."""
    ref = MODELS["wide_resnet50_2"]
    report = _walk(WIDE_RESNET50_2)
    t = report.totals
    assert (t.params, t.buffers, t.macs) == (ref["params"], ref["buffers"], ref["macs"])
    assert _layers(report) == ref["layers"]


def test_resnext_widths_follow_torchvisions_rule() -> None:
    report = network.walk(spec.load(ROOT / "configs" / "resnext50_32x4d.yaml"))
    first = {row.name: row for row in report.rows if row.name.startswith("conv2_x.1.")}
    assert first["conv2_x.1.conv1"].output == (56, 56, 128)  # floor(64 * 4 / 64) * 32
    assert first["conv2_x.1.conv2"].layer.groups == 32
    assert first["conv2_x.1.conv3"].output == (56, 56, 256)
    widths = [row.output[2] for row in report.rows if row.name.endswith(".conv2")]
    assert sorted(set(widths)) == [128, 256, 512, 1024]


def test_regnet_squeezes_to_a_quarter_of_each_blocks_input() -> None:
    # torchvision: width_se_out = int(round(0.25 * width_in)), width_in the block's input:
    # a stage's first block takes the previous stage's width (the stem's 32 for stage 1).
    report = network.walk(spec.load(ROOT / "configs" / "regnet_y_400mf.yaml"))
    squeezes = [row.output[2] for row in report.rows if row.name.endswith(".se.fc1")]
    inputs = [32, 48, 104, 104, 104, *[208] * 5, 208, *[440] * 5]
    assert squeezes == [round(0.25 * w) for w in inputs]


# --- squeeze_excite: brute force ------------------------------------------------------------


def _brute_conv(
    h: int, w: int, cin: int, cout: int, k: int, stride: int, pad: int, groups: int, bias: bool
) -> tuple[tuple[int, int, int], int, int]:
    """Output shape, params and MACs of a grouped 2-D convolution by enumeration: every window
    start that fits the padded input is an output position, every tap of every output channel
    reads the input channels of its group (padded taps included, as PyTorch computes them)."""
    starts_h = [s for s in range(-pad, h + pad, stride) if s + k <= h + pad]
    starts_w = [s for s in range(-pad, w + pad, stride) if s + k <= w + pad]
    per_group_in, per_group_out = cin // groups, cout // groups
    params = macs = 0
    for co in range(cout):
        group = co // per_group_out
        inputs = range(group * per_group_in, (group + 1) * per_group_in)
        for _ci in inputs:
            for _tap in range(k * k):
                params += 1
        params += bias
        for _y in starts_h:
            for _x in starts_w:
                for _tap in range(k * k):
                    macs += len(inputs)
    return (len(starts_h), len(starts_w), cout), params, macs


@st.composite
def _se_configs(draw: Any) -> dict[str, Any]:
    size = draw(st.integers(1, 6))
    cin = draw(st.integers(1, 48))
    c = draw(st.integers(1, 48))  # the SE's own input: a conv before it makes cin -> c
    fields: dict[str, Any] = {}
    if draw(st.booleans()):
        fields["squeeze"] = draw(st.integers(1, 64))
    else:
        fields["ratio"] = draw(st.sampled_from([0.0625, 0.1, 0.25, 0.5, 1.0, 1.5]))
        fields["base"] = draw(st.sampled_from(["channels", "input"]))
        fields["divisor"] = draw(st.sampled_from([1, 4, 8]))
    fields["act"] = draw(st.sampled_from(["relu", "silu", "none"]))
    fields["gate"] = draw(st.sampled_from(["sigmoid", "hsigmoid"]))
    return {"size": size, "cin": cin, "c": c, "fields": fields}


@settings(max_examples=80, deadline=None)
@given(_se_configs())
def test_squeeze_excite_against_brute_force(config: dict[str, Any]) -> None:
    size, cin, c, f = config["size"], config["cin"], config["c"], config["fields"]
    text = _spec(
        [size, size, cin],
        [
            {
                "residual": {
                    "layers": [
                        {"conv": {"c": c, "k": 1}},
                        {"squeeze_excite": f},
                        {"conv": {"c": cin, "k": 1}},
                    ]
                }
            }
        ],
    )
    if "squeeze" in f:
        squeeze = f["squeeze"]
    else:
        base = cin if f["base"] == "input" else c
        squeeze = _tv_make_divisible(int(f["ratio"] * base), f["divisor"])
    report = _walk(text)
    se = [row for row in report.rows if ".se1." in row.name]
    fc1 = _brute_conv(1, 1, c, squeeze, 1, 1, 0, 1, True)
    fc2 = _brute_conv(1, 1, squeeze, c, 1, 1, 0, 1, True)
    assert sum(row.params for row in se) == fc1[1] + fc2[1]
    assert sum(row.macs for row in se) == fc1[2] + fc2[2]
    assert sum(row.buffers for row in se) == 0
    assert se[-1].kind is LayerKind.MULTIPLY and se[-1].output == (size, size, c)
    assert [row.output for row in se if row.kind is LayerKind.CONV2D] == [fc1[0], fc2[0]]
    acts = [] if f["act"] == "none" else [f"fc1.{f['act']}"]
    parts = ["pool", "fc1", *acts, "fc2", f"fc2.{f['gate']}", "multiply"]
    assert [row.name.split(".se1.", 1)[1] for row in se] == parts


def test_base_input_follows_each_repetition_and_the_nearest_block() -> None:
    text = _spec(
        [8, 8, 16],
        [
            {
                "sequence": {
                    "n": 2,
                    "layers": [
                        {"conv": {"c": 32}},
                        {"squeeze_excite": {"ratio": 0.25, "base": "input"}},
                        {
                            "residual": {
                                "layers": [
                                    {"conv": {"c": 64}},
                                    {"squeeze_excite": {"ratio": 0.5, "base": "input"}},
                                    {"conv": {"c": 32}},
                                ]
                            }
                        },
                    ],
                }
            }
        ],
    )
    fc1 = {row.name: row.output[2] for row in _walk(text).rows if row.name.endswith("fc1")}
    assert fc1 == {
        "stage1.se1.fc1": 4,  # 0.25 x the sequence's input, 16
        "stage1.block1.se1.fc1": 16,  # 0.5 x the residual's input, 32
        "stage2.se1.fc1": 8,  # the second repetition's input is 32
        "stage2.block1.se1.fc1": 16,
    }


def test_squeeze_channels_scale_with_alpha_and_a_ratio_follows_its_base() -> None:
    text = _spec(
        [8, 8, 3],
        [
            {"conv": {"c": 64}},
            {"squeeze_excite": {"squeeze": 16}},
            {"squeeze_excite": {"ratio": 0.25}},
        ],
    )
    fc1 = [r.output[2] for r in _walk(text, Fraction(1, 2)).rows if r.name.endswith("fc1")]
    assert fc1 == [8, 8]  # 16 x 0.5; 0.25 x (64 x 0.5)


def test_base_input_needs_an_enclosing_block() -> None:
    text = _spec([8, 8, 16], [{"squeeze_excite": {"ratio": 0.25, "base": "input"}}])
    with pytest.raises(ConvcostError) as caught:
        _walk(text)
    assert (caught.value.layer, caught.value.field) == ("se1", "base")


# --- the inverted residual's se is a squeeze_excite entry -----------------------------------


def _costs(report: Report) -> list[tuple[Any, ...]]:
    return [(row.name, row.kind, row.output, row.params, row.macs) for row in report.rows]


@pytest.mark.parametrize(
    ("se_fields", "entry_fields"),
    [
        # MobileNetV3: a quarter of the expanded channels, to a multiple of 8, hard-sigmoid.
        ({}, {"base": "channels", "divisor": 8, "gate": "hsigmoid"}),
        # EfficientNet: max(1, int(0.25 * cin)), SiLU and sigmoid.
        (
            {"se_base": "input", "se_act": "silu", "se_gate": "sigmoid"},
            {"base": "input", "act": "silu"},
        ),
    ],
)
def test_inverted_residual_se_is_the_squeeze_excite_entry(
    se_fields: dict[str, Any], entry_fields: dict[str, Any]
) -> None:
    act = "silu" if se_fields else "relu6"
    ir = {"name": "b", "t": 6, "k": 5, "c": 40, "act": act, "se": 0.25, **se_fields}
    block = _spec([14, 14, 40], [{"inverted_residual": ir}])
    written = _spec(
        [14, 14, 40],
        [
            {
                "residual": {
                    "name": "b",
                    "layers": [
                        {"conv": {"name": "expand", "c": 240, "k": 1, "padding": 0, "act": act}},
                        {"depthwise": {"name": "dw", "k": 5, "act": act}},
                        {"squeeze_excite": {"name": "se", "ratio": 0.25, **entry_fields}},
                        {"conv": {"name": "project", "c": 40, "k": 1, "act": "none"}},
                    ],
                }
            }
        ],
    )
    assert _costs(_walk(block)) == _costs(_walk(written))


# --- bottleneck with groups and width_per_group: brute force --------------------------------


@settings(max_examples=60, deadline=None)
@given(
    size=st.integers(1, 7),
    cin=st.integers(1, 24),
    c=st.integers(1, 8),
    groups=st.integers(1, 4),
    per_group=st.sampled_from([4, 16, 32, 64, 128]),
    expansion=st.integers(1, 4),
    stride=st.integers(1, 2),
)
def test_bottleneck_against_brute_force(
    size: int, cin: int, c: int, groups: int, per_group: int, expansion: int, stride: int
) -> None:
    width = c * per_group // 64 * groups  # torchvision: int(planes * (base_width / 64.)) * groups
    fields = {
        "c": c,
        "s": stride,
        "groups": groups,
        "width_per_group": per_group,
        "expansion": expansion,
    }
    text = _spec([size, size, cin], [{"bottleneck": fields}])
    if width == 0:
        with pytest.raises(ConvcostError) as caught:
            _walk(text)
        assert caught.value.field == "width_per_group"
        return
    cout = c * expansion
    _, p1, m1 = _brute_conv(size, size, cin, width, 1, 1, 0, 1, False)
    shape2, p2, m2 = _brute_conv(size, size, width, width, 3, stride, 1, groups, False)
    h, w, _ = shape2
    shape3, p3, m3 = _brute_conv(h, w, width, cout, 1, 1, 0, 1, False)
    params, macs, bn = p1 + p2 + p3, m1 + m2 + m3, 2 * (width + width + cout)
    if stride != 1 or cin != cout:
        shape4, p4, m4 = _brute_conv(size, size, cin, cout, 1, stride, 0, 1, False)
        assert shape4 == shape3
        params, macs, bn = params + p4, macs + m4, bn + 2 * cout
    report = _walk(text)
    assert report.output == shape3
    assert (report.totals.params, report.totals.buffers, report.totals.macs) == (
        params + bn,
        bn,
        macs,
    )
    conv2 = next(row for row in report.rows if row.name.endswith("conv2"))
    assert (conv2.output, conv2.layer.groups) == (shape2, groups)
