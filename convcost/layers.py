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
from dataclasses import dataclass, field
from enum import Enum
from typing import Literal

from convcost import formulas
from convcost.conventions import EXACT
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
    "conv": "multiply-accumulates of a convolution: Hout*Wout*Cout*(Cin/groups)*Kh*Kw",
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
}


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
    call: Call | None = None  # None: as the spec's defaults say, else a module
    kind: LayerKind = LayerKind.ACTIVATION


@dataclass(frozen=True, slots=True)
class Pool:
    """Max or average pooling over a window; no params, no MACs by convention."""

    kind: LayerKind
    k: Pair = (2, 2)
    stride: Pair = (2, 2)
    padding: Padding = (0, 0)
    call: Call | None = None


@dataclass(frozen=True, slots=True)
class GlobalPool:
    """Global max or average pooling: (H, W, C) -> (1, 1, C)."""

    kind: LayerKind = LayerKind.GLOBAL_AVGPOOL
    call: Call | None = None


@dataclass(frozen=True, slots=True)
class AdaptivePool:
    """PyTorch's ``AdaptiveAvgPool2d(size)``: any (H, W, C) -> (size_h, size_w, C)."""

    size: Pair = (1, 1)
    call: Call | None = None
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
    terms = {"conv": formulas.conv_macs(hout, wout, cin, layer.cout, kh, kw, layer.groups)}
    if layer.bias:
        terms["bias"] = hout * wout * layer.cout
    return Cost(
        output=(hout, wout, layer.cout),
        params=formulas.conv_params(cin, layer.cout, kh, kw, layer.groups, layer.bias),
        terms=terms,
    )


def _linear_cost(layer: Linear, shape: Shape) -> Cost:
    h, w, fin = shape
    # PyTorch's Linear acts on the last axis and repeats over the others (h*w positions).
    terms = {"linear": h * w * formulas.linear_macs(fin, layer.fout)}
    if layer.bias:
        terms["bias"] = h * w * layer.fout
    return Cost(
        output=(h, w, layer.fout),
        params=formulas.linear_params(fin, layer.fout, layer.bias),
        terms=terms,
    )


def _batchnorm_cost(layer: BatchNorm, shape: Shape) -> Cost:
    h, w, c = shape
    params = formulas.batchnorm_params(c)
    return Cost(
        output=shape,
        params=params,
        buffers=formulas.batchnorm_buffers(c),
        terms={"bn": h * w * c, "bn_params": params},
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
    h, w, c = shape
    return h * w * c


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
    op = "max" if layer.kind is LayerKind.MAXPOOL else "avg"
    return _pooled(op, layer.call, shape, (hout, wout, c))


def _global_pool_cost(layer: GlobalPool, shape: Shape) -> Cost:
    """Global pooling is PyTorch's AdaptiveAvgPool2d(1) (or AdaptiveMaxPool2d(1))."""
    op = "adaptive_max" if layer.kind is LayerKind.GLOBAL_MAXPOOL else "adaptive_avg"
    return _pooled(op, layer.call, shape, (1, 1, shape[2]))


def _adaptive_pool_cost(layer: AdaptivePool, shape: Shape) -> Cost:
    return _pooled("adaptive_avg", layer.call, shape, (layer.size[0], layer.size[1], shape[2]))


def _flatten_cost(layer: Flatten, shape: Shape) -> Cost:
    h, w, c = shape
    return Cost(output=(1, 1, h * w * c))


def _shuffle_cost(layer: ChannelShuffle, shape: Shape) -> Cost:
    if _known(shape[2]) and shape[2] % layer.groups:
        raise ConvcostError(
            f"{layer.groups} does not divide the {shape[2]} channels", field="groups"
        )
    return Cost(output=shape)


def _free(layer: Dropout, shape: Shape) -> Cost:
    return Cost(output=shape)


def _merge_cost(layer: Merge, shape: Shape) -> Cost:
    """Where paths meet: the merged tensor's elements, one add or multiply each."""
    return Cost(output=shape, terms={layer.kind.value: _elements(shape)})


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
    LayerKind.ADD: _merge_cost,
    LayerKind.CONCAT: _merge_cost,
    LayerKind.MULTIPLY: _merge_cost,
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
