"""Reference counts for RegNetY-400MF, ResNeXt-50 32x4d and Wide ResNet-50-2 (issue 14).

Run with a PyTorch environment (not needed by the test suite)::

    python tests/reference/make_regnet_resnext.py > tests/reference/regnet_resnext.json

Counts each torchvision model independently of convcost: params from ``parameters()``,
buffers as BatchNorm running mean and variance (``num_batches_tracked`` is a step counter,
not a statistic, and convcost does not count it), and MACs from forward hooks on every
``Conv2d`` and ``Linear`` that read the module's own attributes and its output's shape:

- Conv2d: output elements (Cout * Hout * Wout) * (Cin / groups) * Kh * Kw
- Linear: output elements * in_features (one output row per position)

Bias adds, BatchNorm, activations, pooling and the squeeze-excite multiply are not MACs
(docs/spec.md). Each model runs once on a 1x3x224x224 input in eval mode.

``layers`` lists every Conv2d, BatchNorm2d and Linear with [kind, params, MACs], in the order
convcost's walker reaches them: forward order, except that a RegNet block's projection
shortcut (``proj``), which torchvision's ``ResBottleneckBlock.forward`` runs before the
block's transform ``f``, is listed after it, because convcost walks a residual's layers before
its shortcut (the costs are the same in either order). ResNet's ``downsample`` already runs
after the block's convolutions.
"""

from __future__ import annotations

import json
import re
import sys
import types
from typing import Any

import torch
from torch import nn

# torchvision's compiled ops do not load in this environment; the models need none of them.
sys.modules["torchvision._meta_registrations"] = types.ModuleType("torchvision._meta_registrations")
import torchvision  # noqa: E402

MODELS = ("regnet_y_400mf", "resnext50_32x4d", "wide_resnet50_2")


def _count(model: nn.Module) -> dict[str, Any]:
    model.eval()
    seen: list[tuple[str, str, int, int]] = []  # (module name, kind, params, MACs)

    def hook(name: str) -> Any:
        def record(module: nn.Module, inputs: Any, output: torch.Tensor) -> None:
            params = sum(p.numel() for p in module.parameters(recurse=False))
            if isinstance(module, nn.Conv2d):
                kh, kw = module.kernel_size
                per_output = (module.in_channels // module.groups) * kh * kw
                macs = output[0].numel() * per_output
                seen.append((name, "conv", params, macs))
            elif isinstance(module, nn.Linear):
                seen.append((name, "linear", params, output[0].numel() * module.in_features))
            else:
                seen.append((name, "bn", params, 0))

        return record

    handles = [
        module.register_forward_hook(hook(name))
        for name, module in model.named_modules()
        if isinstance(module, nn.Conv2d | nn.Linear | nn.BatchNorm2d)
    ]
    with torch.no_grad():
        model(torch.zeros(1, 3, 224, 224))
    for handle in handles:
        handle.remove()
    buffers = sum(
        m.running_mean.numel() + m.running_var.numel()
        for m in model.modules()
        if isinstance(m, nn.BatchNorm2d)
    )
    ordered = _walk_order(seen)
    return {
        "params": sum(p.numel() for p in model.parameters()),
        "buffers": buffers,
        "macs": sum(macs for _, _, _, macs in seen),
        "conv_macs": sum(macs for _, kind, _, macs in seen if kind == "conv"),
        "linear_macs": sum(macs for _, kind, _, macs in seen if kind == "linear"),
        "bn_params": sum(params for _, kind, params, _ in seen if kind == "bn"),
        "layers": [[kind, params, macs] for _, kind, params, macs in ordered],
        "names": [name for name, _, _, _ in ordered],
    }


def _walk_order(seen: list[tuple[str, str, int, int]]) -> list[tuple[str, str, int, int]]:
    """Move each RegNet block's ``proj`` layers after the block's other layers."""
    out: list[tuple[str, str, int, int]] = []
    held: list[tuple[str, str, int, int]] = []
    block = None
    for row in seen:
        name = row[0]
        prefix = name.rsplit(".proj", 1)[0] if ".proj" in name else None
        here = name.split(".f.")[0] if ".f." in name else prefix
        if held and here != block:
            out += held
            held = []
        if prefix is not None:
            held.append(row)
            block = prefix
        else:
            out.append(row)
    return out + held


def main() -> None:
    result = {
        "source": f"torchvision {torchvision.__version__}, torch {torch.__version__}",
        "models": {name: _count(getattr(torchvision.models, name)()) for name in MODELS},
    }
    # One layer (or name) a line: readable in a diff, a tenth of the lines of indent=1.
    text = json.dumps(result, indent=1)
    text = re.sub(r"\[\n\s+(\"\w+\"),\n\s+(\d+),\n\s+(\d+)\n\s+\]", r"[\1, \2, \3]", text)
    sys.stdout.write(text + "\n")


if __name__ == "__main__":
    main()
