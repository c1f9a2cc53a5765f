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

LayerNorm, GroupNorm, InstanceNorm, PReLU and the layer scale (issue 14; docs/peers.md, edge
cases): thop 2 per normalised element of an ``nn.LayerNorm`` or ``nn.InstanceNorm2d`` module
(4 with an affine transform; none for ``nn.GroupNorm`` or a subclass such as ``LayerNorm2d``)
and one per PReLU element; ptflops one per element of each norm module (two for GroupNorm and
InstanceNorm with ``affine``), PReLU twice as a module; fvcore 5 per normalised element with an
affine weight, 4 without; torchinfo their parameters; torchprofile the elements of a norm with
an affine weight and the layer scale's products.

Transposed convolutions and upsampling (issue 14; measured on FCN-ResNet50, U-Net and single
layers by tests/reference/make_decoders.py): fvcore, ptflops and ptflops-aten count a
``ConvTranspose2d`` per input position as convcost does (ptflops with its bias); thop and
torchinfo per output position, as a convolution (torchinfo with its bias); torchprofile per
output position too, but without the division by the groups when Cin != Cout. Upsampling:
thop 1 (nearest) or 11 (bilinear) per output element of an ``nn.Upsample`` module; ptflops
one per output element per module hook and per ``F.interpolate`` (a module counts twice);
fvcore 1 (nearest) or 4 (bilinear), torchprofile 4 (bilinear) per output element, however
called. Pixel shuffle and zero padding count zero everywhere.

A preset is a rule over terms, never a table of models: how a global pool is written
(``call: module|functional|mean`` on the spec entry) is the one fact about a model's code the
spec states, because the hook-based tools see only modules.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import NamedTuple

from convcost.formulas import CONVENTION, Count

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
        return named | {**CONVENTION, "macs": self.macs}


def _pool(op: str, call: str, end: str) -> str:
    return f"pool.{op}{'.functional' if call == 'functional' else ''}.{end}"


def _norm(op: str, affine: bool, call: str = "module") -> str:
    """The term of a LayerNorm, GroupNorm or InstanceNorm (``layers._norm_cost``)."""
    return f"norm.{op}{'.affine' if affine else ''}{'.functional' if call == 'functional' else ''}"


NORMS = ("layer", "group", "instance")
_CALLS = ("module", "functional")

_MACS = {"conv": 1, "linear": 1}

EXACT = Convention(
    "exact",
    "multiply-accumulates of convolution and linear layers; bias adds are not MACs",
    {**_MACS, "conv_transpose": 1},
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
        # count_convNd on a ConvTranspose2d: output elements x (Cin/G) x Kh x Kw;
        # count_upsample: 1 (nearest) or 11 (bilinear) per output element of nn.Upsample.
        "conv_transpose.out": 1,
        "upsample.nearest.out": 1,
        "upsample.bilinear.out": 11,
        # count_normalization: 2 per element, doubled with an affine transform, for the
        # module types nn.LayerNorm and nn.InstanceNorm2d only (no hook for nn.GroupNorm, nor
        # for a subclass such as LayerNorm2d); count_prelu: one per element.
        **{
            _norm(op, affine): 4 if affine else 2
            for op in ("layer", "instance")
            for affine in (False, True)
        },
        "act.prelu": 1,
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
        # conv_flops_counter_hook(transpose=True): per input position; nn.Upsample's hook
        # and the patched F.interpolate it calls: one per output element each.
        "conv_transpose": 1,
        **{f"upsample.{mode}.out": 2 for mode in ("nearest", "bilinear")},
        **{f"upsample.{mode}.functional.out": 1 for mode in ("nearest", "bilinear")},
        # bn_flops_counter_hook on the norm module types: one per element, two when the
        # module's ``affine`` is set (LayerNorm's is ``elementwise_affine``: always one);
        # nn.PReLU: its hook and the patched F.prelu it calls.
        **{
            _norm(op, affine): 2 if affine and op != "layer" else 1
            for op in NORMS
            for affine in (False, True)
        },
        "act.prelu": 2,
        "act.prelu.functional": 1,
    },
)

PTFLOPS_ATEN = Convention(
    "ptflops-aten",
    "ptflops 0.7.5 (aten backend): conv and linear MACs and their bias adds",
    {**_MACS, "bias": 1, "conv_transpose": 1},
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
        # conv_flop_count(transposed=True): per input position; aten::upsample_nearest2d
        # and aten::upsample_bilinear2d: 1 and 4 per output element, however called.
        "conv_transpose": 1,
        **{f"upsample.nearest{call}.out": 1 for call in ("", ".functional")},
        **{f"upsample.bilinear{call}.out": 4 for call in ("", ".functional")},
        # norm_flop_counter: aten::layer_norm, group_norm, instance_norm, 5 per element with
        # an affine weight, else 4, however the code calls them.
        **{
            _norm(op, affine, call): 5 if affine else 4
            for op in NORMS
            for affine in (False, True)
            for call in _CALLS
        },
    },
)

TORCHINFO = Convention(
    "torchinfo",
    "torchinfo 1.8.0 mult-adds: conv and linear MACs, bias adds, BatchNorm gamma and beta",
    # A ConvTranspose2d is a "Conv" class to torchinfo: its params times output positions.
    # The norms' and nn.PReLU's parameters are "weight" and "bias" of a leaf module: times
    # the batch, as BatchNorm's. A layer scale's gamma is not named so: 0.
    {
        **_MACS,
        "bias": 1,
        "bn_params": 1,
        "conv_transpose.out": 1,
        "norm_params": 1,
        "prelu_params": 1,
    },
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
        # aten::_convolution: output elements x Kh x Kw x the weight's Cin axis as it reads
        # it; aten::upsample_bilinear2d: 4 per output element (nearest is a zero-cost op).
        "conv_transpose.out": 1,
        "conv_transpose.out.ungrouped": 1,
        **{f"upsample.bilinear{call}.out": 4 for call in ("", ".functional")},
        # _norm: output elements with an affine weight, else 0; aten::mul: a layer scale.
        **{_norm(op, True, call): 1 for op in NORMS for call in _CALLS},
        "layer_scale": 1,
    },
)

CONVENTIONS: dict[ConventionName, Convention] = {
    ConventionName(c.name): c
    for c in (EXACT, THOP, PTFLOPS, PTFLOPS_ATEN, FVCORE, TORCHINFO, TORCHPROFILE)
}


def convention(name: ConventionName | str) -> Convention:
    """The preset called ``name``."""
    return CONVENTIONS[ConventionName(name)]
