"""Paper blocks and spec entries, expanded into primitive layers on the shape that reaches them.

``expand(entry, shape, width)`` turns one :class:`~convcost.spec.LayerSpec` into nodes the
walker understands: :class:`Prim` (one layer of ``layers.py``), :class:`Residual` (paths that
meet in an add or a multiply) and :class:`Concat` (paths that meet on the channel axis), or
nested entries of a container. Channel counts are decided here, because they depend on the
input (a depthwise convolution has groups = C) and on ``--alpha``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

from convcost import layers as L
from convcost.errors import ConvcostError
from convcost.layers import LayerKind, Shape
from convcost.spec import ACTIVATIONS, LayerSpec


@dataclass(frozen=True, slots=True)
class Prim:
    """A primitive layer; ``name`` is relative to its block ('' is the block itself)."""

    name: str
    layer: L.Layer


@dataclass(frozen=True, slots=True)
class Residual:
    """``body(x) (+ or *) shortcut(x)``, then ``after``; an empty shortcut is the identity."""

    name: str
    body: Sequence[Node]
    shortcut: Sequence[Node] = ()
    merge: LayerKind = LayerKind.ADD
    after: Sequence[Node] = ()
    shortcut_scope: str = ""  # names the shortcut's generated layers apart from the body's


@dataclass(frozen=True, slots=True)
class Concat:
    """Branches on the same input, or on a channel ``split`` of it, concatenated on C."""

    name: str
    branches: Sequence[Sequence[Node]]
    split: tuple[int, ...] | None = None
    after: Sequence[Node] = field(default_factory=tuple)


Node = Prim | Residual | Concat | LayerSpec


# --- width multiplier -----------------------------------------------------------------------


def make_divisible(value: float, divisor: int = 8) -> int:
    """Round to the nearest multiple of ``divisor``, never below 90% of ``value``.

    The rule of the MobileNetV2/V3 and EfficientNet reference code (``_make_divisible``).
    """
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


@dataclass(frozen=True, slots=True)
class Width:
    """The width multiplier alpha and the family's rounding rule.

    Scaled channels are computed in floating point, exactly as the reference code does
    (``int(32 * 0.75)`` in MobileNetV1, ``_make_divisible(c * width_mult, 8)`` in MobileNetV2),
    so that a spec at alpha = 0.35 has the reference model's channel counts.
    """

    alpha: Fraction | None = None
    rule: str = "int"

    def channels(self, c: int, scale: bool | str | None, default: bool = True) -> int:
        """``c`` scaled by alpha when the entry scales (``up``: only when alpha > 1)."""
        scale = default if scale is None else scale
        if self.alpha is None or scale is False:
            return c
        alpha = float(self.alpha)
        if scale == "up":
            alpha = max(1.0, alpha)
        if self.rule == "divisible_by_8":
            return make_divisible(c * alpha, 8)
        scaled = int(c * alpha)
        if scaled < 1:
            raise ConvcostError(
                f"{c} channels scaled by alpha={float(self.alpha):g} leave none", field="cout"
            )
        return scaled

    def cout(self, entry: LayerSpec, cin: Any) -> int:
        """A convolution entry's output channels: ``c`` scaled by alpha, or ``t`` times its
        input channels (issue 14). A relative count is not scaled again: its input already
        is, so MobileNetV3's head, ``6 * lastconv_input_channels`` in torchvision, follows
        alpha as torchvision's does."""
        if "t" not in entry.fields:
            return self.channels(entry.fields["cout"], entry.scale)
        return relative_channels(cin, entry.fields["t"])


def relative_channels(cin: Any, t: float) -> int:
    """``t * cin``, which must be a whole number: exact, with ``t`` as written (0.1 is 1/10)."""
    if not isinstance(cin, int):
        raise ConvcostError("a count relative to the input needs known input channels", field="t")
    count = Fraction(str(t)) * cin
    if count.denominator != 1:
        raise ConvcostError(
            f"t={t:g} times {cin} input channels is {float(count):g}, not a whole number",
            field="t",
        )
    return int(count)


# --- helpers --------------------------------------------------------------------------------


def _activation(name: str | None) -> list[Prim]:
    return [] if name is None else [Prim(name, L.Activation(name))]


def _conv(name: str, layer: L.Conv2d | L.ConvTranspose2d, bn: bool, act: str | None) -> list[Prim]:
    """A convolution, then BatchNorm and the activation: ``name``, ``name.bn``, ``name.relu``."""
    prims = [Prim(name, layer)]
    if bn:
        prims.append(Prim(_sub(name, "bn"), L.BatchNorm()))
    prims += [Prim(_sub(name, p.name), p.layer) for p in _activation(act)]
    return prims


def _sub(name: str, part: str) -> str:
    return f"{name}.{part}" if name else part


def _stride(fields: dict[str, Any], first: bool) -> tuple[int, int]:
    """Only the first repetition of a run strides (MobileNetV2, Table 2: 's' on the first)."""
    stride: tuple[int, int] = fields.get("stride", (1, 1))
    return stride if first else (1, 1)


def _unit(stride: tuple[int, ...]) -> bool:
    """A stride of 1 on every spatial axis (``(1, 1)``, or ``(1, 1, 1)`` in 3-D)."""
    return all(s == 1 for s in stride)


def _get(entry: LayerSpec, key: str, default: Any) -> Any:
    return entry.fields.get(key, default)


# --- expansions -----------------------------------------------------------------------------


def _expand_conv(entry: LayerSpec, shape: Shape, width: Width, first: bool) -> list[Node]:
    f = dict(entry.fields)
    layer = L.Conv2d(
        cout=width.cout(entry, shape[-1]),
        k=f.get("k", (3, 3)),
        stride=_stride(f, first),
        padding=f.get("padding", "same"),
        dilation=f.get("dilation", (1, 1)),
        groups=f.get("groups", 1),
        bias=f.get("bias", False),
    )
    return list(_conv("", layer, f.get("bn", True), f.get("act", "relu")))


def _depthwise(
    name: str, cin: Any, f: dict[str, Any], stride: tuple[int, int], bn: bool, act: str | None
) -> list[Prim]:
    layer = L.Conv2d(
        cout=cin * f.get("multiplier", 1),
        k=f.get("k", (3, 3)),
        stride=stride,
        padding=f.get("padding", "same"),
        dilation=f.get("dilation", (1, 1)),
        groups=cin,
        bias=f.get("bias", False),
    )
    return _conv(name, layer, bn, act)


def _expand_depthwise(entry: LayerSpec, shape: Shape, width: Width, first: bool) -> list[Node]:
    f = dict(entry.fields)
    return list(
        _depthwise("", shape[-1], f, _stride(f, first), f.get("bn", True), f.get("act", "relu"))
    )


def _expand_pointwise(entry: LayerSpec, shape: Shape, width: Width, first: bool) -> list[Node]:
    f = dict(entry.fields)
    layer = L.Conv2d(
        cout=width.cout(entry, shape[-1]),
        k=(1, 1),
        stride=_stride(f, first),
        padding=(0, 0),
        bias=f.get("bias", False),
    )
    return list(_conv("", layer, f.get("bn", True), f.get("act", "relu")))


def _expand_separable(entry: LayerSpec, shape: Shape, width: Width, first: bool) -> list[Node]:
    """Depthwise kxk (carrying the stride), then pointwise 1x1 (MobileNet, Figure 3)."""
    f = dict(entry.fields)
    bn, act = f.get("bn", True), f.get("act", "relu")
    dw = _depthwise("dw", shape[-1], f, _stride(f, first), f.get("dw_bn", bn), f.get("dw_act", act))
    pw = L.Conv2d(
        cout=width.cout(entry, shape[-1]),
        k=(1, 1),
        padding=(0, 0),
        bias=f.get("bias", False),
    )
    return [*dw, *_conv("pw", pw, bn, act)]


def _expand_fc(entry: LayerSpec, shape: Shape, width: Width, first: bool) -> list[Node]:
    f = dict(entry.fields)
    nodes: list[Node] = []
    if any(size != 1 for size in shape[:-1]):
        nodes.append(Prim("flatten", L.Flatten()))
    cout = width.channels(f["cout"], entry.scale, default=False)
    nodes.append(Prim("", L.Linear(cout, f.get("bias", True))))
    return nodes


def _expand_simple(entry: LayerSpec, shape: Shape, width: Width, first: bool) -> list[Node]:
    f = dict(entry.fields)
    kind = entry.type
    layer: L.Layer
    call = f.get("call")
    if kind == "batchnorm":
        layer = L.BatchNorm()
    elif kind in ACTIVATIONS:
        layer = L.Activation(kind, call)
    elif kind in ("maxpool", "avgpool"):
        k = f.get("k", (2, 2))
        layer = L.Pool(
            LayerKind(kind),
            k=k,
            stride=f.get("stride", k),
            padding=f.get("padding", (0, 0)),
            call=call,
            ceil_mode=f.get("ceil_mode", False),
            count_include_pad=f.get("count_include_pad", True),
        )
    elif kind in ("layernorm", "groupnorm", "instancenorm"):
        layer = L.Norm(
            LayerKind(kind),
            affine=f.get("elementwise_affine", f.get("affine", kind != "instancenorm")),
            bias=f.get("bias", True),
            groups=f.get("groups", 1),
            track_running_stats=f.get("track_running_stats", False),
            eps=f.get("eps", 1e-5),
            call=call,
        )
    elif kind == "prelu":
        layer = L.PReLU(f.get("num_parameters", 1), call)
    elif kind == "layer_scale":
        layer = L.LayerScale()
    elif kind in ("global_avgpool", "global_maxpool"):
        layer = L.GlobalPool(LayerKind(kind), call)
    elif kind == "adaptive_avgpool":
        layer = L.AdaptivePool(f.get("size", (1, 1)), call)
    elif kind == "flatten":
        layer = L.Flatten()
    elif kind == "dropout":
        layer = L.Dropout(f.get("p", 0.5))
    elif kind == "channel_shuffle":
        layer = L.ChannelShuffle(f.get("groups", 2))
    elif kind == "upsample":
        layer = L.Upsample(
            scale_factor=f.get("scale_factor"),
            size=f.get("size"),
            mode=f.get("mode", "nearest"),
            align_corners=f.get("align_corners"),
            call=call,
        )
    elif kind == "pixel_shuffle":
        layer = L.PixelShuffle(f["upscale_factor"])
    elif kind == "pixel_unshuffle":
        layer = L.PixelShuffle(f["downscale_factor"], LayerKind.PIXEL_UNSHUFFLE)
    elif kind == "pad":
        layer = L.Pad(*(f.get(side, 0) for side in ("left", "right", "top", "bottom")))
    else:
        raise _no_rule(kind)
    return [Prim("", layer)]


def _expand_conv_transpose(entry: LayerSpec, shape: Shape, width: Width, first: bool) -> list[Node]:
    """PyTorch's ConvTranspose2d, then BatchNorm and the activation, as ``conv`` does."""
    f = dict(entry.fields)
    layer = L.ConvTranspose2d(
        cout=width.channels(f["cout"], entry.scale),
        k=f.get("k", (3, 3)),
        stride=_stride(f, first),
        padding=f.get("padding", (0, 0)),
        # Only the first repetition strides, so only it takes the output padding.
        output_padding=f.get("output_padding", (0, 0)) if first else (0, 0),
        dilation=f.get("dilation", (1, 1)),
        groups=f.get("groups", 1),
        bias=f.get("bias", False),
    )
    return list(_conv("", layer, f.get("bn", True), f.get("act", "relu")))


# The channels of the input of the block a squeeze_excite entry is written in, set by that
# block's expansion (a container, or an inverted residual's `se`); not a field a spec can write.
_BLOCK_INPUT = "(block input)"


def _expand_squeeze_excite(entry: LayerSpec, shape: Shape, width: Width, first: bool) -> list[Node]:
    """Squeeze-and-excitation (Hu et al. 2018, Figure 3; torchvision's SqueezeExcitation): global
    average pool, 1x1 conv with bias to the squeeze channels, ``act``, 1x1 conv with bias back
    to C, ``gate``, and the input multiplied by the gate; the shape is kept.

    The squeeze width is ``squeeze`` channels as written (scaled by ``--alpha``), or
    ``make_divisible(int(ratio * base), divisor)``: ``base`` is the entry's own input channels
    (MobileNetV3: the expanded channels, divisor 8) or the input of the block it is in
    (EfficientNet: ``max(1, int(0.25 * cin))``; RegNetY: ``0.25 * w_in``).
    """
    f = entry.fields
    c = shape[-1]
    if not isinstance(c, int):
        raise ConvcostError("needs a known number of input channels", field="ratio")
    if "squeeze" in f:
        for key in ("base", "divisor"):
            if key in f:
                raise ConvcostError(
                    "only sizes a 'ratio'; 'squeeze' gives the channels as written", field=key
                )
        squeeze = width.channels(f["squeeze"], entry.scale)
    else:
        base: Any = c
        if f.get("base", "channels") == "input":
            base = f.get(_BLOCK_INPUT)
            if base is None:
                raise ConvcostError(
                    "'input' is the input of the block the entry is written in (a residual, "
                    "sequence or concat), and this one is in none; use 'channels' or 'squeeze'",
                    field="base",
                )
        squeeze = make_divisible(int(base * f["ratio"]), f.get("divisor", 1))
    act, gate = f.get("act", "relu"), f.get("gate", "sigmoid")
    body: list[Node] = [
        Prim("pool", L.GlobalPool()),
        *_conv("fc1", L.Conv2d(squeeze, (1, 1), padding=(0, 0), bias=True), False, act),
        *_conv("fc2", L.Conv2d(c, (1, 1), padding=(0, 0), bias=True), False, gate),
    ]
    return [Residual("", body, merge=LayerKind.MULTIPLY)]


def _in_block(nodes: Iterable[Node], cin: Any) -> list[Node]:
    """``nodes`` with each squeeze_excite entry among them told its block's input channels."""
    return [
        replace(node, fields={**node.fields, _BLOCK_INPUT: cin})
        if isinstance(node, LayerSpec) and node.type == "squeeze_excite"
        else node
        for node in nodes
    ]


def _squeeze_excite(entry: LayerSpec, cin: int) -> LayerSpec:
    """An inverted residual's ``se`` fields as the squeeze_excite entry ``se`` after its
    depthwise conv: MobileNetV3 squeezes the expanded channels to a multiple of 8,
    EfficientNet (``se_base: input``) takes ``max(1, int(se * cin))`` as it is."""
    f = entry.fields
    from_input = f.get("se_base", "expanded") == "input"
    fields = {
        "ratio": f["se"],
        "base": "input" if from_input else "channels",
        "divisor": f.get("se_divisor", 1 if from_input else 8),
        "act": f.get("se_act", "relu"),
        "gate": f.get("se_gate", "hsigmoid"),
        _BLOCK_INPUT: cin,
    }
    return LayerSpec("squeeze_excite", fields, name="se", line=entry.line)


def _expand_inverted_residual(
    entry: LayerSpec, shape: Shape, width: Width, first: bool
) -> list[Node]:
    """MobileNetV2's inverted residual with linear bottleneck (Sandler et al. 2018, Table 1),
    MobileNetV3's bneck and EfficientNet's MBConv: expand 1x1, depthwise kxk, optional SE,
    linear project 1x1, and the residual add when stride 1 keeps the shape."""
    f = dict(entry.fields)
    cin = shape[-1]
    if not isinstance(cin, int):
        raise ConvcostError("needs a known number of input channels", field="cout")
    cout = width.channels(f["cout"], entry.scale)
    if "t" in f:
        expanded = round(cin * f["t"])  # torchvision: int(round(inp * expand_ratio))
        if expanded < 1:
            raise ConvcostError(f"expanding {cin} channels by t={f['t']:g} leaves none", field="t")
    else:
        expanded = width.channels(f["exp"], entry.scale)
    stride = _stride(f, first)
    act = f.get("act", "relu6")
    body: list[Node] = []
    if expanded != cin or f.get("always_expand", False):
        body += _conv("expand", L.Conv2d(expanded, (1, 1), padding=(0, 0)), True, act)
    body += _depthwise("dw", expanded, {"k": f.get("k", (3, 3))}, stride, True, act)
    if f.get("se", 0):
        body.append(_squeeze_excite(entry, cin))
    body += _conv("project", L.Conv2d(cout, (1, 1), padding=(0, 0)), True, None)
    if _unit(stride) and cin == cout:
        return [Residual("", body)]
    if _unit(stride) and f.get("project_shortcut", False):
        # pytorch-cifar's MobileNetV2 adds a 1x1 conv + BN shortcut where C changes.
        return [Residual("", body, _projection(stride, cout, cin))]
    return body


def _projection(stride: tuple[int, int], cout: int, cin: Any) -> list[Node]:
    """ResNet's option-B shortcut: 1x1 conv with the block's stride and BatchNorm, used only
    when the shape changes (He et al. 2016, section 3.3)."""
    if _unit(stride) and cin == cout:
        return []
    return list(_conv("downsample", L.Conv2d(cout, (1, 1), stride, (0, 0)), True, None))


def _expand_basic(entry: LayerSpec, shape: Shape, width: Width, first: bool) -> list[Node]:
    """ResNet's basic block: 3x3 (stride) -> BN -> ReLU -> 3x3 -> BN, + shortcut, ReLU."""
    f = dict(entry.fields)
    cout, stride = width.channels(f["cout"], entry.scale), _stride(f, first)
    body = [
        *_conv("conv1", L.Conv2d(cout, (3, 3), stride, (1, 1)), True, "relu"),
        *_conv("conv2", L.Conv2d(cout, (3, 3), (1, 1), (1, 1)), True, None),
    ]
    return [Residual("", body, _projection(stride, cout, shape[-1]), after=_activation("relu"))]


def _expand_bottleneck(entry: LayerSpec, shape: Shape, width: Width, first: bool) -> list[Node]:
    """ResNet's bottleneck, v1.5 as in torchvision (stride on the 3x3): 1x1 -> 3x3 -> 1x1 to
    expansion * c, each with BN, ReLU between, + shortcut, ReLU.

    ResNeXt (Xie et al. 2017, Table 1) and Wide ResNet (Zagoruyko & Komodakis 2016) widen the
    3x3 as torchvision's Bottleneck does: width = floor(c * width_per_group / 64) * groups
    (resnext50_32x4d: groups 32, width_per_group 4; wide_resnet50_2: width_per_group 128).
    ``dilation`` dilates the 3x3 and pads it by the dilation, as torchvision's
    ``replace_stride_with_dilation`` builds FCN's and DeepLab's backbones.
    """
    f = dict(entry.fields)
    c, stride = width.channels(f["cout"], entry.scale), _stride(f, first)
    cout = c * f.get("expansion", 4)
    groups, per_group = f.get("groups", 1), f.get("width_per_group", 64)
    inner = c * per_group // 64 * groups
    if inner < 1:
        raise ConvcostError(
            f"{c} channels at width_per_group={per_group} leave none for the 3x3 "
            "(width = floor(c * width_per_group / 64) * groups)",
            field="width_per_group",
        )
    # torchvision's conv3x3 pads by the dilation, keeping the size (FCN's dilated stages).
    dilation = f.get("dilation", (1, 1))
    conv2 = L.Conv2d(inner, (3, 3), stride, dilation, dilation, groups=groups)
    body = [
        *_conv("conv1", L.Conv2d(inner, (1, 1), padding=(0, 0)), True, "relu"),
        *_conv("conv2", conv2, True, "relu"),
        *_conv("conv3", L.Conv2d(cout, (1, 1), padding=(0, 0)), True, None),
    ]
    return [Residual("", body, _projection(stride, cout, shape[-1]), after=_activation("relu"))]


def _expand_shuffle_unit(entry: LayerSpec, shape: Shape, width: Width, first: bool) -> list[Node]:
    """ShuffleNetV2's unit (Ma et al. 2018, Figure 3 c/d): with stride 1, split the channels in
    half and transform one half; with stride 2, transform the whole input on two branches.
    Concatenate, then shuffle the channels in 2 groups."""
    f = dict(entry.fields)
    cout, stride = width.channels(f["cout"], entry.scale), _stride(f, first)
    if cout % 2:
        raise ConvcostError(
            f"a shuffle unit needs an even number of channels, got {cout}", field="cout"
        )
    half = cout // 2
    cin = shape[-1]
    shuffle = [Prim("shuffle", L.ChannelShuffle(2))]

    def branch(tag: str) -> list[Node]:
        return [
            *_conv(f"{tag}.pw1", L.Conv2d(half, (1, 1), padding=(0, 0)), True, "relu"),
            *_depthwise(f"{tag}.dw", half, {"k": (3, 3), "padding": (1, 1)}, stride, True, None),
            *_conv(f"{tag}.pw2", L.Conv2d(half, (1, 1), padding=(0, 0)), True, "relu"),
        ]

    if _unit(stride):
        if not isinstance(cin, int) or cin != cout:
            raise ConvcostError(
                f"a stride-1 shuffle unit keeps its channels, but gets {cin} and gives {cout}",
                field="cout",
            )
        return [Concat("", [[], branch("branch2")], split=(half, half), after=shuffle)]
    branch1: list[Node] = [
        *_depthwise("branch1.dw", cin, {"k": (3, 3), "padding": (1, 1)}, stride, True, None),
        *_conv("branch1.pw", L.Conv2d(half, (1, 1), padding=(0, 0)), True, "relu"),
    ]
    return [Concat("", [branch1, branch("branch2")], after=shuffle)]


def _expand_container(entry: LayerSpec, shape: Shape, width: Width, first: bool) -> list[Node]:
    f = dict(entry.fields)
    cin = shape[-1]  # the block input of a squeeze_excite entry written in this one
    if entry.type == "sequence":
        return _in_block(f["layers"], cin)
    if entry.type == "residual":
        return [
            Residual(
                "",
                _in_block(f["layers"], cin),
                _in_block(f.get("shortcut", ()), cin),
                after=_activation(f.get("act")),
                shortcut_scope="shortcut",
            )
        ]
    return [Concat("", [_in_block(b, cin) for b in f["branches"]], split=f.get("split"))]


_Rule = Callable[[LayerSpec, Shape, Width, bool], list[Node]]

# Every entry type of the loader's catalogue (spec.FIELDS) has its rule here, the simple
# layers included: a type without one is an error in expand(), never a guess
# (tests/test_blocks.py checks the two lists agree).
_SIMPLE = (
    "batchnorm",
    *ACTIVATIONS,
    "maxpool",
    "avgpool",
    "global_avgpool",
    "global_maxpool",
    "adaptive_avgpool",
    "flatten",
    "dropout",
    "channel_shuffle",
    "upsample",
    "pixel_shuffle",
    "pixel_unshuffle",
    "pad",
    "layernorm",
    "groupnorm",
    "instancenorm",
    "prelu",
    "layer_scale",
)

_EXPAND: dict[str, _Rule] = {
    "conv": _expand_conv,
    "depthwise": _expand_depthwise,
    "pointwise": _expand_pointwise,
    "separable": _expand_separable,
    "fc": _expand_fc,
    "conv_transpose": _expand_conv_transpose,
    "inverted_residual": _expand_inverted_residual,
    "basic": _expand_basic,
    "bottleneck": _expand_bottleneck,
    "squeeze_excite": _expand_squeeze_excite,
    "shuffle_unit": _expand_shuffle_unit,
    "sequence": _expand_container,
    "residual": _expand_container,
    "concat": _expand_container,
    **dict.fromkeys(_SIMPLE, _expand_simple),
}


def _no_rule(kind: str) -> ConvcostError:
    return ConvcostError(f"no expansion rule for entry type {kind!r}")


def expand(entry: LayerSpec, shape: Shape, width: Width, *, first: bool = True) -> list[Node]:
    """The nodes one spec entry stands for on an input of ``shape``.

    ``first`` is False for the second and later repetitions of an entry with ``n``, which do
    not stride.
    """
    rule = _EXPAND.get(entry.type)
    if rule is None:
        raise _no_rule(entry.type)
    return rule(entry, shape, width, first)
