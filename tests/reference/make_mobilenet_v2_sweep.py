"""Reference counts of torchvision's MobileNetV2 at the 25 variants of the official release.

Writes tests/reference/mobilenet_v2_sweep.json, which tests/test_sweep.py compares with
``sweep(mobilenet_v2, alphas, resolutions)`` and ``convcost sweep mobilenet_v2``. Run it once
with PyTorch and torchvision installed (not a dependency of convcost or of its test suite):

    python tests/reference/make_mobilenet_v2_sweep.py

Each model is ``torchvision.models.mobilenet_v2(width_mult=A)`` (1000 classes), counted on one
R x R input in eval mode, independently of convcost:
- params: every parameter (weights, biases, BatchNorm gamma and beta);
- buffers: BatchNorm running mean and variance (not ``num_batches_tracked``);
- MACs: a forward hook on every Conv2d and Linear, from the module's attributes and the
  output's shape: Conv2d Hout*Wout*Cout*(Cin/groups)*Kh*Kw, Linear in*out per output row.
"""

from __future__ import annotations

import json
import platform
import sys
import types
from pathlib import Path
from typing import Any

# torchvision's compiled operators are not needed to build the models (and do not load in
# every environment); its meta registrations import them, so stand in for that module.
sys.modules["torchvision._meta_registrations"] = types.ModuleType("torchvision._meta_registrations")

import torch  # noqa: E402
import torchvision  # noqa: E402
from torch import nn  # noqa: E402

OUT = Path(__file__).with_name("mobilenet_v2_sweep.json")
ALPHAS = [1.4, 1.0, 0.75, 0.5, 0.35]  # the official release's depth multipliers
RESOLUTIONS = [224, 192, 160, 128, 96]


def _count(model: nn.Module, resolution: int) -> dict[str, int]:
    macs = 0

    def hook(module: nn.Module, inputs: Any, output: torch.Tensor) -> None:
        nonlocal macs
        if isinstance(module, nn.Conv2d):
            kh, kw = module.kernel_size
            cin = module.in_channels // module.groups
            _, cout, hout, wout = output.shape
            macs += hout * wout * cout * cin * kh * kw
        elif isinstance(module, nn.Linear):
            rows = output.numel() // module.out_features
            macs += rows * module.in_features * module.out_features

    handles = [
        m.register_forward_hook(hook)
        for m in model.modules()
        if isinstance(m, nn.Conv2d | nn.Linear)
    ]
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, 3, resolution, resolution))
    for handle in handles:
        handle.remove()
    params = sum(p.numel() for p in model.parameters())
    buffers = sum(
        m.running_mean.numel() + m.running_var.numel()
        for m in model.modules()
        if isinstance(m, nn.BatchNorm2d)
    )
    return {"params": params, "buffers": buffers, "macs": macs}


def main() -> None:
    result: dict[str, Any] = {
        "source": (
            f"torchvision {torchvision.__version__} (torch {torch.__version__}, CPU, "
            f"Python {platform.python_version()}), tests/reference/make_mobilenet_v2_sweep.py"
        ),
        "variants": {},
    }
    for alpha in ALPHAS:
        model = torchvision.models.mobilenet_v2(width_mult=alpha)
        for resolution in RESOLUTIONS:
            key = f"{alpha:g}/{resolution}"
            result["variants"][key] = _count(model, resolution)
            print(key, result["variants"][key], flush=True)
    OUT.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
