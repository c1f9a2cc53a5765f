"""Reference counts of torchvision's MobileNetV3 and EfficientNet-B0 at every width multiplier.

Writes tests/reference/width_mult.json, which tests/test_width_mult.py compares with
``convcost net SPEC --alpha A`` for A = 0.1, 0.2, ..., 2.0. Run it once with PyTorch and
torchvision installed (not a dependency of convcost or of its test suite):

    python tests/reference/make_width_mult.py

The models are built with torchvision's own width rules through its builders' private helpers
(the public ``mobilenet_v3_large()`` and ``efficientnet_b0()`` take no width multiplier):
``_mobilenet_v3_conf(arch, width_mult=A)`` + ``MobileNetV3`` and
``_efficientnet_conf("efficientnet_b0", width_mult=A, depth_mult=1.0)`` + ``EfficientNet``.
A is the float a user who types ``width_mult=0.3`` passes (``i / 10``, not ``i * 0.1``).

Counted on one 224x224 input in eval mode, independently of convcost:
- params: every parameter (weights, biases, BatchNorm gamma and beta);
- buffers: BatchNorm running mean and variance (``num_batches_tracked`` is a step counter,
  not a statistic: left out, as convcost and Keras leave it out);
- MACs: a forward hook on every Conv2d and Linear, from the module's attributes and the
  output's shape: Conv2d Hout*Wout*Cout*(Cin/groups)*Kh*Kw, Linear in*out per output row.
- head: the channels of the last convolution (torchvision: 6x its input in MobileNetV3, 4x in
  EfficientNet), to read a failure by.
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
from torchvision.models.efficientnet import EfficientNet, _efficientnet_conf  # noqa: E402
from torchvision.models.mobilenetv3 import MobileNetV3, _mobilenet_v3_conf  # noqa: E402

OUT = Path(__file__).with_name("width_mult.json")
# 0.1, 0.2, ..., 2.0 (issue 14), then the paper's 0.35 and 0.75; a few multipliers off the
# 0.05 grid, where a head sized as its own multiple of alpha (960 * A) and one sized as 6x its
# scaled input (6 * _make_divisible(160 * A)) differ for MobileNetV3-Large and EfficientNet too;
# and 0.58 and 1.14, where floating point and exact arithmetic round MobileNetV3-Large's
# 200 expanded channels apart (200 * 0.58 = 115.99999999999999: 112, not 120).
ALPHAS = [i / 10 for i in range(1, 21)] + [0.35, 0.75, 0.06, 0.12, 0.33, 1.17, 1.62, 0.58, 1.14]


def _build(arch: str, alpha: float) -> nn.Module:
    if arch.startswith("mobilenet_v3"):
        setting, last_channel = _mobilenet_v3_conf(arch, width_mult=alpha)
        return MobileNetV3(setting, last_channel)
    setting, last_channel = _efficientnet_conf(arch, width_mult=alpha, depth_mult=1.0)
    return EfficientNet(setting, 0.2, last_channel=last_channel)


def _count(model: nn.Module) -> dict[str, int]:
    macs = 0
    head = 0

    def hook(module: nn.Module, inputs: Any, output: torch.Tensor) -> None:
        nonlocal macs, head
        if isinstance(module, nn.Conv2d):
            kh, kw = module.kernel_size
            cin = module.in_channels // module.groups
            _, cout, hout, wout = output.shape
            macs += hout * wout * cout * cin * kh * kw
            if module.groups == 1 and (kh, kw) == (1, 1):
                head = cout  # the last plain 1x1 conv in forward order is the head
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
        model(torch.zeros(1, 3, 224, 224))
    for handle in handles:
        handle.remove()
    params = sum(p.numel() for p in model.parameters())
    buffers = sum(
        m.running_mean.numel() + m.running_var.numel()
        for m in model.modules()
        if isinstance(m, nn.BatchNorm2d)
    )
    return {"params": params, "buffers": buffers, "macs": macs, "head": head}


def main() -> None:
    result: dict[str, Any] = {
        "source": (
            f"torchvision {torchvision.__version__} (torch {torch.__version__}, CPU, "
            f"Python {platform.python_version()}), tests/reference/make_width_mult.py"
        ),
        "resolution": 224,
        "models": {},
    }
    for arch in ("mobilenet_v3_small", "mobilenet_v3_large", "efficientnet_b0"):
        rows = {}
        for alpha in ALPHAS:
            rows[f"{alpha:g}"] = _count(_build(arch, alpha))
            print(arch, f"{alpha:g}", rows[f"{alpha:g}"], flush=True)
        result["models"][arch] = rows
    OUT.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
