"""N-dimensional convolution (issue 14): 1-D, 2-D and 3-D layers are one formula, a product over
the spatial axes.

Checked three ways: a brute-force count that loops over output positions and kernel taps (input
positions and taps for a transposed convolution) on random 1-D, 2-D and 3-D configurations;
fvcore's ``tests/test_flop_count.py::TestFlopCountAnalysis::test_conv`` matrix, reproduced with
its configurations and its expected counts (fvcore counts one multiply-add as one "flop"); and
the shipped 1-D and 3-D networks against torch (tests/reference/nd.json).
"""

from __future__ import annotations

import itertools
import json
import math
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convcost import formulas, network, spec
from convcost.errors import ConvcostError
from convcost.layers import BatchNorm, Conv2d, ConvTranspose2d, GlobalPool, LayerKind, Pool, cost

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = json.loads((ROOT / "tests" / "reference" / "nd.json").read_text())["models"]


# --- brute force: loop over output positions and kernel taps ------------------------------


def _starts(size: int, k: int, stride: int, pad: int, dilation: int) -> list[int]:
    """First coordinate of every window that fits in the input padded by ``pad`` each side."""
    starts = []
    first = -pad
    while first + dilation * (k - 1) <= size - 1 + pad:
        starts.append(first)
        first += stride
    return starts


def brute_conv(
    sizes: tuple[int, ...],
    cin: int,
    cout: int,
    k: tuple[int, ...],
    stride: tuple[int, ...],
    pad: tuple[int, ...],
    dilation: tuple[int, ...],
    groups: int,
    bias: bool,
) -> tuple[tuple[int, ...], int, int]:
    """(output sizes, params, MACs) of an N-D convolution by counting."""
    axes = [_starts(*args) for args in zip(sizes, k, stride, pad, dilation, strict=True)]
    taps = 0  # taps landing in the padded input, over every output position
    for start in itertools.product(*axes):
        for tap in itertools.product(*(range(n) for n in k)):
            if all(
                -p <= s + t * d <= size - 1 + p
                for s, t, d, p, size in zip(start, tap, dilation, pad, sizes, strict=True)
            ):
                taps += 1
    per_group_in = cin // groups
    weights = sum(
        math.prod(k)
        for out_channel in range(cout)
        for _ in range(per_group_in)  # the input channels of this output channel's group
    )
    return tuple(len(a) for a in axes), weights + cout * bias, taps * cout * per_group_in


def brute_conv_transpose(
    sizes: tuple[int, ...],
    cin: int,
    cout: int,
    k: tuple[int, ...],
    stride: tuple[int, ...],
    pad: tuple[int, ...],
    output_padding: tuple[int, ...],
    dilation: tuple[int, ...],
    groups: int,
) -> tuple[tuple[int, ...], int, int]:
    """(output sizes, params, MACs) of an N-D transposed convolution by scattering: every input
    position times every tap lands at ``i * S + t * D`` of the uncropped output."""
    reach = [0] * len(sizes)
    products = 0
    for position in itertools.product(*(range(n) for n in sizes)):
        for tap in itertools.product(*(range(n) for n in k)):
            for axis, (i, t) in enumerate(zip(position, tap, strict=True)):
                reach[axis] = max(reach[axis], i * stride[axis] + t * dilation[axis])
            products += 1
    out = tuple(r + 1 - 2 * p + o for r, p, o in zip(reach, pad, output_padding, strict=True))
    per_group_out = cout // groups
    return out, cin * per_group_out * math.prod(k), products * cin * per_group_out


def _pytorch_size(size: int, k: int, stride: int, pad: int, dilation: int) -> int:
    """torch.nn.ConvNd docs: floor((L + 2*padding - dilation*(kernel_size - 1) - 1)/stride + 1)."""
    return math.floor(Fraction(size + 2 * pad - dilation * (k - 1) - 1, stride) + 1)


@st.composite
def conv_configs(draw: st.DrawFn) -> dict[str, object]:
    axes = draw(st.integers(1, 3))
    groups = draw(st.integers(1, 3))
    top = {1: 5, 2: 3, 3: 2}[axes]  # keeps the 3-D loops small
    k = tuple(draw(st.integers(1, top + 1)) for _ in range(axes))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(axes))
    pad = tuple(draw(st.integers(0, 2)) for _ in range(axes))
    sizes = tuple(
        draw(st.integers(max(1, d * (kk - 1) + 1 - 2 * p), max(1, d * (kk - 1) + 1 - 2 * p) + 4))
        for kk, d, p in zip(k, dilation, pad, strict=True)
    )
    return {
        "sizes": sizes,
        "cin": groups * draw(st.integers(1, 3)),
        "cout": groups * draw(st.integers(1, 3)),
        "k": k,
        "stride": tuple(draw(st.integers(1, 3)) for _ in range(axes)),
        "pad": pad,
        "dilation": dilation,
        "groups": groups,
        "bias": draw(st.booleans()),
    }


@settings(max_examples=150, deadline=None)
@given(conv_configs())
def test_nd_convolution_matches_brute_force(c: dict) -> None:
    out, params, macs = brute_conv(
        c["sizes"], c["cin"], c["cout"], c["k"], c["stride"], c["pad"], c["dilation"],
        c["groups"], c["bias"],
    )  # fmt: skip
    layer = Conv2d(c["cout"], c["k"], c["stride"], c["pad"], c["dilation"], c["groups"], c["bias"])
    result = cost(layer, (*c["sizes"], c["cin"]))
    assert result.output == (*out, c["cout"])
    assert (result.params, result.macs) == (params, macs)
    assert out == tuple(
        _pytorch_size(*args)
        for args in zip(c["sizes"], c["k"], c["stride"], c["pad"], c["dilation"], strict=True)
    )


@settings(max_examples=100, deadline=None)
@given(conv_configs(), st.data())
def test_nd_transposed_convolution_matches_brute_force(c: dict, data: st.DataObject) -> None:
    stride, dilation = c["stride"], c["dilation"]
    output_padding = tuple(
        data.draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation, strict=True)
    )
    # Padding that leaves an output: (L-1)S + D(K-1) + op + 1 - 2P >= 1.
    pad = tuple(
        min(p, ((n - 1) * s + d * (kk - 1) + o) // 2)
        for p, n, s, d, kk, o in zip(
            c["pad"], c["sizes"], stride, dilation, c["k"], output_padding, strict=True
        )
    )
    out, params, macs = brute_conv_transpose(
        c["sizes"], c["cin"], c["cout"], c["k"], stride, pad, output_padding, dilation,
        c["groups"],
    )  # fmt: skip
    layer = ConvTranspose2d(c["cout"], c["k"], stride, pad, output_padding, dilation, c["groups"])
    result = cost(layer, (*c["sizes"], c["cin"]))
    assert result.output == (*out, c["cout"])
    assert (result.params, result.terms["conv_transpose"]) == (params, macs)
    assert result.macs == macs


@settings(max_examples=60, deadline=None)
@given(conv_configs())
def test_pools_and_batchnorm_in_any_dimension(c: dict) -> None:
    shape = (*c["sizes"], c["cin"])
    axes = len(c["sizes"])
    k = tuple(min(kk, n) for kk, n in zip(c["k"], c["sizes"], strict=True))
    pooled = cost(Pool(LayerKind.MAXPOOL, k, k, (0,) * axes), shape)
    assert pooled.output == (*(n // kk for n, kk in zip(c["sizes"], k, strict=True)), c["cin"])
    assert cost(GlobalPool(), shape).output == (*(1,) * axes, c["cin"])
    bn = cost(BatchNorm(), shape)  # BatchNorm1d/2d/3d: 2C params, 2C buffers
    assert (bn.params, bn.buffers, bn.macs) == (2 * c["cin"], 2 * c["cin"], 0)
    assert bn.terms["bn"] == math.prod(shape)


# --- fvcore's test_conv matrix ----------------------------------------------------------------

# fvcore tests/test_flop_count.py, TestFlopCountAnalysis.test_conv (facebookresearch/fvcore at
# 3378afe): (dims, batch, Cin, Cout, spatial size, kernel, padding, stride, groups, transposed,
# output_padding) and fvcore's expected count, batch * Cin * Cout * K^dims * L^dims / groups,
# where L is the output size of a convolution and the input size of a transposed one (fvcore
# counts a transposed convolution per input position, as convcost does). Cases 1-9 in its order:
# 2-D, strided, grouped, depthwise (groups = Cout), 1-D, 3-D, transposed, strided transposed,
# and strided transposed with output padding.
FVCORE_CONV = [
    ((2, 5, 10, 3, 15, 3, 1, 1, 1, False, 0), 5 * 10 * 3 * 3**2 * 15**2),
    ((2, 2, 10, 6, 20, 3, 1, 2, 1, False, 0), 2 * 10 * 6 * 3**2 * 10**2),
    ((2, 5, 16, 8, 15, 5, 2, 1, 4, False, 0), 5 * 16 * 8 * 5**2 * 15**2 // 4),
    ((2, 5, 16, 8, 15, 3, 1, 1, 8, False, 0), 5 * 16 * 8 * 3**2 * 15**2 // 8),
    ((1, 5, 10, 3, 15, 3, 1, 1, 1, False, 0), 5 * 10 * 3 * 3**1 * 15**1),
    ((3, 5, 10, 3, 15, 3, 1, 1, 1, False, 0), 5 * 10 * 3 * 3**3 * 15**3),
    ((2, 5, 10, 3, 15, 3, 1, 1, 1, True, 0), 5 * 10 * 3 * 3**2 * 15**2),
    ((2, 5, 10, 3, 15, 3, 1, 2, 1, True, 0), 5 * 10 * 3 * 3**2 * 15**2),
    ((2, 5, 10, 3, 15, 3, 1, 3, 1, True, 2), 5 * 10 * 3 * 3**2 * 15**2),
]


@pytest.mark.parametrize(("case", "expected"), FVCORE_CONV, ids=[str(i) for i in range(1, 10)])
def test_fvcore_conv_matrix(case: tuple, expected: int) -> None:
    dims, batch, cin, cout, size, k, pad, stride, groups, transposed, output_padding = case
    shape = (*(size,) * dims, cin)
    layer: Conv2d | ConvTranspose2d
    if transposed:
        layer = ConvTranspose2d(cout, (k,) * dims, (stride,) * dims, (pad,) * dims,
                                (output_padding,) * dims, groups=groups)  # fmt: skip
        out = (size - 1) * stride - 2 * pad + (k - 1) + output_padding + 1  # PyTorch's docs
    else:
        layer = Conv2d(cout, (k,) * dims, (stride,) * dims, (pad,) * dims, groups=groups)
        out = (size + 2 * pad - k) // stride + 1
    result = cost(layer, shape)
    assert batch * result.macs == expected  # convcost counts at batch 1
    assert result.output == (*(out,) * dims, cout)


def test_fvcore_matrix_covers_its_cases() -> None:
    cases = [c for c, _ in FVCORE_CONV]
    assert {c[0] for c in cases} == {1, 2, 3}
    assert any(c[8] == c[3] for c in cases)  # depthwise in fvcore's sense: groups = Cout
    assert any(c[9] and c[10] for c in cases) and any(c[9] and not c[10] for c in cases)


# --- formulas: one product over the axes --------------------------------------------------------


def test_two_dimensional_formulas_are_the_nd_ones() -> None:
    assert formulas.conv_macs(7, 9, 6, 4, 3, 5, 2) == formulas.conv_macs_nd((7, 9), 6, 4, (3, 5), 2)
    assert formulas.conv_params(6, 4, 3, 5, 2, True) == formulas.conv_params_nd(
        6, 4, (3, 5), 2, True
    )
    assert formulas.conv_macs_nd((11,), 2, 3, (4,)) == 11 * 3 * 2 * 4
    assert formulas.conv_macs_nd((2, 3, 5), 4, 8, (3, 3, 3), 4) == 30 * 8 * 1 * 27
    assert formulas.conv_transpose_macs_nd((2, 3, 5), 4, 8, (2, 2, 2), 2) == 30 * 4 * 4 * 8


def test_symbolic_nd_product() -> None:
    import sympy

    d, h, w, k = sympy.symbols("D H W K", positive=True, integer=True)
    cin, cout = sympy.symbols("C_in C_out", positive=True, integer=True)
    macs = formulas.conv_macs_nd((d, h, w), cin, cout, (k, k, k))
    assert sympy.expand(macs - d * h * w * cin * cout * k**3) == 0


# --- specs: the input's length says the dimension -----------------------------------------------


def _load(text: str, tmp_path: Path) -> spec.Spec:
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return spec.load(path)


def test_a_3d_spec_walks(tmp_path: Path) -> None:
    text = (
        "input: [8, 16, 16, 3]\nlayers:\n"
        "  - conv: {c: 8, k: [3, 5, 5], s: [1, 2, 2], padding: [1, 2, 2], output: [8, 8, 8, 8]}\n"
        "  - separable: {c: 16, s: 2}\n"
        "  - maxpool: {k: 2}\n"
        "  - global_avgpool\n"
        "  - fc: {c: 10}\n"
    )
    report = network.walk(_load(text, tmp_path))
    rows = {r.name: r for r in report.rows}
    assert rows["conv1"].kernel == (3, 5, 5)
    assert rows["conv1"].macs == 8 * 8 * 8 * 8 * 3 * 3 * 5 * 5
    assert rows["block1.dw"].kernel == (3, 3, 3)  # a default spreads over the three axes
    assert rows["block1.dw"].output == (4, 4, 4, 8)
    assert report.rows[-1].output == (1, 1, 1, 10)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("input: [16, 3]\nlayers:\n  - conv: {c: 8, k: [3, 3]}\n", "for the 1-D input"),
        ("input: [8, 8, 3]\nlayers:\n  - conv: {c: 8, k: [3, 3, 3]}\n", "a pair [h, w]"),
        ("input: [4, 8, 8, 3]\nlayers:\n  - maxpool: {k: [2, 2]}\n", "[d, h, w]"),
        ("input: [16, 4]\nlayers:\n  - pixel_shuffle: {upscale_factor: 2}\n", "H and W only"),
        ("input: [16, 4]\nlayers:\n  - conv: {c: 4, output: [16, 16, 4]}\n", "[L, C]"),
    ],
)
def test_per_axis_values_must_match_the_input(text: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(ConvcostError, match=message.replace("[", r"\[")):
        network.walk(_load(text, tmp_path))


def test_resolution_of_1d_and_3d_inputs() -> None:
    m5 = spec.load("m5")
    assert network.walk(m5, resolution=16000).input == (16000, 1)
    with pytest.raises(ConvcostError, match="one length"):
        network.walk(m5, resolution=(160, 100))
    r3d = network.walk(spec.load("r3d_18"), resolution=128).input
    assert r3d == (16, 128, 128, 3)  # a clip keeps its frames; N or HxW sizes the frames


# --- the shipped 1-D and 3-D networks against torch ---------------------------------------------


@pytest.mark.parametrize("name", ["r3d_18", "m5"])
def test_shipped_nd_networks_equal_torch(name: str) -> None:
    ref = REFERENCE[name]
    report = network.walk(spec.load(name))
    t = report.totals
    assert (t.params, t.buffers, t.macs) == (ref["params"], ref["buffers"], ref["macs"])
    kinds = {"conv1d": "conv", "conv3d": "conv", "batchnorm": "bn", "linear": "linear"}
    layers = [[kinds[r.type], r.params, r.macs] for r in report.rows if r.type in kinds]
    assert layers == ref["layers"]
    assert report.input == (*ref["input"][2:], ref["input"][1])
