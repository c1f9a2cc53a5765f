"""Issue 14: LayerNorm, GroupNorm, InstanceNorm, PReLU, layer scale, ceil_mode pooling, and the
shipped squeezenet1_1 and convnext_tiny, against PyTorch and against brute-force counts.

The reference numbers come from tests/reference/norms_pools.json, written by
tests/reference/make_norms_pools.py with torch and torchvision (see its docstring); this test
needs neither.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convcost import conventions, formulas, network, spec
from convcost import layers as L
from convcost.errors import ConvcostError
from convcost.layers import LayerKind

REFERENCE = json.loads(
    (Path(__file__).resolve().parent / "reference" / "norms_pools.json").read_text()
)
_TAGS = {LayerKind.CONV2D: "conv", LayerKind.LINEAR: "linear"}


def _walk(text: str, convention: str = "exact") -> network.Report:
    return network.walk(spec.loads(text), convention=conventions.convention(convention))


def _one(entry: str, shape: tuple[int, int, int] = (5, 5, 4), convention: str = "exact") -> Any:
    h, w, c = shape
    return _walk(f"input: [{h}, {w}, {c}]\nlayers:\n  - {entry}\n", convention)


# --- the shipped specs against torchvision ---------------------------------------------------


def _model(name: str, resolution: int) -> dict[str, Any]:
    model: dict[str, Any] = REFERENCE["models"][f"{name}@{resolution}"]
    return model


def _costed(report: network.Report) -> list[list[Any]]:
    return [
        [_TAGS[row.kind], int(row.params), int(row.macs)]
        for row in report.rows
        if row.kind in _TAGS
    ]


@pytest.mark.parametrize("resolution", [224, 225, 227, 231])
def test_squeezenet1_1_is_torchvision_at_each_resolution(resolution: int) -> None:
    """`convcost net squeezenet1_1 --resolution R`: the ceil_mode max pools keep torchvision's
    shapes where a floor would lose a row and a column (225, 227, 231)."""
    expected = _model("squeezenet1_1", resolution)
    report = network.walk(spec.load("squeezenet1_1"), resolution=resolution)
    totals = report.totals
    assert (totals.params, totals.buffers, totals.macs) == (
        expected["params"],
        expected["buffers"],
        expected["macs"],
    )
    assert _costed(report) == expected["layers"]
    pools = [list(row.output) for row in report.rows if row.kind is LayerKind.MAXPOOL]
    assert pools == expected["shapes"]


def test_squeezenet1_1_needs_ceil_mode_at_225() -> None:
    """Without ceil_mode the same spec loses torchvision's shapes: the test can fail."""
    text = (Path(__file__).resolve().parents[1] / "configs" / "squeezenet1_1.yaml").read_text()
    floor = text.replace("ceil_mode: true", "ceil_mode: false")
    report = network.walk(spec.loads(floor), resolution=225)
    assert report.totals.macs != _model("squeezenet1_1", 225)["macs"]


def test_convnext_tiny_is_torchvision() -> None:
    expected = _model("convnext_tiny", 224)
    assert expected["params"] == 28_589_128
    report = network.walk(spec.load("convnext_tiny"))
    totals = report.totals
    assert (totals.params, totals.buffers, totals.macs) == (
        expected["params"],
        expected["buffers"],
        expected["macs"],
    )
    assert _costed(report) == expected["layers"]
    kinds = [row.kind for row in report.rows]
    assert kinds.count(LayerKind.LAYERNORM) == 1 + 18 + 3 + 1
    assert kinds.count(LayerKind.LAYER_SCALE) == 18
    # 2C params per LayerNorm and C per layer scale, as torchvision's.
    norm_params = sum(row.params for row in report.rows if row.kind is LayerKind.LAYERNORM)
    assert norm_params == 2 * (96 + 3 * 96 + 96 + 3 * 192 + 192 + 9 * 384 + 384 + 3 * 768 + 768)


# --- ceil_mode ------------------------------------------------------------------------------


def _brute_ceil(size: int, k: int, stride: int, padding: int) -> int:
    """Windows of a ceil_mode pool, one at a time: every window inside the padded input, then
    one that runs past its end by fewer than ``stride`` elements (the rounding up) if it starts
    inside the input or its left padding. 0: PyTorch refuses it."""
    padded = size + 2 * padding
    count, start = 0, 0
    while True:
        end = start + k
        if end <= padded:
            count += 1
        else:
            if end - padded < stride and start < size + padding:
                count += 1
            return count
        start += stride


def _brute_floor(size: int, k: int, stride: int, padding: int) -> int:
    padded, count, start = size + 2 * padding, 0, 0
    while start + k <= padded:
        count, start = count + 1, start + stride
    return count


def _pool(kind: str, size: int, k: int, stride: int, padding: int, ceil: bool) -> int:
    layer = L.Pool(LayerKind(kind), (k, k), (stride, stride), (padding, padding), None, ceil)
    return int(L.cost(layer, (size, size, 3)).output[0])


@pytest.mark.parametrize("kind", ["maxpool", "avgpool"])
def test_ceil_mode_is_pytorch_on_a_grid(kind: str) -> None:
    """Every configuration of the fixture's grid: PyTorch's output size, or its refusal."""
    column = 4 if kind == "maxpool" else 5
    for row in REFERENCE["pools"]:
        size, k, stride, padding = row[:4]
        expected = row[column]
        assert _brute_ceil(size, k, stride, padding) == (expected or 0), row
        if expected is None:
            with pytest.raises(ConvcostError, match="ceil_mode lets a window run past"):
                _pool(kind, size, k, stride, padding, True)
        else:
            assert _pool(kind, size, k, stride, padding, True) == expected, row


@settings(max_examples=300, deadline=None)
@given(
    size=st.integers(1, 40),
    k=st.integers(1, 7),
    stride=st.integers(1, 6),
    data=st.data(),
)
def test_ceil_mode_equals_sliding_windows(size: int, k: int, stride: int, data: Any) -> None:
    padding = data.draw(st.integers(0, k // 2))
    expected = _brute_ceil(size, k, stride, padding)
    out = formulas.pool_output_size_ceil(size, k, stride, padding)
    assert out == expected if expected else out < 1
    assert _brute_floor(size, k, stride, padding) <= expected
    assert expected <= _brute_floor(size, k, stride, padding) + 1
    if expected:
        assert _pool("maxpool", size, k, stride, padding, True) == expected
    else:
        with pytest.raises(ConvcostError, match="ceil_mode"):
            _pool("avgpool", size, k, stride, padding, True)


def test_ceil_mode_symbolic_is_the_same_formula() -> None:
    import sympy

    h = sympy.Symbol("H", positive=True, integer=True)
    expr = formulas.pool_output_size_ceil(h, 3, 2, 1)
    for value in range(1, 30):
        assert expr.subs(h, value) == _brute_ceil(value, 3, 2, 1)


def test_ceil_mode_with_a_window_larger_than_the_input() -> None:
    """PyTorch pools a 2x2 input with a 3x3 window at ceil_mode (one window), and refuses 1x1."""
    report = _one("maxpool: {k: 3, s: 2, ceil_mode: true}", (2, 2, 4))
    assert report.rows[0].output == (1, 1, 4)
    with pytest.raises(ConvcostError, match="window 3 is 2 larger than the input H=1"):
        _one("maxpool: {k: 3, s: 2, ceil_mode: true}", (1, 1, 4))
    with pytest.raises(ConvcostError, match="larger than the input"):
        _one("maxpool: {k: 3, s: 2}", (2, 2, 4))


def test_count_include_pad_changes_no_count() -> None:
    entry = "avgpool: {k: 3, s: 2, padding: 1, ceil_mode: true, count_include_pad: %s}"
    for convention in ("exact", "thop", "ptflops", "torchprofile"):
        on = _one(entry % "true", (9, 9, 4), convention)
        off = _one(entry % "false", (9, 9, 4), convention)
        assert on.totals == off.totals
        assert on.rows[0].output == off.rows[0].output == (5, 5, 4)


# --- norms, PReLU, layer scale ---------------------------------------------------------------

_NORM_ENTRIES = {
    "layernorm affine=True bias=True": "layernorm",
    "layernorm affine=True bias=False": "layernorm: {bias: false}",
    "layernorm affine=False bias=True": "layernorm: {elementwise_affine: false}",
    "layernorm affine=False bias=False": "layernorm: {elementwise_affine: false, bias: false}",
    "groupnorm groups=1 affine=True": "groupnorm: {groups: 1}",
    "groupnorm groups=1 affine=False": "groupnorm: {groups: 1, affine: false}",
    "groupnorm groups=3 affine=True": "groupnorm: {groups: 3}",
    "groupnorm groups=3 affine=False": "groupnorm: {groups: 3, affine: false}",
    "groupnorm groups=12 affine=True": "groupnorm: {groups: 12}",
    "groupnorm groups=12 affine=False": "groupnorm: {groups: 12, affine: false}",
    "instancenorm affine=True track_running_stats=True": (
        "instancenorm: {affine: true, track_running_stats: true}"
    ),
    "instancenorm affine=True track_running_stats=False": "instancenorm: {affine: true}",
    "instancenorm affine=False track_running_stats=True": (
        "instancenorm: {track_running_stats: true}"
    ),
    "instancenorm affine=False track_running_stats=False": "instancenorm",
    "prelu num_parameters=1": "prelu",
    "prelu num_parameters=12": "prelu: {num_parameters: 12}",
}


@pytest.mark.parametrize("case", sorted(_NORM_ENTRIES))
def test_params_and_buffers_are_pytorch(case: str) -> None:
    """nn.LayerNorm(12), nn.GroupNorm(G, 12), nn.InstanceNorm2d(12), nn.PReLU(n): as built."""
    report = _one(_NORM_ENTRIES[case], (6, 5, 12))
    assert [report.totals.params, report.totals.buffers] == REFERENCE["norms"][case]
    assert report.totals.macs == 0  # exact: conv and linear MACs only
    assert report.rows[0].output == (6, 5, 12)


@settings(max_examples=100, deadline=None)
@given(
    h=st.integers(1, 6),
    w=st.integers(1, 6),
    groups=st.integers(1, 4),
    per_group=st.integers(1, 4),
    affine=st.booleans(),
    bias=st.booleans(),
    track=st.booleans(),
)
def test_norms_equal_a_brute_force_count(
    h: int, w: int, groups: int, per_group: int, affine: bool, bias: bool, track: bool
) -> None:
    """Params one gamma and beta at a time; elements normalised one group, channel and position
    at a time (GroupNorm's statistics are over C/G channels and all positions)."""
    c = groups * per_group
    gamma = beta = normalised = 0
    for _ in range(c):
        gamma += affine
        beta += affine and bias
    for _group in range(groups):
        for _channel in range(per_group):
            for _y in range(h):
                for _x in range(w):
                    normalised += 1
    a = str(affine).lower()
    cases = {
        "layernorm": (f"layernorm: {{elementwise_affine: {a}, bias: {str(bias).lower()}}}", 0),
        "groupnorm": (f"groupnorm: {{groups: {groups}, affine: {a}}}", 0),
        "instancenorm": (
            f"instancenorm: {{affine: {a}, track_running_stats: {str(track).lower()}}}",
            2 * c * track,
        ),
    }
    for kind, (entry, buffers) in cases.items():
        row = _one(entry, (h, w, c)).rows[0]
        full = kind != "layernorm" or bias  # only LayerNorm may drop its beta
        assert row.params == gamma + (beta if kind == "layernorm" else gamma * full), entry
        assert row.buffers == buffers
        op = {"layernorm": "layer", "groupnorm": "group", "instancenorm": "instance"}[kind]
        assert row.terms[f"norm.{op}{'.affine' if affine else ''}"] == normalised
        assert row.macs == 0


def test_groupnorm_refuses_groups_that_do_not_divide_c() -> None:
    with pytest.raises(ConvcostError, match="5 groups do not divide the 12 channels"):
        _one("groupnorm: {groups: 5}", (4, 4, 12))


def test_prelu_takes_one_slope_or_one_per_channel() -> None:
    assert _one("prelu: {num_parameters: 4}").totals.params == 4
    with pytest.raises(ConvcostError, match="3 slopes for 4 channels"):
        _one("prelu: {num_parameters: 3}")


def test_layer_scale_is_c_params_and_an_elementwise_multiply() -> None:
    row = _one("layer_scale", (3, 5, 7)).rows[0]
    assert (row.params, row.buffers, row.macs) == (7, 0, 0)
    assert row.terms == {"layer_scale": 3 * 5 * 7}


# --- the presets: each tool's rule, from its source (docs/peers.md) -------------------------

N = 5 * 5 * 4  # elements of the 5x5x4 input

# entry -> MACs under (thop, ptflops, fvcore, torchinfo, torchprofile)
PRESETS = {
    # thop count_normalization: 2/element, x2 with elementwise_affine; ptflops
    # bn_flops_counter_hook: 1/element (LayerNorm has no `affine`); fvcore norm_flop_counter:
    # 5/element with a weight; torchinfo: gamma + beta; torchprofile: elements with a weight.
    "layernorm": (4 * N, N, 5 * N, 8, N),
    "layernorm: {elementwise_affine: false}": (2 * N, N, 4 * N, 0, 0),
    # LayerNorm2d, a subclass: thop and ptflops match exact types and skip it.
    "layernorm: {call: functional}": (0, 0, 5 * N, 8, N),
    # nn.GroupNorm: no thop hook; ptflops 2/element with affine.
    "groupnorm: {groups: 2}": (0, 2 * N, 5 * N, 8, N),
    "groupnorm: {groups: 2, affine: false}": (0, N, 4 * N, 0, 0),
    "instancenorm": (2 * N, N, 4 * N, 0, 0),
    "instancenorm: {affine: true, track_running_stats: true}": (4 * N, 2 * N, 5 * N, 8, N),
    # thop count_prelu: 1/element; ptflops: the module hook and the patched F.prelu;
    # torchinfo: the weight times the batch; fvcore and torchprofile: no handler.
    "prelu": (N, 2 * N, 0, 1, 0),
    "prelu: {num_parameters: 4}": (N, 2 * N, 0, 4, 0),
    "prelu: {call: functional}": (0, N, 0, 0, 0),
    # gamma * x: only torchprofile counts aten::mul.
    "layer_scale": (0, 0, 0, 0, N),
}


@pytest.mark.parametrize("entry", sorted(PRESETS))
def test_presets_count_as_each_tool(entry: str) -> None:
    tools = ("thop", "ptflops", "fvcore", "torchinfo", "torchprofile")
    got = tuple(int(_one(entry, convention=tool).totals.macs) for tool in tools)
    assert got == PRESETS[entry]
    assert int(_one(entry, convention="ptflops-aten").totals.macs) == 0
    assert int(_one(entry).totals.macs) == 0


def test_a_default_call_reaches_the_norms() -> None:
    text = "input: [5, 5, 4]\ndefaults: {layernorm: {call: functional}}\nlayers:\n  - layernorm\n"
    assert int(_walk(text, "thop").totals.macs) == 0
