"""Conventions: how a layer's named cost terms add up to the MACs a report prints.

Every peer counts convolution and linear MACs as convcost does; they differ in what they add
on top (docs/peers.md). A :class:`Convention` is a weight per cost term (``layers.TERMS``):
MACs = sum(weight * term). ``exact`` is convcost's own count (conv and linear only); each
other preset reproduces one tool's number from the spec alone, rule by rule, from its source:

- ``thop`` 0.1.1: 4 per BatchNorm element (2 for the normalisation, doubled for the affine);
  ``nn.AdaptiveAvgPool2d`` counts (in/out + 1) per output element, i.e. its input plus output
  elements; ``nn.AvgPool2d`` one per output element; ``nn.LeakyReLU`` one per element; ReLU,
  ReLU6, max pooling and anything without a module hook (SiLU, Hardswish, Sigmoid, adds,
  products, functional calls, ``x.mean``) zero. No bias adds.
- ``ptflops`` 0.7.5, pytorch backend: bias adds; 2 per BatchNorm element; one per element of
  ReLU, ReLU6, LeakyReLU, GELU (module hooks) and of ReLU, ReLU6, SiLU, GELU called
  functionally (patched ``torch.nn.functional``); pooling counts its input elements.
  ``nn.ReLU``, ``nn.GELU`` and the pooling modules call the patched functions, so they count
  twice; ``nn.ReLU6`` calls ``F.hardtanh`` (not patched) and ``nn.SiLU`` has no module hook,
  so each counts once. Hardswish, Hardsigmoid, Sigmoid, Tanh, adds, products and ``x.mean``
  count zero.
- ``ptflops-aten``: the aten backend counts convolution and matrix products with their bias.
- ``fvcore`` 0.1.5: 2 per BatchNorm element (eval, affine); ``aten::adaptive_avg_pool2d`` one
  per input element, however it was called; no bias adds, and no handler (zero) for max and
  windowed average pooling, activations, adds, products and ``aten::mean``.
- ``torchinfo`` 1.8.0: parameters times output positions for convolutions (MACs plus bias
  adds), parameters times batch for every other layer (linear MACs and bias, BatchNorm's 2C).
- ``torchprofile`` 0.1.0: one per BatchNorm output element; one per output element of every
  average pool and ``mean``; one per element of a product (squeeze-excite) and of LeakyReLU;
  no bias adds. It reads the traced graph, so a functional call counts as its module does.

A preset is a rule over terms, never a table of models: how a global pool is written
(``call: module|functional|mean`` on the spec entry) is the one fact about a model's code the
spec states, because the hook-based tools see only modules.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import NamedTuple

from convcost.formulas import Count

POOLS = ("max", "avg", "adaptive_avg", "adaptive_max")


class ConventionName(str, enum.Enum):
    """The conventions ``--convention`` takes."""

    EXACT = "exact"
    THOP = "thop"
    PTFLOPS = "ptflops"
    PTFLOPS_ATEN = "ptflops-aten"
    FVCORE = "fvcore"
    TORCHINFO = "torchinfo"
    TORCHPROFILE = "torchprofile"


class Convention(NamedTuple):
    """MACs = sum over terms of weight * term; FLOPs = 2 * MACs. (A named tuple: the CLI
    imports this module at every start, and a dataclass costs five times more to create.)"""

    name: str
    macs: str  # what the MACs include, in words (every report states it)
    weights: Mapping[str, int]

    def project(self, terms: Mapping[str, Count]) -> Count:
        """The MACs of one layer's terms under this convention."""
        weights = self.weights
        total: Count = 0
        for term, value in terms.items():
            weight = weights.get(term, 0)
            if weight:
                total += weight * value
        return total

    def describe(self) -> dict[str, str]:
        """The convention as every report states it (JSON's ``convention``); a preset
        leads with its ``name``, convcost's own count keeps the keys it always had."""
        named = {} if self.name == "exact" else {"name": self.name}
        return named | {
            "macs": self.macs,
            "flops": "2 * MACs (papers such as MobileNet and ResNet print MACs as 'FLOPs' or "
            "'mult-adds')",
            "params": "trainable parameters: weights, biases, BatchNorm gamma and beta",
            "buffers": "BatchNorm running mean and variance (Keras: non-trainable params)",
            "output_size": "floor((H + 2P - D(K-1) - 1)/S) + 1 (PyTorch); 'same' = ceil(H/S) "
            "(TensorFlow)",
        }


def _pool(op: str, call: str, end: str) -> str:
    return f"pool.{op}{'.functional' if call == 'functional' else ''}.{end}"


_MACS = {"conv": 1, "linear": 1}

EXACT = Convention(
    "exact", "multiply-accumulates of convolution and linear layers; bias adds are not MACs", _MACS
)

THOP = Convention(
    "thop",
    "thop 0.1.1: conv and linear MACs, 4 per BatchNorm element, input + output elements of "
    "adaptive average-pool modules, output elements of average-pool modules, LeakyReLU elements",
    {
        **_MACS,
        "bn": 4,
        _pool("adaptive_avg", "module", "in"): 1,
        _pool("adaptive_avg", "module", "out"): 1,
        _pool("avg", "module", "out"): 1,
        "act.leaky_relu": 1,
    },
)

PTFLOPS = Convention(
    "ptflops",
    "ptflops 0.7.5 (pytorch backend): conv and linear MACs, bias adds, 2 per BatchNorm "
    "element, ReLU/ReLU6/LeakyReLU/GELU elements per module hook and ReLU/ReLU6/SiLU/GELU per "
    "functional call (nn.ReLU, nn.GELU: both), pooling input elements per module hook and per "
    "functional call (modules: both)",
    {
        **_MACS,
        "bias": 1,
        "bn": 2,
        "act.relu": 2,
        "act.relu6": 1,
        "act.leaky_relu": 1,
        "act.silu": 1,
        "act.swish": 1,
        "act.gelu": 2,
        **{f"act.{f}.functional": 1 for f in ("relu", "relu6", "silu", "swish", "gelu")},
        **{_pool(op, "module", "in"): 2 for op in POOLS},
        **{_pool(op, "functional", "in"): 1 for op in POOLS},
    },
)

PTFLOPS_ATEN = Convention(
    "ptflops-aten",
    "ptflops 0.7.5 (aten backend): conv and linear MACs and their bias adds",
    {**_MACS, "bias": 1},
)

FVCORE = Convention(
    "fvcore",
    "fvcore 0.1.5: conv and linear MACs, 2 per BatchNorm element, input elements of "
    "adaptive average pooling (module or functional; not x.mean)",
    {
        **_MACS,
        "bn": 2,
        _pool("adaptive_avg", "module", "in"): 1,
        _pool("adaptive_avg", "functional", "in"): 1,
    },
)

TORCHINFO = Convention(
    "torchinfo",
    "torchinfo 1.8.0 mult-adds: conv and linear MACs, bias adds, BatchNorm gamma and beta",
    {**_MACS, "bias": 1, "bn_params": 1},
)

TORCHPROFILE = Convention(
    "torchprofile",
    "torchprofile 0.1.0: conv and linear MACs, BatchNorm output elements, output elements of "
    "every average pool and mean, elementwise products, LeakyReLU elements",
    {
        **_MACS,
        "bn": 1,
        **{
            _pool(op, call, "out"): 1
            for op in ("avg", "adaptive_avg")
            for call in ("module", "functional")
        },
        "pool.mean.out": 1,
        "multiply": 1,
        "act.leaky_relu": 1,
        "act.leaky_relu.functional": 1,
    },
)

CONVENTIONS: dict[ConventionName, Convention] = {
    ConventionName(c.name): c
    for c in (EXACT, THOP, PTFLOPS, PTFLOPS_ATEN, FVCORE, TORCHINFO, TORCHPROFILE)
}


def convention(name: ConventionName | str) -> Convention:
    """The preset called ``name``."""
    return CONVENTIONS[ConventionName(name)]
