"""Reference counts for issue 14's norms, PReLU, layer scale and ceil_mode pooling, and for the
shipped squeezenet1_1 and convnext_tiny.

Run with a PyTorch environment (not needed by the test suite)::

    python tests/reference/make_norms_pools.py > tests/reference/norms_pools.json

Everything is counted by PyTorch itself, independently of convcost:

- ``models``: torchvision's squeezenet1_1 at resolutions 224, 225, 227 and 231 and
  convnext_tiny at 224, each in eval mode on one 1 x 3 x R x R input. Params from
  ``parameters()``; buffers as the norms' running mean and variance (none in either model);
  MACs from forward hooks on every ``Conv2d`` and ``Linear`` that read the module's own
  attributes and its output's shape:

  - Conv2d: output elements (Cout * Hout * Wout) * (Cin / groups) * Kh * Kw
  - Linear: output elements * in_features (one output row per position)

  Bias adds, norms, activations, pooling, the layer scale and the residual adds are not MACs
  (docs/spec.md). ``layers`` lists every Conv2d and Linear as [kind, params, MACs] in forward
  order; a Linear that runs on more than one position (ConvNeXt's block MLP, on the
  channels-last tensor) is listed as "conv", because the spec writes it as the 1x1 conv with
  bias that it equals in params and MACs. ``shapes`` lists the output [H, W, C] of every
  MaxPool2d in forward order (SqueezeNet's ceil_mode pools).
- ``pools``: output sizes of ``nn.MaxPool2d`` and ``nn.AvgPool2d`` with ``ceil_mode=True``
  (and ``count_include_pad=False`` for the average pool, which must not change them) on a
  grid of input sizes, windows, strides and paddings, including windows larger than the
  padded input; ``null`` where PyTorch refuses the configuration (output size too small).
- ``norms``: params and buffers of nn.LayerNorm, nn.GroupNorm, nn.InstanceNorm2d and
  nn.PReLU for their options, as PyTorch builds them (num_batches_tracked, a step counter
  and not a statistic, is not counted, as for BatchNorm).
"""

from __future__ import annotations

import itertools
import json
import sys
import types
from typing import Any

import torch
from torch import nn

# torchvision's compiled ops do not load in this environment; the models need none of them.
sys.modules["torchvision._meta_registrations"] = types.ModuleType("torchvision._meta_registrations")
import torchvision  # noqa: E402

_STATS = (nn.BatchNorm2d, nn.InstanceNorm2d)


def _buffers(model: nn.Module) -> int:
    return sum(
        m.running_mean.numel() + m.running_var.numel()
        for m in model.modules()
        if isinstance(m, _STATS) and m.running_mean is not None
    )


def _count(model: nn.Module, resolution: int) -> dict[str, Any]:
    model.eval()
    layers: list[list[Any]] = []
    shapes: list[list[int]] = []

    def record(module: nn.Module, inputs: Any, output: torch.Tensor) -> None:
        params = sum(p.numel() for p in module.parameters(recurse=False))
        if isinstance(module, nn.Conv2d):
            kh, kw = module.kernel_size
            per_output = (module.in_channels // module.groups) * kh * kw
            layers.append(["conv", params, output[0].numel() * per_output])
        elif isinstance(module, nn.Linear):
            positions = output[0].numel() // module.out_features
            kind = "conv" if positions > 1 else "linear"
            layers.append([kind, params, output[0].numel() * module.in_features])
        else:
            _, c, h, w = output.shape
            shapes.append([h, w, c])

    handles = [
        module.register_forward_hook(record)
        for module in model.modules()
        if isinstance(module, nn.Conv2d | nn.Linear | nn.MaxPool2d)
    ]
    with torch.no_grad():
        model(torch.zeros(1, 3, resolution, resolution))
    for handle in handles:
        handle.remove()
    return {
        "params": sum(p.numel() for p in model.parameters()),
        "buffers": _buffers(model),
        "macs": sum(macs for _, _, macs in layers),
        "layers": layers,
        "shapes": shapes,
    }


def _models() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for resolution in (224, 225, 227, 231):
        out[f"squeezenet1_1@{resolution}"] = _count(torchvision.models.squeezenet1_1(), resolution)
    out["convnext_tiny@224"] = _count(torchvision.models.convnext_tiny(), 224)
    return out


def _pool_size(pool: nn.Module, size: int) -> int | None:
    try:
        with torch.no_grad():
            return int(pool(torch.zeros(1, 1, size, size)).shape[-1])
    except RuntimeError:
        return None


def _pools() -> list[list[Any]]:
    """[size, k, stride, padding, max output, avg output] over a grid."""
    rows = []
    for size, k, stride in itertools.product(range(1, 13), range(1, 6), range(1, 5)):
        for padding in range(k // 2 + 1):
            maxpool = nn.MaxPool2d(k, stride, padding, ceil_mode=True)
            avgpool = nn.AvgPool2d(k, stride, padding, ceil_mode=True, count_include_pad=False)
            rows.append(
                [size, k, stride, padding, _pool_size(maxpool, size), _pool_size(avgpool, size)]
            )
    return rows


def _counted(module: nn.Module) -> list[int]:
    return [sum(p.numel() for p in module.parameters()), _buffers(module)]


def _norms() -> dict[str, list[int]]:
    c = 12
    out: dict[str, list[int]] = {}
    for affine, bias in itertools.product((True, False), (True, False)):
        out[f"layernorm affine={affine} bias={bias}"] = _counted(
            nn.LayerNorm(c, elementwise_affine=affine, bias=bias)
        )
    for groups, affine in itertools.product((1, 3, 12), (True, False)):
        out[f"groupnorm groups={groups} affine={affine}"] = _counted(
            nn.GroupNorm(groups, c, affine=affine)
        )
    for affine, track in itertools.product((True, False), (True, False)):
        out[f"instancenorm affine={affine} track_running_stats={track}"] = _counted(
            nn.InstanceNorm2d(c, affine=affine, track_running_stats=track)
        )
    for n in (1, c):
        out[f"prelu num_parameters={n}"] = _counted(nn.PReLU(n))
    return out


def main() -> None:
    result = {
        "source": f"torchvision {torchvision.__version__}, torch {torch.__version__}",
        "models": _models(),
        "pools": _pools(),
        "norms": _norms(),
    }
    json.dump(result, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
