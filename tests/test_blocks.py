"""Spec entries expanded into layers: the `depthwise` and `pointwise` entry types row by row,
and the rule table of blocks.py (every entry type has an expansion rule; none is guessed).

Expected counts are worked out by hand in each test, with the convention of formulas.py: a
convolution's params are cout * (cin / groups) * kh * kw weights (+ cout biases), its MACs are
hout * wout * cout * (cin / groups) * kh * kw; BatchNorm has 2C params and 2C buffers;
activations are free. Output sizes: 'same' gives ceil(H / S), explicit padding
floor((H + 2P - D(K - 1) - 1) / S) + 1.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from convcost import blocks, cli, network, spec
from convcost.errors import ConvcostError
from convcost.layers import LayerKind

CONV, BN, ACT = LayerKind.CONV2D, LayerKind.BATCHNORM, LayerKind.ACTIVATION

# (name, kind, category, input, output, kernel, stride, groups, params, buffers, macs)
Row = tuple[Any, ...]


def _rows(layers: str, input: str = "[8, 8, 16]", alpha: Fraction | None = None) -> list[Row]:
    text = f"input: {input}\nlayers:\n" + "".join(f"  - {line}\n" for line in layers.split("\n"))
    report = network.walk(spec.loads(text), alpha=alpha)
    return [
        (
            r.name,
            r.kind,
            r.category,
            r.input,
            r.output,
            r.kernel,
            r.stride,
            r.groups,
            r.params,
            r.buffers,
            r.macs,
        )
        for r in report.rows
    ]


def _bn(name: str, shape: tuple[int, int, int]) -> Row:
    c = shape[2]
    return (name, BN, "BatchNorm", shape, shape, None, None, None, 2 * c, 2 * c, 0)


def _act(name: str, shape: tuple[int, int, int]) -> Row:
    return (name, ACT, "Activation", shape, shape, None, None, None, 0, 0, 0)


# --- depthwise ------------------------------------------------------------------------------


def test_depthwise_defaults() -> None:
    """k 3, stride 1, padding same, multiplier 1, no bias, then BN and ReLU (dw1, dw1.bn, ...)."""
    s = (8, 8, 16)
    assert _rows("depthwise: {k: 3}") == [
        ("dw1", CONV, "Conv DW 3x3", s, s, (3, 3), (1, 1), 16, 16 * 3 * 3, 0, 8 * 8 * 16 * 3 * 3),
        _bn("dw1.bn", s),
        _act("dw1.relu", s),
    ]


def test_depthwise_multiplier_stride_bias_no_bn_no_act() -> None:
    """Multiplier 2: 32 filters of one input channel each; stride 2 with 'same' gives
    ceil(8 / 2) = 4; the bias adds 32 params and no MACs; bn false and act none leave one row."""
    assert _rows("depthwise: {k: 3, multiplier: 2, s: 2, bias: true, bn: false, act: none}") == [
        (
            "dw1",
            CONV,
            "Conv DW 3x3",
            (8, 8, 16),
            (4, 4, 32),
            (3, 3),
            (2, 2),
            16,
            32 * 1 * 3 * 3 + 32,
            0,
            4 * 4 * 32 * 1 * 3 * 3,
        )
    ]


def test_depthwise_valid_padding_on_an_odd_input() -> None:
    """7x7x8, k 3, stride 2, no padding: floor((7 - 3) / 2) + 1 = 3."""
    s_in, s_out = (7, 7, 8), (3, 3, 8)
    assert _rows("depthwise: {s: 2, padding: valid}", input="[7, 7, 8]") == [
        ("dw1", CONV, "Conv DW 3x3", s_in, s_out, (3, 3), (2, 2), 8, 8 * 9, 0, 3 * 3 * 8 * 9),
        _bn("dw1.bn", s_out),
        _act("dw1.relu", s_out),
    ]


def test_depthwise_dilation_explicit_padding_named_relu6() -> None:
    """k 3 dilated by 2 spans 5; padding 1: floor((8 + 2 - 5) / 1) + 1 = 6. A named entry's rows
    carry its name; the activation row is named after the function."""
    s_in, s_out = (8, 8, 16), (6, 6, 16)
    rows = _rows("depthwise: {name: spread, dilation: 2, padding: 1, act: relu6}")
    assert rows == [
        ("spread", CONV, "Conv DW 3x3", s_in, s_out, (3, 3), (1, 1), 16, 16 * 9, 0, 6 * 6 * 16 * 9),
        _bn("spread.bn", s_out),
        _act("spread.relu6", s_out),
    ]


def test_depthwise_5x5_repeated_strides_once() -> None:
    """n 2, s 2: only the first repetition strides (8 -> 4, then 4 -> 4); 'same' with k 5."""
    a, b = (8, 8, 16), (4, 4, 16)
    assert _rows("depthwise: {k: 5, s: 2, n: 2, act: none}") == [
        ("dw1", CONV, "Conv DW 5x5", a, b, (5, 5), (2, 2), 16, 16 * 25, 0, 4 * 4 * 16 * 25),
        _bn("dw1.bn", b),
        ("dw2", CONV, "Conv DW 5x5", b, b, (5, 5), (1, 1), 16, 16 * 25, 0, 4 * 4 * 16 * 25),
        _bn("dw2.bn", b),
    ]


# --- pointwise ------------------------------------------------------------------------------


def test_pointwise_stride_2() -> None:
    """1x1, no padding, stride 2 on 8: floor((8 - 1) / 2) + 1 = 4; 16 -> 32 channels."""
    s_in, s_out = (8, 8, 16), (4, 4, 32)
    assert _rows("pointwise: {c: 32, s: 2}") == [
        ("pw1", CONV, "Conv 1x1", s_in, s_out, (1, 1), (2, 2), 1, 16 * 32, 0, 4 * 4 * 32 * 16),
        _bn("pw1.bn", s_out),
        _act("pw1.relu", s_out),
    ]


def test_pointwise_bias_no_bn_no_act() -> None:
    s_in, s_out = (8, 8, 16), (8, 8, 24)
    assert _rows("pointwise: {c: 24, bias: true, bn: false, act: none}") == [
        ("pw1", CONV, "Conv 1x1", s_in, s_out, (1, 1), (1, 1), 1, 16 * 24 + 24, 0, 8 * 8 * 24 * 16)
    ]


def test_pointwise_repeated_and_named() -> None:
    """A named entry with n 2 gives name.1 and name.2; only the first strides."""
    a, b = (8, 8, 16), (4, 4, 32)
    assert _rows("pointwise: {name: proj, c: 32, s: 2, n: 2, act: hswish}") == [
        ("proj.1", CONV, "Conv 1x1", a, b, (1, 1), (2, 2), 1, 16 * 32, 0, 4 * 4 * 32 * 16),
        _bn("proj.1.bn", b),
        _act("proj.1.hswish", b),
        ("proj.2", CONV, "Conv 1x1", b, b, (1, 1), (1, 1), 1, 32 * 32, 0, 4 * 4 * 32 * 32),
        _bn("proj.2.bn", b),
        _act("proj.2.hswish", b),
    ]


def test_depthwise_then_pointwise_under_alpha() -> None:
    """alpha 1/2 scales the pointwise cout (int(32 * 0.5) = 16) unless scale is false; the
    depthwise follows its input's channels and is never scaled itself."""
    s = (8, 8, 16)
    layers = "depthwise: {act: none, bn: false}\npointwise: {c: 32, act: none, bn: false}"
    half = _rows(layers, alpha=Fraction(1, 2))
    assert half == [
        ("dw1", CONV, "Conv DW 3x3", s, s, (3, 3), (1, 1), 16, 16 * 9, 0, 8 * 8 * 16 * 9),
        ("pw1", CONV, "Conv 1x1", s, s, (1, 1), (1, 1), 1, 16 * 16, 0, 8 * 8 * 16 * 16),
    ]
    fixed = _rows(layers.replace("c: 32,", "c: 32, scale: false,"), alpha=Fraction(1, 2))
    assert fixed[1][4] == (8, 8, 32)
    assert fixed[1][8:] == (16 * 32, 0, 8 * 8 * 32 * 16)


# --- the rule table -------------------------------------------------------------------------


def test_every_entry_type_has_an_expansion_rule() -> None:
    assert set(blocks._EXPAND) == set(spec.FIELDS)


_SIMPLE_KINDS = {
    "batchnorm": LayerKind.BATCHNORM,
    **dict.fromkeys(spec.ACTIVATIONS, LayerKind.ACTIVATION),
    "maxpool": LayerKind.MAXPOOL,
    "avgpool": LayerKind.AVGPOOL,
    "global_avgpool": LayerKind.GLOBAL_AVGPOOL,
    "global_maxpool": LayerKind.GLOBAL_MAXPOOL,
    "adaptive_avgpool": LayerKind.ADAPTIVE_AVGPOOL,
    "flatten": LayerKind.FLATTEN,
    "dropout": LayerKind.DROPOUT,
    "channel_shuffle": LayerKind.CHANNEL_SHUFFLE,
}


@pytest.mark.parametrize("kind", sorted(_SIMPLE_KINDS))
def test_each_simple_entry_is_one_layer_of_its_kind(kind: str) -> None:
    (node,) = blocks.expand(spec.LayerSpec(kind, {}), (8, 8, 16), blocks.Width())
    assert isinstance(node, blocks.Prim)
    assert node.name == ""
    assert node.layer.kind is _SIMPLE_KINDS[kind]


def test_channel_shuffle_keeps_its_groups() -> None:
    (node,) = blocks.expand(
        spec.LayerSpec("channel_shuffle", {"groups": 4}), (8, 8, 16), blocks.Width()
    )
    assert isinstance(node, blocks.Prim)
    assert node.layer == blocks.L.ChannelShuffle(4)


def test_an_entry_type_without_a_rule_is_an_error() -> None:
    """It used to fall through to a free channel shuffle."""
    entry = spec.LayerSpec("mystery", {})
    with pytest.raises(ConvcostError) as raised:
        blocks.expand(entry, (8, 8, 16), blocks.Width())
    assert str(raised.value) == "no expansion rule for entry type 'mystery'"
    # A type sent to the simple rule without a branch of its own is refused there too.
    with pytest.raises(ConvcostError, match="no expansion rule for entry type 'mystery'"):
        blocks._expand_simple(entry, (8, 8, 16), blocks.Width(), True)


def test_a_catalogued_type_without_a_rule_fails_where_it_is_written(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A type the loader accepts but blocks.py cannot expand: located error, exit 1, no rows."""
    mystery = spec.EntryType("mystery", {}, prefix="x", rule="mystery", group="layer")
    monkeypatch.setitem(spec.CATALOGUE, "mystery", mystery)
    path = tmp_path / "m.yaml"
    path.write_text("input: [8, 8, 16]\nlayers:\n  - conv: {c: 8}\n  - mystery\n")
    with pytest.raises(ConvcostError) as raised:
        network.walk(spec.load(path))
    assert (raised.value.line, raised.value.layer) == (4, "x1")
    assert raised.value.message == "no expansion rule for entry type 'mystery'"
    result = CliRunner().invoke(cli.app, ["net", str(path)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert (
        result.stderr
        == f"error: {path}:4: layer 'x1': no expansion rule for entry type 'mystery'\n"
    )
