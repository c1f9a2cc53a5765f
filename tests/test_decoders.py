"""Decoders (issue 14, item 2): transposed convolution, upsampling, pixel shuffle, zero padding.

The closed forms of ``formulas.py`` against brute-force counts that loop over input positions
and kernel taps; fvcore's transposed ``test_conv`` cases; the shipped FCN-ResNet50 and U-Net
against their references; and each peer preset against what the peer tools measured on the
same networks and on single layers. The reference numbers come from
``tests/reference/make_decoders.py`` (torch and torchvision, and thop, ptflops, fvcore,
torchinfo, torchprofile at the versions of docs/peers.md), committed as ``decoders.json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from convcost import conventions, formulas, network, spec
from convcost import layers as L
from convcost.errors import ConvcostError
from convcost.layers import LayerKind

REFERENCE = json.loads(
    (Path(__file__).resolve().parent / "reference" / "decoders.json").read_text()
)
CONFIGS = Path(__file__).resolve().parent.parent / "configs"


def _walk(entries: list[Any], shape: list[int], convention: str = "exact") -> network.Report:
    text = yaml.safe_dump({"input": shape, "layers": entries}, sort_keys=False)
    return network.walk(spec.loads(text), convention=conventions.convention(convention))


# --- brute force -----------------------------------------------------------------------------


def _conv_windows(size: int, k: int, stride: int, padding: int, dilation: int) -> int:
    """How many windows of a convolution fit a padded axis, counted one by one."""
    count, start = 0, 0
    while start + dilation * (k - 1) < size + 2 * padding:
        count += 1
        start += stride
    return count


def _scatter(
    cin: int,
    cout: int,
    h: int,
    w: int,
    k: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[int, int],
    dilation: tuple[int, int],
    groups: int,
) -> tuple[int, int, int]:
    """A transposed convolution done by hand: every input element of every channel times every
    weight of its group, scattered to ``i * S - P + t * D``. Returns the uncropped extent of
    the scatter along H and W, and the number of multiply-adds."""
    per_group_in, per_group_out = cin // groups, cout // groups
    macs, top_h, top_w = 0, 0, 0
    for ci in range(cin):
        group = ci // per_group_in
        for _ in range(group * per_group_out, (group + 1) * per_group_out):
            for ih in range(h):
                for iw in range(w):
                    for th in range(k[0]):
                        for tw in range(k[1]):
                            macs += 1
                            top_h = max(top_h, ih * stride[0] + th * dilation[0])
                            top_w = max(top_w, iw * stride[1] + tw * dilation[1])
    return top_h + 1, top_w + 1, macs


_AXIS = st.tuples(
    st.integers(1, 6),  # input size
    st.integers(1, 4),  # kernel
    st.integers(1, 3),  # stride
    st.integers(0, 2),  # padding
    st.integers(1, 3),  # dilation
    st.integers(0, 2),  # output padding
)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), _AXIS, _AXIS, st.booleans())
def test_conv_transpose_closed_forms_equal_a_brute_force_count(
    per_in: int, per_out: int, groups: int, hax: Any, wax: Any, bias: bool
) -> None:
    cin, cout = per_in * groups, per_out * groups
    sizes = []
    for size, k, s, p, d, op in (hax, wax):
        out = formulas.conv_transpose_output_size(size, k, s, p, d, op)
        # The scatter's extent, less the padding on both sides, plus the output padding.
        sizes.append(out)
        if op < s:
            # PyTorch's definition: the lengths that a convolution with the same K, S, P, D
            # maps back to `size`; output_padding picks the op-th from the smallest.
            base = formulas.conv_transpose_output_size(size, k, s, p, d)
            lengths = [n for n in range(1, 60) if _conv_windows(n, k, s, p, d) == size]
            if base >= 1:
                assert lengths[0] == base
                assert out == base + op
                assert out in lengths
    (h, k_h, s_h, p_h, d_h, op_h), (w, k_w, s_w, p_w, d_w, op_w) = hax, wax
    extent_h, extent_w, macs = _scatter(
        cin, cout, h, w, (k_h, k_w), (s_h, s_w), (p_h, p_w), (d_h, d_w), groups
    )
    assert sizes == [extent_h - 2 * p_h + op_h, extent_w - 2 * p_w + op_w]
    assert formulas.conv_transpose_macs(h, w, cin, cout, k_h, k_w, groups) == macs
    weights = sum(1 for _ in range(cin) for _ in range(per_out) for _ in range(k_h * k_w))
    params = formulas.conv_transpose_params(cin, cout, k_h, k_w, groups, bias)
    assert params == weights + cout * bias
    # The layer, through the spec and the walker, where PyTorch accepts it.
    legal = all(op < s or op < d for _, _, s, _, d, op in (hax, wax)) and min(sizes) >= 1
    if min(sizes) >= 1:
        # The dense count: every output position of every output channel, a dot product of
        # the weights of its group.
        dense = sum(per_in * k_h * k_w for _ in range(sizes[0] * sizes[1]) for _ in range(cout))
        assert formulas.conv_transpose_dense_macs(*sizes, cin, cout, k_h, k_w, groups) == dense
    entry = {
        "conv_transpose": {
            "c": cout,
            "k": [k_h, k_w],
            "s": [s_h, s_w],
            "padding": [p_h, p_w],
            "output_padding": [op_h, op_w],
            "dilation": [d_h, d_w],
            "groups": groups,
            "bias": bias,
            "bn": False,
            "act": "none",
        }
    }
    if not legal:
        with pytest.raises(ConvcostError):
            _walk([entry], [h, w, cin])
        return
    (row,) = _walk([entry], [h, w, cin]).rows
    assert row.output == (*sizes, cout)
    assert (row.params, row.macs) == (params, macs)


def test_the_output_size_inverts_the_convolution_symbolically() -> None:
    import sympy

    s = formulas.symbols()
    h, k, st_, p, d = s["h"], s["k"], s["stride"], s["padding"], s["dilation"]
    out = formulas.conv_transpose_output_size(h, k, st_, p, d)
    # A convolution with the same K, S, P, D on the transposed output gives H back.
    back = (out + 2 * p - d * (k - 1) - 1) / st_ + 1
    assert sympy.simplify(back - h) == 0


# --- fvcore's test_conv, transposed 2-D cases; PyTorch's own output sizes --------------------


@pytest.mark.parametrize("case", REFERENCE["transposed"], ids=lambda c: str(c["stride"]))
def test_transposed_cases_equal_pytorch(case: dict[str, Any]) -> None:
    entry = {
        "conv_transpose": {
            "c": case["cout"],
            "k": case["k"],
            "s": case["stride"],
            "padding": case["padding"],
            "output_padding": case["output_padding"],
            "dilation": case["dilation"],
            "groups": case["groups"],
            "bias": case["bias"],
            "bn": False,
            "act": "none",
        }
    }
    (row,) = _walk([entry], [*case["input"], case["cin"]]).rows
    assert row.output == (*case["output"], case["cout"])
    assert (row.params, row.macs) == (case["params"], case["macs"])


def test_fvcore_test_conv_transposed_cases() -> None:
    """fvcore tests/test_flop_count.py::test_conv, cases 7-9: batch 5, 10 -> 3 channels, 15x15,
    kernel 3, padding 1; stride 1, 2, 3; output_padding 0, 0, 2. fvcore's expected flops are
    batch * Cin * Cout * K^2 * H * W / groups = 303,750 (in GFLOPs there: 3.0375e-4)."""
    for stride, output_padding, size in ((1, 0, 15), (2, 0, 29), (3, 2, 45)):
        assert formulas.conv_transpose_output_size(15, 3, stride, 1, 1, output_padding) == size
        assert 5 * formulas.conv_transpose_macs(15, 15, 10, 3, 3, 3) == 303_750


# --- upsampling, pixel shuffle, padding --------------------------------------------------------


def test_pixel_shuffle_is_a_permutation() -> None:
    """out[c, h*r + i, w*r + j] = in[c*r^2 + i*r + j, h, w]: every input element once."""
    for h, w, c, r in ((3, 2, 8, 2), (2, 2, 18, 3), (1, 4, 4, 1)):
        (row,) = _walk([{"pixel_shuffle": {"upscale_factor": r}}], [h, w, c]).rows
        hout, wout, cout = row.output
        sources = {
            (cc * r * r + (y % r) * r + (x % r), y // r, x // r)
            for cc in range(cout)
            for y in range(hout)
            for x in range(wout)
        }
        assert sources == {(cc, y, x) for cc in range(c) for y in range(h) for x in range(w)}
        (back,) = _walk([{"pixel_unshuffle": {"downscale_factor": r}}], list(row.output)).rows
        assert back.output == (h, w, c)
        assert (row.params, row.macs, row.terms, back.terms) == (0, 0, {}, {})


def test_upsample_and_pad_shapes() -> None:
    rows = _walk(
        [
            {"upsample": {"scale_factor": [2, 3]}},
            {"upsample": {"size": [7, 5], "mode": "bilinear", "align_corners": True}},
            {"pad": {"left": 1, "right": 2, "top": 3, "bottom": 4}},
            {"pad": {"left": 1}},
        ],
        [4, 5, 3],
    ).rows
    assert [r.output for r in rows] == [(8, 15, 3), (7, 5, 3), (14, 8, 3), (14, 9, 3)]
    assert [dict(r.terms) for r in rows] == [
        {"upsample.nearest.out": 8 * 15 * 3},
        {"upsample.bilinear.out": 7 * 5 * 3},
        {},
        {},
    ]
    assert all(r.params == r.macs == 0 for r in rows)
    assert rows[0].category == rows[1].category == "Upsampling"


@pytest.mark.parametrize(
    ("entry", "shape", "field", "message"),
    [
        ({"upsample": {}}, [4, 4, 3], "scale_factor", "one of them"),
        ({"upsample": {"scale_factor": 2, "size": 8}}, [4, 4, 3], "scale_factor", "one of them"),
        (
            {"upsample": {"scale_factor": 2, "align_corners": False}},
            [4, 4, 3],
            "align_corners",
            "PyTorch refuses it with mode nearest",
        ),
        ({"pixel_shuffle": {"upscale_factor": 2}}, [4, 4, 6], "upscale_factor", "divide"),
        ({"pixel_unshuffle": {"downscale_factor": 3}}, [6, 4, 2], "downscale_factor", "W=4"),
        (
            {"conv_transpose": {"c": 4, "s": 2, "output_padding": 2}},
            [4, 4, 3],
            "output_padding",
            "smaller than the stride (2) or the dilation (1)",
        ),
        (
            {"conv_transpose": {"c": 4, "groups": 2}},
            [4, 4, 3],
            "groups",
            "does not divide cin=3",
        ),
        ({"conv_transpose": {"c": 4, "k": 1, "padding": 1}}, [1, 1, 3], "padding", "no output"),
    ],
)
def test_what_pytorch_refuses_is_an_error(
    entry: dict[str, Any], shape: list[int], field: str, message: str
) -> None:
    with pytest.raises(ConvcostError) as raised:
        _walk([entry], shape)
    assert raised.value.field == field
    assert message in str(raised.value)


def test_bottleneck_dilation_pads_by_the_dilation() -> None:
    rows = _walk([{"bottleneck": {"c": 8, "dilation": 2}}], [9, 9, 32]).rows
    conv2 = next(r for r in rows if r.name.endswith("conv2"))
    assert conv2.layer == L.Conv2d(8, (3, 3), (1, 1), (2, 2), (2, 2))
    assert rows[-1].output == (9, 9, 32)


def test_a_repeated_conv_transpose_strides_and_pads_the_output_once() -> None:
    rows = _walk(
        [{"conv_transpose": {"c": 4, "k": 3, "s": 2, "output_padding": 1, "n": 2, "bn": False}}],
        [4, 4, 4],
    ).rows
    convs = [r for r in rows if r.kind is LayerKind.CONV_TRANSPOSE2D]
    assert [c.output for c in convs] == [(10, 10, 4), (12, 12, 4)]


# --- the shipped specs ------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(REFERENCE["models"]))
def test_shipped_spec_equals_its_reference(name: str) -> None:
    ref = REFERENCE["models"][name]
    report = network.walk(spec.load(CONFIGS / f"{name}.yaml"))
    totals = report.totals
    assert (totals.params, totals.buffers, totals.macs) == (
        ref["params"],
        ref["buffers"],
        ref["macs"],
    )
    _, channels, height, width = ref["output"]
    assert report.output == (height, width, channels)
    costed = [
        ("bn" if r.kind is LayerKind.BATCHNORM else "conv", int(r.params), int(r.macs))
        for r in report.rows
        if r.kind in (LayerKind.CONV2D, LayerKind.CONV_TRANSPOSE2D, LayerKind.BATCHNORM)
    ]
    assert costed == [tuple(row) for row in ref["layers"]]


PEER_MODELS = [
    (name, preset) for name, measured in REFERENCE["peers"]["models"].items() for preset in measured
]


@pytest.mark.parametrize(("name", "preset"), PEER_MODELS)
def test_presets_give_what_the_peers_measured(name: str, preset: str) -> None:
    report = network.walk(
        spec.load(CONFIGS / f"{name}.yaml"), convention=conventions.convention(preset)
    )
    assert report.totals.macs == REFERENCE["peers"]["models"][name][preset]


# The single layers of make_decoders.py as spec entries, on a 5x5x8 input.
SINGLE = {
    "conv_transpose k3 s2 p1 op1 bias": {
        "conv_transpose": {
            "c": 4,
            "k": 3,
            "s": 2,
            "padding": 1,
            "output_padding": 1,
            "bias": True,
            "bn": False,
            "act": "none",
        }
    },
    "conv_transpose k2 s2 groups 4 no bias": {
        "conv_transpose": {"c": 12, "k": 2, "s": 2, "groups": 4, "bn": False, "act": "none"}
    },
    "conv_transpose k3 groups 8 Cin = Cout": {
        "conv_transpose": {"c": 8, "k": 3, "groups": 8, "bias": True, "bn": False, "act": "none"}
    },
    "upsample nearest x2 module": {"upsample": {"scale_factor": 2}},
    "upsample bilinear x2 module": {
        "upsample": {"scale_factor": 2, "mode": "bilinear", "align_corners": False}
    },
    "upsample nearest x2 functional": {"upsample": {"scale_factor": 2, "call": "functional"}},
    "upsample bilinear x2 functional": {
        "upsample": {"scale_factor": 2, "mode": "bilinear", "call": "functional"}
    },
    "pixel_shuffle 2": {"pixel_shuffle": {"upscale_factor": 2}},
    "pad 1 2 3 4": {"pad": {"left": 1, "right": 2, "top": 3, "bottom": 4}},
}
PEER_SINGLE = [
    (name, preset)
    for name, measured in REFERENCE["peers"]["single_1x8x5x5"].items()
    for preset in measured
]


def test_every_measured_single_layer_is_written_here() -> None:
    assert set(SINGLE) == set(REFERENCE["peers"]["single_1x8x5x5"])


@pytest.mark.parametrize(("name", "preset"), PEER_SINGLE)
def test_presets_give_what_the_peers_measured_on_one_layer(name: str, preset: str) -> None:
    report = _walk([SINGLE[name]], [5, 5, 8], preset)
    assert report.totals.macs == REFERENCE["peers"]["single_1x8x5x5"][name][preset]


def test_docs_peers_table_is_the_measured_numbers() -> None:
    text = (Path(__file__).resolve().parents[1] / "docs" / "peers.md").read_text(encoding="utf-8")
    presets = ("thop", "ptflops", "ptflops-aten", "fvcore", "torchinfo", "torchprofile")
    for name, measured in REFERENCE["peers"]["models"].items():
        cells = [f"{REFERENCE['models'][name]['macs']:,}", *(f"{measured[p]:,}" for p in presets)]
        assert f"| {name} | {' | '.join(cells)} |" in text, name
