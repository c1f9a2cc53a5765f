"""The layers convcost knows, and what each one costs.

A layer is a frozen dataclass holding its hyper-parameters; the input shape comes from the
walker. ``KIND_COST`` maps each :class:`LayerKind` to the function that validates the layer
against its input and returns its :class:`Cost` from the formulas in ``formulas.py``. This
module is the adapter between those pure formulas and concrete layers, the way fvcore's
``conv_flop_jit`` only extracts shapes for ``conv_flop_count``. A kind with no entry is an
error, never a silent zero.

Shapes are ``(H, W, C)`` in 2-D, ``(L, C)`` in 1-D and ``(D, H, W, C)`` in 3-D: the
spatial sizes, then the channels (issue 14). A kernel, stride, padding or dilation holds one
value per spatial axis (:func:`fit` spreads a default written for 2-D over the input's axes);
a fully connected layer sees ``(1, 1, features)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from itertools import repeat
from typing import Literal, NamedTuple

from convcost import formulas
from convcost.conventions import EXACT
from convcost.errors import ConvcostError
from convcost.formulas import Count

Shape = tuple[Count, ...]  # the spatial sizes, then C: (H, W, C), (L, C), (D, H, W, C)
Pair = tuple[int, ...]  # one value per spatial axis: (h, w) in 2-D
Padding = Pair | Literal["same", "valid"]


class LayerKind(str, Enum):
    """Every primitive layer. Blocks (``blocks.py``) expand into these."""

    CONV2D = "conv2d"
    LINEAR = "linear"
    BATCHNORM = "batchnorm"
    ACTIVATION = "activation"
    MAXPOOL = "maxpool"
    AVGPOOL = "avgpool"
    GLOBAL_AVGPOOL = "global_avgpool"
    GLOBAL_MAXPOOL = "global_maxpool"
    ADAPTIVE_AVGPOOL = "adaptive_avgpool"
    FLATTEN = "flatten"
    DROPOUT = "dropout"
    CHANNEL_SHUFFLE = "channel_shuffle"
    CONV_TRANSPOSE2D = "conv_transpose2d"
    UPSAMPLE = "upsample"
    PIXEL_SHUFFLE = "pixel_shuffle"
    PIXEL_UNSHUFFLE = "pixel_unshuffle"
    PAD = "pad"
    LAYERNORM = "layernorm"
    GROUPNORM = "groupnorm"
    INSTANCENORM = "instancenorm"
    PRELU = "prelu"
    LAYER_SCALE = "layer_scale"
    # Layers that merge the outputs of several paths; the walker checks their inputs agree.
    ADD = "add"
    CONCAT = "concat"
    MULTIPLY = "multiply"


# How a model's code calls a layer, where a counter that hooks modules or patches functions
# sees a difference (docs/peers.md): nn.AdaptiveAvgPool2d, F.adaptive_avg_pool2d, x.mean.
Call = Literal["module", "functional", "mean"]


@dataclass(frozen=True, slots=True)
class Cost:
    """What one layer costs on a given input: its output shape, params and buffers, and its
    work as named terms (fvcore's handles return a Counter of operators in the same way).

    The terms are counted once per element at batch 1 (see :data:`TERMS`); a
    :class:`~convcost.conventions.Convention` projects them onto MACs.
    """

    output: Shape
    params: Count = 0
    buffers: Count = 0
    terms: dict[str, Count] = field(default_factory=dict)

    @property
    def macs(self) -> Count:
        """convcost's own MACs (the ``exact`` convention): convolution and linear terms."""
        return EXACT.project(self.terms)


# The cost terms the rules return. A term's name is its family with the layer's details.
TERMS = {
    "conv": "multiply-accumulates of a convolution: Hout*Wout*Cout*(Cin/groups)*Kh*Kw "
    "(a product over every spatial axis in 1-D and 3-D)",
    "linear": "multiply-accumulates of a fully connected layer: positions*in*out",
    "bias": "bias adds: the output elements of a convolution or linear layer with a bias",
    "bn": "BatchNorm output elements",
    "bn_params": "BatchNorm gamma and beta (2C)",
    "act.FUNCTION": "activation output elements (act.relu, act.relu6, ...); "
    "act.FUNCTION.functional when the code calls F.relu rather than nn.ReLU",
    "pool.OP.in, pool.OP.out": "pooling input and output elements, OP max, avg (a window), "
    "adaptive_avg, adaptive_max (global and adaptive pools), mean (x.mean([2, 3])); "
    "pool.OP.functional.in/out when the code calls F.max_pool2d and the like",
    "add, multiply, concat": "output elements where paths meet (residual, squeeze-excite, concat)",
    "norm.OP, norm.OP.affine": "elements normalised by a LayerNorm, GroupNorm or InstanceNorm "
    "(OP layer, group, instance), .affine when it has gamma; norm.OP[.affine].functional when "
    "the code calls F.layer_norm or a subclass the hook-based tools do not match "
    "(torchvision's LayerNorm2d)",
    "norm_params": "LayerNorm, GroupNorm and InstanceNorm gamma and beta (2C, C or 0)",
    "prelu_params": "the slopes of an nn.PReLU module (1 or C)",
    "layer_scale": "elements multiplied by a layer scale (ConvNeXt's gamma * x)",
    "conv_transpose": "multiply-accumulates of a transposed convolution, per input position: "
    "Hin*Win*Cin*(Cout/groups)*Kh*Kw",
    "conv_transpose.out": "a transposed convolution counted per output position: "
    "Hout*Wout*Cout*(Cin/groups)*Kh*Kw (thop, torchinfo)",
    "conv_transpose.out.ungrouped": "what reading a grouped transposed convolution's weight "
    "as ungrouped adds to conv_transpose.out when Cin != Cout: (groups-1) times it (torchprofile)",
    "upsample.MODE.out": "upsampling output elements, MODE nearest or bilinear; "
    "upsample.MODE.functional.out when the code calls F.interpolate",
}


class Conv2d(NamedTuple):
    """A grouped convolution; standard, depthwise and pointwise are its special cases.

    PyTorch's ``Conv2d``, and ``Conv1d``/``Conv3d`` on a 1-D or 3-D input: ``k``, ``stride``,
    ``padding`` and ``dilation`` hold one value per spatial axis (issue 14).
    """

    cout: int
    k: Pair = (3, 3)
    stride: Pair = (1, 1)
    padding: Padding = "same"
    dilation: Pair = (1, 1)
    groups: int = 1
    bias: bool = False
    kind: LayerKind = LayerKind.CONV2D

    def category(self, cin: Count) -> str:
        """The row label of MobileNet's Table 2: ``Conv 3x3``, ``Conv DW 3x3``, ``Conv 1x1``
        (``Conv 3x3x3`` in 3-D, ``Conv 80`` in 1-D)."""
        kernel = "x".join(map(str, self.k))
        if self.groups == 1:
            return f"Conv {kernel}"
        if self.groups == cin and self.cout % self.groups == 0:
            return f"Conv DW {kernel}"
        return f"Conv G{self.groups} {kernel}"


class Linear(NamedTuple):
    """A fully connected layer over the flattened input."""

    fout: int
    bias: bool = True
    kind: LayerKind = LayerKind.LINEAR


class BatchNorm(NamedTuple):
    """Batch normalisation over the channels: 2C params (gamma, beta), 2C buffers."""

    kind: LayerKind = LayerKind.BATCHNORM


class Activation(NamedTuple):
    """An element-wise non-linearity (relu, relu6, hswish, sigmoid, ...): free by convention."""

    function: str = "relu"
    call: Call | None = None  # None: as the spec's defaults say, else a module
    kind: LayerKind = LayerKind.ACTIVATION


class Pool(NamedTuple):
    """Max or average pooling over a window; no params, no MACs by convention.

    ``ceil_mode`` rounds the output size up, as PyTorch's ``ceil_mode=True``
    (:func:`~convcost.formulas.pool_output_size_ceil`); ``count_include_pad`` (average
    pooling's divisor) changes no count and is kept only as the spec wrote it.
    """

    kind: LayerKind
    k: Pair = (2, 2)
    stride: Pair = (2, 2)
    padding: Padding = (0, 0)
    call: Call | None = None
    ceil_mode: bool = False
    count_include_pad: bool = True


class GlobalPool(NamedTuple):
    """Global max or average pooling: (H, W, C) -> (1, 1, C)."""

    kind: LayerKind = LayerKind.GLOBAL_AVGPOOL
    call: Call | None = None


class AdaptivePool(NamedTuple):
    """PyTorch's ``AdaptiveAvgPool2d(size)``: any (H, W, C) -> (size_h, size_w, C)."""

    size: Pair = (1, 1)
    call: Call | None = None
    kind: LayerKind = LayerKind.ADAPTIVE_AVGPOOL


class Flatten(NamedTuple):
    """(H, W, C) -> (1, 1, H*W*C)."""

    kind: LayerKind = LayerKind.FLATTEN


class Dropout(NamedTuple):
    """Dropout: the identity at inference, listed so the table reads like the network."""

    p: float = 0.5
    kind: LayerKind = LayerKind.DROPOUT


class ChannelShuffle(NamedTuple):
    """ShuffleNet's channel shuffle: a permutation of channels, free."""

    groups: int = 2
    kind: LayerKind = LayerKind.CHANNEL_SHUFFLE


class ConvTranspose2d(NamedTuple):
    """PyTorch's ``ConvTranspose2d`` (``1d``/``3d`` on a 1-D or 3-D input): a grouped
    transposed convolution (a "deconvolution")."""

    cout: int
    k: Pair = (3, 3)
    stride: Pair = (1, 1)
    padding: Pair = (0, 0)
    output_padding: Pair = (0, 0)
    dilation: Pair = (1, 1)
    groups: int = 1
    bias: bool = False
    kind: LayerKind = LayerKind.CONV_TRANSPOSE2D

    def category(self) -> str:
        """The row label of the breakdown by type: ``Conv T 2x2``, ``Conv T G4 3x3``."""
        kernel = "x".join(map(str, self.k))
        return f"Conv T {kernel}" if self.groups == 1 else f"Conv T G{self.groups} {kernel}"


UpsampleMode = Literal["nearest", "bilinear"]


class Upsample(NamedTuple):
    """``nn.Upsample`` / ``F.interpolate``: to ``size``, or by an integer ``scale_factor``
    per axis (exactly one of them). No params; no MACs by convcost's convention."""

    scale_factor: Pair | None = None
    size: Pair | None = None
    mode: UpsampleMode = "nearest"
    align_corners: bool | None = None  # None: not given (PyTorch refuses any with nearest)
    call: Call | None = None
    kind: LayerKind = LayerKind.UPSAMPLE


class PixelShuffle(NamedTuple):
    """``nn.PixelShuffle(r)``: (H, W, C) -> (H*r, W*r, C/r^2); ``nn.PixelUnshuffle(r)`` with
    ``kind`` PIXEL_UNSHUFFLE: (H, W, C) -> (H/r, W/r, C*r^2). A permutation, free."""

    factor: int = 2
    kind: LayerKind = LayerKind.PIXEL_SHUFFLE


class Pad(NamedTuple):
    """``nn.ZeroPad2d((left, right, top, bottom))``: zeros around the input, free."""

    left: int = 0
    right: int = 0
    top: int = 0
    bottom: int = 0
    kind: LayerKind = LayerKind.PAD


class Merge(NamedTuple):
    """Where paths meet: ``add`` (residual), ``concat`` (channels), ``multiply`` (SE scale).

    The walker computes the merged shape and checks the paths agree; the merge itself is free.
    """

    kind: LayerKind = LayerKind.ADD


class Norm(NamedTuple):
    """LayerNorm over the channels at each position (ConvNeXt's LayerNorm2d, or
    ``nn.LayerNorm(C)`` on channels-last), GroupNorm, or InstanceNorm.

    ``affine`` is PyTorch's ``elementwise_affine`` (LayerNorm) or ``affine``; ``bias`` is
    LayerNorm's ``bias``; ``groups`` is GroupNorm's ``num_groups``; ``track_running_stats``
    gives InstanceNorm BatchNorm's buffers. ``eps`` changes no count.
    """

    kind: LayerKind = LayerKind.LAYERNORM
    affine: bool = True
    bias: bool = True
    groups: int = 1
    track_running_stats: bool = False
    eps: float = 1e-5
    call: Call | None = None


class PReLU(NamedTuple):
    """PyTorch's ``nn.PReLU(num_parameters)``: a learned slope, one or one per channel."""

    num_parameters: int = 1
    call: Call | None = None
    kind: LayerKind = LayerKind.PRELU


class LayerScale(NamedTuple):
    """ConvNeXt's layer scale (from CaiT, Touvron et al. 2021): gamma * x, one gamma per
    channel."""

    kind: LayerKind = LayerKind.LAYER_SCALE


Layer = (
    Conv2d
    | Linear
    | BatchNorm
    | Activation
    | Pool
    | GlobalPool
    | AdaptivePool
    | Flatten
    | Dropout
    | ChannelShuffle
    | ConvTranspose2d
    | Upsample
    | PixelShuffle
    | Pad
    | Merge
    | Norm
    | PReLU
    | LayerScale
)


def _same_layer(self: tuple[object, ...], other: object) -> bool:
    return type(self) is type(other) and tuple.__eq__(self, other)


def _other_layer(self: tuple[object, ...], other: object) -> bool:
    return not _same_layer(self, other)


# A layer is a named tuple (a fifth of a dataclass's cost to create at start-up, and every
# `convcost` start creates them all) that equals only a layer of its own type: tuples compare
# by value alone, and a str enum equals its string, so two kinds could meet as equal keys of
# the walker's memo.
for _type in Layer.__args__:
    _type.__eq__ = _same_layer
    _type.__ne__ = _other_layer
    _type.__hash__ = tuple.__hash__


# --- costs ----------------------------------------------------------------------------------


def _known(*values: Count) -> bool:
    """True when every value is a concrete int, so it can be checked against limits."""
    return all(isinstance(v, int) for v in values)


# The names of the spatial axes, by their number (errors say which axis is wrong).
_AXES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}
# The fields that hold one value per spatial axis.
_PER_AXIS = ("k", "stride", "padding", "dilation", "output_padding", "size", "scale_factor")
# Layers defined on H and W only (PyTorch's PixelShuffle, ZeroPad2d; bilinear upsampling).
_PLANAR = (LayerKind.PIXEL_SHUFFLE, LayerKind.PIXEL_UNSHUFFLE, LayerKind.PAD, LayerKind.UPSAMPLE)


def _axis_name(axis: int, axes: int) -> str:
    return _AXES[axes][axis] if axes in _AXES else f"axis {axis}"


def fit(layer: Layer, axes: int) -> Layer:
    """``layer`` with one value per spatial axis of an input with ``axes`` of them.

    The spec's parser already gives what a spec writes one value per axis; a default or a
    block's constant written for 2-D, ``(3, 3)``, is the same value on every axis and spreads
    over 1 or 3 axes. Layers defined on H and W only are refused outside 2-D. In 2-D every
    layer comes back as it is.
    """
    if axes == 2:
        return layer
    if layer.kind in _PLANAR:
        raise ConvcostError(
            f"'{layer.kind.value}' works on H and W only, and the input has {axes} spatial "
            f"ax{'is' if axes == 1 else 'es'} ({', '.join(_AXES.get(axes, ()))})",
        )
    changes: dict[str, Pair] = {}
    for name in _PER_AXIS:
        value = getattr(layer, name, None)
        if not isinstance(value, tuple) or len(value) == axes:
            continue
        if len(set(value)) != 1:
            raise ConvcostError(
                f"{len(value)} values {list(value)} for an input with {axes} spatial "
                f"ax{'is' if axes == 1 else 'es'}",
                field=name,
            )
        changes[name] = (value[0],) * axes
    return layer._replace(**changes) if changes else layer  # type: ignore[arg-type]


def window_output(
    size: Count,
    k: int,
    stride: int,
    padding: Padding,
    axis: int,
    dilation: int = 1,
    what: str = "kernel",
    axes: int = 2,
) -> Count:
    """Output length along ``axis`` (0 = H, 1 = W in 2-D), checking the window fits the padded
    input."""
    if padding == "same":
        return formulas.same_output_size(size, stride)
    pad = 0 if padding == "valid" else padding[axis]
    span = dilation * (k - 1) + 1
    if _known(size) and size + 2 * pad < span:
        name = _axis_name(axis, axes)
        dilated = f" (dilated {span})" if span != k else ""
        raise ConvcostError(
            f"{what} {k}{dilated} is larger than the input {name}={size} padded by {pad} on "
            f"each side",
            field="k",
        )
    return formulas.conv_output_size(size, k, stride, pad, dilation)


def _conv2d_cost(layer: Conv2d, shape: Shape) -> Cost:
    """PyTorch's ``Conv{1,2,3}d``: one grouped convolution over the input's spatial axes."""
    sizes, cin = shape[:-1], shape[-1]
    axes = len(sizes)
    if _known(cin) and cin % layer.groups:
        raise ConvcostError(f"{layer.groups} does not divide cin={cin}", field="groups")
    if layer.cout % layer.groups:
        raise ConvcostError(f"{layer.groups} does not divide cout={layer.cout}", field="groups")
    out = tuple(
        map(
            window_output,
            sizes,
            layer.k,
            layer.stride,
            repeat(layer.padding),
            range(axes),
            layer.dilation,
            repeat("kernel"),
            repeat(axes),
        )
    )
    terms = {"conv": formulas.conv_macs_nd(out, cin, layer.cout, layer.k, layer.groups)}
    if layer.bias:
        terms["bias"] = formulas.product(out) * layer.cout
    return Cost(
        output=(*out, layer.cout),
        params=formulas.conv_params_nd(cin, layer.cout, layer.k, layer.groups, layer.bias),
        terms=terms,
    )


def _linear_cost(layer: Linear, shape: Shape) -> Cost:
    *sizes, fin = shape
    # PyTorch's Linear acts on the last axis and repeats over the others (h*w positions).
    positions = formulas.product(sizes)
    terms = {"linear": positions * formulas.linear_macs(fin, layer.fout)}
    if layer.bias:
        terms["bias"] = positions * layer.fout
    return Cost(
        output=(*sizes, layer.fout),
        params=formulas.linear_params(fin, layer.fout, layer.bias),
        terms=terms,
    )


def _batchnorm_cost(layer: BatchNorm, shape: Shape) -> Cost:
    """BatchNorm1d, 2d or 3d: the same 2C params and 2C buffers over the channels."""
    c = shape[-1]
    params = formulas.batchnorm_params(c)
    return Cost(
        output=shape,
        params=params,
        buffers=formulas.batchnorm_buffers(c),
        terms={"bn": _elements(shape), "bn_params": params},
    )


def _activation_cost(layer: Activation, shape: Shape) -> Cost:
    call = ".functional" if layer.call == "functional" else ""
    return Cost(output=shape, terms={f"act.{layer.function}{call}": _elements(shape)})


def _pooled(op: str, call: Call | None, shape: Shape, output: Shape) -> Cost:
    """A pooling layer's cost: its input and output elements, named by how it is called."""
    name = "pool.mean" if call == "mean" else f"pool.{op}"
    if call == "functional":
        name += ".functional"
    return Cost(
        output=output, terms={f"{name}.in": _elements(shape), f"{name}.out": _elements(output)}
    )


def _elements(shape: Shape) -> Count:
    return formulas.product(shape)


def _ceil_window_output(
    size: Count, k: int, stride: int, padding: Padding, axis: int, axes: int = 2
) -> Count:
    """Output length of a pool with ``ceil_mode=True`` along ``axis`` (0 = H, 1 = W).

    PyTorch keeps a last window that runs past the padded input, even one larger than it, as
    long as it starts inside the input or its left padding; it refuses only an output of zero
    windows, and so does this.
    """
    if padding == "same":
        raise ConvcostError(
            "needs a numeric padding: 'same' already rounds the output up (TensorFlow), and "
            "PyTorch's pools have no 'same'",
            field="ceil_mode",
        )
    pad = 0 if padding == "valid" else padding[axis]
    out = formulas.pool_output_size_ceil(size, k, stride, pad)
    if _known(out) and out < 1:
        name = _axis_name(axis, axes)
        raise ConvcostError(
            f"window {k} is {k - size - 2 * pad} larger than the input {name}={size} padded by "
            f"{pad} on each side, and ceil_mode lets a window run past the padded input by at "
            f"most stride - 1 = {stride - 1} (PyTorch: output size is too small)",
            field="k",
        )
    return out


def _pool_cost(layer: Pool, shape: Shape) -> Cost:
    """PyTorch's MaxPool2d and AvgPool2d refuse padding above half the window."""
    *sizes, c = shape
    axes = len(sizes)
    if isinstance(layer.padding, tuple):
        for pad, k in zip(layer.padding, layer.k, strict=True):
            if 2 * pad > k:
                raise ConvcostError(
                    f"{pad} is more than half the {'x'.join(map(str, layer.k))} window "
                    "(PyTorch refuses it)",
                    field="padding",
                )
    pads = repeat(layer.padding)
    if layer.ceil_mode:
        out = tuple(
            map(_ceil_window_output, sizes, layer.k, layer.stride, pads, range(axes), repeat(axes))
        )
    else:
        out = tuple(
            map(
                window_output,
                sizes,
                layer.k,
                layer.stride,
                pads,
                range(axes),
                repeat(1),
                repeat("window"),
                repeat(axes),
            )
        )
    op = "max" if layer.kind is LayerKind.MAXPOOL else "avg"
    return _pooled(op, layer.call, shape, (*out, c))


def _global_pool_cost(layer: GlobalPool, shape: Shape) -> Cost:
    """Global pooling is PyTorch's AdaptiveAvgPool{1,2,3}d(1) (or AdaptiveMaxPool)."""
    op = "adaptive_max" if layer.kind is LayerKind.GLOBAL_MAXPOOL else "adaptive_avg"
    return _pooled(op, layer.call, shape, (*(1 for _ in shape[:-1]), shape[-1]))


def _adaptive_pool_cost(layer: AdaptivePool, shape: Shape) -> Cost:
    return _pooled("adaptive_avg", layer.call, shape, (*layer.size, shape[-1]))


def _flatten_cost(layer: Flatten, shape: Shape) -> Cost:
    return Cost(output=(*(1 for _ in shape[:-1]), _elements(shape)))


def _shuffle_cost(layer: ChannelShuffle, shape: Shape) -> Cost:
    if _known(shape[-1]) and shape[-1] % layer.groups:
        raise ConvcostError(
            f"{layer.groups} does not divide the {shape[-1]} channels", field="groups"
        )
    return Cost(output=shape)


def _conv_transpose_cost(layer: ConvTranspose2d, shape: Shape) -> Cost:
    """PyTorch's ``ConvTranspose2d``, with the checks PyTorch makes: groups divide both channel
    counts, output_padding is smaller than the stride or the dilation, the output is not empty."""
    *sizes, cin = shape
    axes = len(sizes)
    if _known(cin) and cin % layer.groups:
        raise ConvcostError(f"{layer.groups} does not divide cin={cin}", field="groups")
    if layer.cout % layer.groups:
        raise ConvcostError(f"{layer.groups} does not divide cout={layer.cout}", field="groups")
    for axis, (pad, stride, dilation) in enumerate(
        zip(layer.output_padding, layer.stride, layer.dilation, strict=True)
    ):
        if pad >= stride and pad >= dilation:
            name = _axis_name(axis, axes)
            raise ConvcostError(
                f"{pad} along {name} must be smaller than the stride ({stride}) or the "
                f"dilation ({dilation}), as PyTorch requires",
                field="output_padding",
            )
    outs = []
    for axis, size in enumerate(sizes):
        out = formulas.conv_transpose_output_size(
            size,
            layer.k[axis],
            layer.stride[axis],
            layer.padding[axis],
            layer.dilation[axis],
            layer.output_padding[axis],
        )
        if _known(out) and out < 1:
            name = _axis_name(axis, axes)
            raise ConvcostError(
                f"{layer.padding[axis]} leaves no output: {name}={size} gives {name}out={out}",
                field="padding",
            )
        outs.append(out)
    k = layer.k
    g = layer.groups
    dense = formulas.conv_transpose_dense_macs_nd(outs, cin, layer.cout, k, g)
    terms = {
        "conv_transpose": formulas.conv_transpose_macs_nd(sizes, cin, layer.cout, k, g),
        "conv_transpose.out": dense,
    }
    if g > 1 and _known(cin) and cin != layer.cout:
        # torchprofile reads the [Cin, Cout/G, Kh, Kw] weight as [Cout, Cin, ...] unless
        # Cin == Cout, so it misses the division by G (docs/peers.md).
        terms["conv_transpose.out.ungrouped"] = (g - 1) * dense
    if layer.bias:
        terms["bias"] = formulas.product(outs) * layer.cout
    return Cost(
        output=(*outs, layer.cout),
        params=formulas.conv_transpose_params_nd(cin, layer.cout, k, g, layer.bias),
        terms=terms,
    )


def _upsample_cost(layer: Upsample, shape: Shape) -> Cost:
    """``nn.Upsample`` and ``F.interpolate``, refused where PyTorch refuses them."""
    h, w, c = shape
    if (layer.scale_factor is None) == (layer.size is None):
        raise ConvcostError(
            "give the output as 'scale_factor' or 'size', one of them", field="scale_factor"
        )
    if layer.align_corners is not None and layer.mode == "nearest":
        raise ConvcostError(
            "applies to bilinear upsampling only (PyTorch refuses it with mode nearest)",
            field="align_corners",
        )
    if layer.size is not None:
        output: Shape = (layer.size[0], layer.size[1], c)
    else:
        sh, sw = layer.scale_factor  # type: ignore[misc]
        output = (formulas.upsample_output_size(h, sh), formulas.upsample_output_size(w, sw), c)
    call = ".functional" if layer.call == "functional" else ""
    return Cost(output=output, terms={f"upsample.{layer.mode}{call}.out": _elements(output)})


def _pixel_shuffle_cost(layer: PixelShuffle, shape: Shape) -> Cost:
    """PixelShuffle (depth to space) and PixelUnshuffle (space to depth): permutations."""
    h, w, c = shape
    r = layer.factor
    if layer.kind is LayerKind.PIXEL_SHUFFLE:
        if _known(c) and c % (r * r):
            raise ConvcostError(
                f"{r}x{r} = {r * r} does not divide the {c} channels", field="upscale_factor"
            )
        return Cost(output=(h * r, w * r, formulas.exact_divide(c, r * r)))
    for name, size in (("H", h), ("W", w)):
        if _known(size) and size % r:
            raise ConvcostError(f"{r} does not divide {name}={size}", field="downscale_factor")
    return Cost(output=(formulas.exact_divide(h, r), formulas.exact_divide(w, r), c * r * r))


def _pad_cost(layer: Pad, shape: Shape) -> Cost:
    h, w, c = shape
    return Cost(output=(h + layer.top + layer.bottom, w + layer.left + layer.right, c))


def _free(layer: Dropout, shape: Shape) -> Cost:
    return Cost(output=shape)


def _merge_cost(layer: Merge, shape: Shape) -> Cost:
    """Where paths meet: the merged tensor's elements, one add or multiply each."""
    return Cost(output=shape, terms={layer.kind.value: _elements(shape)})


_NORM_OP = {LayerKind.LAYERNORM: "layer", LayerKind.GROUPNORM: "group"}


def _norm_cost(layer: Norm, shape: Shape) -> Cost:
    """LayerNorm (over C), GroupNorm, InstanceNorm: gamma and beta, no MACs.

    Not MACs under the exact convention, as BatchNorm and the activations are not: convcost
    counts multiply-accumulates of convolutions and linear layers only. (BatchNorm folds into
    the convolution before it at inference; these norms cannot, as their statistics depend on
    the input, but their work is still per element, not a dot product.) The elements they
    normalise are the ``norm.*`` terms that the presets weigh.
    """
    c = shape[-1]
    if layer.kind is LayerKind.GROUPNORM and _known(c) and c % layer.groups:
        raise ConvcostError(
            f"{layer.groups} groups do not divide the {c} channels (PyTorch refuses it)",
            field="groups",
        )
    op = _NORM_OP.get(layer.kind, "instance")
    name = f"norm.{op}{'.affine' if layer.affine else ''}"
    if layer.call == "functional":
        name += ".functional"
    params = formulas.norm_params(c, layer.affine, layer.bias)
    terms = {name: _elements(shape)}
    if layer.affine:
        terms["norm_params"] = params
    return Cost(
        output=shape,
        params=params,
        buffers=formulas.norm_buffers(c, layer.track_running_stats),
        terms=terms,
    )


def _prelu_cost(layer: PReLU, shape: Shape) -> Cost:
    """PyTorch's PReLU: ``num_parameters`` slopes, 1 or one per channel; free, as the other
    activations are."""
    c = shape[-1]
    if layer.num_parameters != 1 and _known(c) and layer.num_parameters != c:
        raise ConvcostError(
            f"{layer.num_parameters} slopes for {c} channels: PReLU takes 1 or one per channel",
            field="num_parameters",
        )
    if layer.call == "functional":
        return Cost(output=shape, terms={"act.prelu.functional": _elements(shape)})
    return Cost(
        output=shape,
        params=layer.num_parameters,
        terms={"act.prelu": _elements(shape), "prelu_params": layer.num_parameters},
    )


def _layer_scale_cost(layer: LayerScale, shape: Shape) -> Cost:
    """One gamma per channel, one multiply per element; not a MAC, as squeeze-excite's scaling
    is not."""
    return Cost(output=shape, params=shape[-1], terms={"layer_scale": _elements(shape)})


KIND_COST: dict[LayerKind, Callable[..., Cost]] = {
    LayerKind.CONV2D: _conv2d_cost,
    LayerKind.LINEAR: _linear_cost,
    LayerKind.BATCHNORM: _batchnorm_cost,
    LayerKind.ACTIVATION: _activation_cost,
    LayerKind.MAXPOOL: _pool_cost,
    LayerKind.AVGPOOL: _pool_cost,
    LayerKind.GLOBAL_AVGPOOL: _global_pool_cost,
    LayerKind.GLOBAL_MAXPOOL: _global_pool_cost,
    LayerKind.ADAPTIVE_AVGPOOL: _adaptive_pool_cost,
    LayerKind.FLATTEN: _flatten_cost,
    LayerKind.DROPOUT: _free,
    LayerKind.CHANNEL_SHUFFLE: _shuffle_cost,
    LayerKind.CONV_TRANSPOSE2D: _conv_transpose_cost,
    LayerKind.UPSAMPLE: _upsample_cost,
    LayerKind.PIXEL_SHUFFLE: _pixel_shuffle_cost,
    LayerKind.PIXEL_UNSHUFFLE: _pixel_shuffle_cost,
    LayerKind.PAD: _pad_cost,
    LayerKind.ADD: _merge_cost,
    LayerKind.CONCAT: _merge_cost,
    LayerKind.MULTIPLY: _merge_cost,
    LayerKind.LAYERNORM: _norm_cost,
    LayerKind.GROUPNORM: _norm_cost,
    LayerKind.INSTANCENORM: _norm_cost,
    LayerKind.PRELU: _prelu_cost,
    LayerKind.LAYER_SCALE: _layer_scale_cost,
}


def cost(layer: Layer, shape: Shape) -> Cost:
    """Validate ``layer`` on an input of ``shape`` and return what it costs."""
    try:
        rule = KIND_COST[layer.kind]
    except KeyError:
        raise ConvcostError(f"no cost rule for layer kind {layer.kind.value!r}") from None
    return rule(fit(layer, len(shape) - 1), shape)


def category(layer: Layer, shape: Shape) -> str:
    """The row a layer joins in the breakdown by type (MobileNet Table 2's rows)."""
    if isinstance(layer, Conv2d):
        return layer.category(shape[-1])
    if isinstance(layer, Linear):
        return "Fully connected"
    if isinstance(layer, ConvTranspose2d):
        return layer.category()
    labels = {
        LayerKind.BATCHNORM: "BatchNorm",
        LayerKind.ACTIVATION: "Activation",
        LayerKind.MAXPOOL: "Pooling",
        LayerKind.AVGPOOL: "Pooling",
        LayerKind.GLOBAL_AVGPOOL: "Pooling",
        LayerKind.GLOBAL_MAXPOOL: "Pooling",
        LayerKind.ADAPTIVE_AVGPOOL: "Pooling",
        LayerKind.UPSAMPLE: "Upsampling",
        LayerKind.LAYERNORM: "LayerNorm",
        LayerKind.GROUPNORM: "GroupNorm",
        LayerKind.INSTANCENORM: "InstanceNorm",
        LayerKind.PRELU: "Activation",
        LayerKind.LAYER_SCALE: "Layer scale",
    }
    return labels.get(layer.kind, "Other")
