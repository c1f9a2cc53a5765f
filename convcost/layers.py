"""The layers convcost knows, and what each one costs.

A layer is a frozen dataclass holding its hyper-parameters; the input shape comes from the
walker. ``KIND_COST`` maps each :class:`LayerKind` to the function that validates the layer
against its input and returns its :class:`Cost` from the formulas in ``formulas.py``. This
module is the adapter between those pure formulas and concrete layers, the way fvcore's
``conv_flop_jit`` only extracts shapes for ``conv_flop_count``. A kind with no entry is an
error, never a silent zero.

Shapes are ``(H, W, C)``; a fully connected layer sees ``(1, 1, features)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Literal

from convcost import formulas
from convcost.errors import ConvcostError
from convcost.formulas import Count

Shape = tuple[Count, Count, Count]
Pair = tuple[int, int]
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
    # Layers that merge the outputs of several paths; the walker checks their inputs agree.
    ADD = "add"
    CONCAT = "concat"
    MULTIPLY = "multiply"


@dataclass(frozen=True, slots=True)
class Cost:
    """What one layer costs on a given input: exact counts and its output shape."""

    output: Shape
    params: Count = 0
    buffers: Count = 0
    macs: Count = 0


@dataclass(frozen=True, slots=True)
class Conv2d:
    """A grouped 2-D convolution; standard, depthwise and pointwise are its special cases."""

    cout: int
    k: Pair = (3, 3)
    stride: Pair = (1, 1)
    padding: Padding = "same"
    dilation: Pair = (1, 1)
    groups: int = 1
    bias: bool = False
    kind: LayerKind = LayerKind.CONV2D

    def category(self, cin: Count) -> str:
        """The row label of MobileNet's Table 2: ``Conv 3x3``, ``Conv DW 3x3``, ``Conv 1x1``."""
        kernel = f"{self.k[0]}x{self.k[1]}"
        if self.groups == 1:
            return f"Conv {kernel}"
        if self.groups == cin and self.cout % self.groups == 0:
            return f"Conv DW {kernel}"
        return f"Conv G{self.groups} {kernel}"


@dataclass(frozen=True, slots=True)
class Linear:
    """A fully connected layer over the flattened input."""

    fout: int
    bias: bool = True
    kind: LayerKind = LayerKind.LINEAR


@dataclass(frozen=True, slots=True)
class BatchNorm:
    """Batch normalisation over the channels: 2C params (gamma, beta), 2C buffers."""

    kind: LayerKind = LayerKind.BATCHNORM


@dataclass(frozen=True, slots=True)
class Activation:
    """An element-wise non-linearity (relu, relu6, hswish, sigmoid, ...): free by convention."""

    function: str = "relu"
    kind: LayerKind = LayerKind.ACTIVATION


@dataclass(frozen=True, slots=True)
class Pool:
    """Max or average pooling over a window; no params, no MACs by convention."""

    kind: LayerKind
    k: Pair = (2, 2)
    stride: Pair = (2, 2)
    padding: Padding = (0, 0)


@dataclass(frozen=True, slots=True)
class GlobalPool:
    """Global max or average pooling: (H, W, C) -> (1, 1, C)."""

    kind: LayerKind = LayerKind.GLOBAL_AVGPOOL


@dataclass(frozen=True, slots=True)
class AdaptivePool:
    """PyTorch's ``AdaptiveAvgPool2d(size)``: any (H, W, C) -> (size_h, size_w, C)."""

    size: Pair = (1, 1)
    kind: LayerKind = LayerKind.ADAPTIVE_AVGPOOL


@dataclass(frozen=True, slots=True)
class Flatten:
    """(H, W, C) -> (1, 1, H*W*C)."""

    kind: LayerKind = LayerKind.FLATTEN


@dataclass(frozen=True, slots=True)
class Dropout:
    """Dropout: the identity at inference, listed so the table reads like the network."""

    p: float = 0.5
    kind: LayerKind = LayerKind.DROPOUT


@dataclass(frozen=True, slots=True)
class ChannelShuffle:
    """ShuffleNet's channel shuffle: a permutation of channels, free."""

    groups: int = 2
    kind: LayerKind = LayerKind.CHANNEL_SHUFFLE


@dataclass(frozen=True, slots=True)
class Merge:
    """Where paths meet: ``add`` (residual), ``concat`` (channels), ``multiply`` (SE scale).

    The walker computes the merged shape and checks the paths agree; the merge itself is free.
    """

    kind: LayerKind = LayerKind.ADD


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
    | Merge
)


# --- costs ----------------------------------------------------------------------------------


def _known(*values: Count) -> bool:
    """True when every value is a concrete int, so it can be checked against limits."""
    return all(isinstance(v, int) for v in values)


def _window_output(
    size: Count,
    k: int,
    stride: int,
    padding: Padding,
    axis: int,
    dilation: int = 1,
    what: str = "kernel",
) -> Count:
    """Output length along ``axis`` (0 = H, 1 = W), checking the window fits the padded input."""
    if padding == "same":
        return formulas.same_output_size(size, stride)
    pad = 0 if padding == "valid" else padding[axis]
    span = dilation * (k - 1) + 1
    if _known(size) and size + 2 * pad < span:
        name = "H" if axis == 0 else "W"
        dilated = f" (dilated {span})" if span != k else ""
        raise ConvcostError(
            f"{what} {k}{dilated} is larger than the input {name}={size} padded by {pad} on "
            f"each side",
            field="k",
        )
    return formulas.conv_output_size(size, k, stride, pad, dilation)


def _conv2d_cost(layer: Conv2d, shape: Shape) -> Cost:
    h, w, cin = shape
    if _known(cin) and cin % layer.groups:
        raise ConvcostError(f"{layer.groups} does not divide cin={cin}", field="groups")
    if layer.cout % layer.groups:
        raise ConvcostError(f"{layer.groups} does not divide cout={layer.cout}", field="groups")
    hout = _window_output(h, layer.k[0], layer.stride[0], layer.padding, 0, layer.dilation[0])
    wout = _window_output(w, layer.k[1], layer.stride[1], layer.padding, 1, layer.dilation[1])
    kh, kw = layer.k
    return Cost(
        output=(hout, wout, layer.cout),
        params=formulas.conv_params(cin, layer.cout, kh, kw, layer.groups, layer.bias),
        macs=formulas.conv_macs(hout, wout, cin, layer.cout, kh, kw, layer.groups),
    )


def _linear_cost(layer: Linear, shape: Shape) -> Cost:
    h, w, fin = shape
    # PyTorch's Linear acts on the last axis and repeats over the others (h*w positions).
    return Cost(
        output=(h, w, layer.fout),
        params=formulas.linear_params(fin, layer.fout, layer.bias),
        macs=h * w * formulas.linear_macs(fin, layer.fout),
    )


def _batchnorm_cost(layer: BatchNorm, shape: Shape) -> Cost:
    c = shape[2]
    return Cost(
        output=shape, params=formulas.batchnorm_params(c), buffers=formulas.batchnorm_buffers(c)
    )


def _pool_cost(layer: Pool, shape: Shape) -> Cost:
    """PyTorch's MaxPool2d and AvgPool2d refuse padding above half the window."""
    h, w, c = shape
    if isinstance(layer.padding, tuple):
        for pad, k in zip(layer.padding, layer.k, strict=True):
            if 2 * pad > k:
                raise ConvcostError(
                    f"{pad} is more than half the {layer.k[0]}x{layer.k[1]} window "
                    "(PyTorch refuses it)",
                    field="padding",
                )
    hout = _window_output(h, layer.k[0], layer.stride[0], layer.padding, 0, what="window")
    wout = _window_output(w, layer.k[1], layer.stride[1], layer.padding, 1, what="window")
    return Cost(output=(hout, wout, c))


def _global_pool_cost(layer: GlobalPool, shape: Shape) -> Cost:
    return Cost(output=(1, 1, shape[2]))


def _adaptive_pool_cost(layer: AdaptivePool, shape: Shape) -> Cost:
    return Cost(output=(layer.size[0], layer.size[1], shape[2]))


def _flatten_cost(layer: Flatten, shape: Shape) -> Cost:
    h, w, c = shape
    return Cost(output=(1, 1, h * w * c))


def _shuffle_cost(layer: ChannelShuffle, shape: Shape) -> Cost:
    if _known(shape[2]) and shape[2] % layer.groups:
        raise ConvcostError(
            f"{layer.groups} does not divide the {shape[2]} channels", field="groups"
        )
    return Cost(output=shape)


def _free(layer: Activation | Dropout | Merge, shape: Shape) -> Cost:
    return Cost(output=shape)


KIND_COST: dict[LayerKind, Callable[..., Cost]] = {
    LayerKind.CONV2D: _conv2d_cost,
    LayerKind.LINEAR: _linear_cost,
    LayerKind.BATCHNORM: _batchnorm_cost,
    LayerKind.ACTIVATION: _free,
    LayerKind.MAXPOOL: _pool_cost,
    LayerKind.AVGPOOL: _pool_cost,
    LayerKind.GLOBAL_AVGPOOL: _global_pool_cost,
    LayerKind.GLOBAL_MAXPOOL: _global_pool_cost,
    LayerKind.ADAPTIVE_AVGPOOL: _adaptive_pool_cost,
    LayerKind.FLATTEN: _flatten_cost,
    LayerKind.DROPOUT: _free,
    LayerKind.CHANNEL_SHUFFLE: _shuffle_cost,
    LayerKind.ADD: _free,
    LayerKind.CONCAT: _free,
    LayerKind.MULTIPLY: _free,
}


def cost(layer: Layer, shape: Shape) -> Cost:
    """Validate ``layer`` on an input of ``shape`` and return what it costs."""
    try:
        rule = KIND_COST[layer.kind]
    except KeyError:
        raise ConvcostError(f"no cost rule for layer kind {layer.kind.value!r}") from None
    return rule(layer, shape)


def category(layer: Layer, shape: Shape) -> str:
    """The row a layer joins in the breakdown by type (MobileNet Table 2's rows)."""
    if isinstance(layer, Conv2d):
        return layer.category(shape[2])
    if isinstance(layer, Linear):
        return "Fully connected"
    labels = {
        LayerKind.BATCHNORM: "BatchNorm",
        LayerKind.ACTIVATION: "Activation",
        LayerKind.MAXPOOL: "Pooling",
        LayerKind.AVGPOOL: "Pooling",
        LayerKind.GLOBAL_AVGPOOL: "Pooling",
        LayerKind.GLOBAL_MAXPOOL: "Pooling",
        LayerKind.ADAPTIVE_AVGPOOL: "Pooling",
    }
    return labels.get(layer.kind, "Other")
