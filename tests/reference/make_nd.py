"""Reference counts for the 1-D and 3-D networks of issue 14: torchvision's r3d_18 (video) and
M5 (audio).

Run with a PyTorch environment (not needed by the test suite)::

    python tests/reference/make_nd.py > tests/reference/nd.json

Counts each model independently of convcost: params from ``parameters()``, buffers as
BatchNorm running mean and variance (``num_batches_tracked`` is a step counter, not a
statistic, and convcost does not count it), and MACs from forward hooks on every
``Conv1d``/``Conv3d`` and ``Linear`` that read the module's own attributes and its output's
shape:

- ConvNd: output elements (Cout * prod(out_i)) * (Cin / groups) * prod(K_i)
- Linear: output elements * in_features (one output row per position)

Bias adds, BatchNorm, activations and pooling are not MACs (docs/spec.md).

- ``r3d_18``: ``torchvision.models.video.r3d_18()`` (Tran et al. 2018, "A Closer Look at
  Spatiotemporal Convolutions for Action Recognition"), on a 1x3x16x112x112 clip (N, C, D, H, W).
- ``m5``: M5 of Dai et al. 2017 ("Very Deep Convolutional Neural Networks for Raw Waveforms",
  Table 1: [80/4, 128], maxpool 4, [3, 128], maxpool 4, [3, 256], maxpool 4, [3, 512],
  maxpool 4, global average pooling), written as torchaudio's speech-command tutorial writes
  its ``M5`` module (Conv1d with bias, BatchNorm1d, ReLU, MaxPool1d(4); ``F.avg_pool1d`` over
  the remaining length; ``Linear`` to 35 classes), with the paper's widths and stride: on
  1x1x8000 (one second at 8 kHz).

``layers`` lists every convolution, BatchNorm and Linear with [kind, params, MACs] in forward
order (a basic block's ``downsample`` runs after its convolutions, as convcost walks it).
"""

from __future__ import annotations

import json
import sys
import types
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

# torchvision's compiled ops do not load in this environment; the models need none of them.
sys.modules["torchvision._meta_registrations"] = types.ModuleType("torchvision._meta_registrations")
import torchvision  # noqa: E402
from torchvision.models.video import r3d_18  # noqa: E402

_CONV = (nn.Conv1d, nn.Conv2d, nn.Conv3d)
_BN = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)


class M5(nn.Module):
    """torchaudio tutorial's M5 with the paper's widths (128, 128, 256, 512) and stride 4."""

    def __init__(self, n_input: int = 1, n_output: int = 35) -> None:
        super().__init__()
        widths = (128, 128, 256, 512)
        self.conv1 = nn.Conv1d(n_input, widths[0], kernel_size=80, stride=4)
        self.bn1 = nn.BatchNorm1d(widths[0])
        self.pool1 = nn.MaxPool1d(4)
        self.conv2 = nn.Conv1d(widths[0], widths[1], kernel_size=3)
        self.bn2 = nn.BatchNorm1d(widths[1])
        self.pool2 = nn.MaxPool1d(4)
        self.conv3 = nn.Conv1d(widths[1], widths[2], kernel_size=3)
        self.bn3 = nn.BatchNorm1d(widths[2])
        self.pool3 = nn.MaxPool1d(4)
        self.conv4 = nn.Conv1d(widths[2], widths[3], kernel_size=3)
        self.bn4 = nn.BatchNorm1d(widths[3])
        self.pool4 = nn.MaxPool1d(4)
        self.fc1 = nn.Linear(widths[3], n_output)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i in range(1, 5):
            conv, bn, pool = (getattr(self, f"{n}{i}") for n in ("conv", "bn", "pool"))
            x = pool(F.relu(bn(conv(x))))
        x = F.avg_pool1d(x, x.shape[-1])
        x = x.permute(0, 2, 1)
        x = self.fc1(x)
        return F.log_softmax(x, dim=2)


def _count(model: nn.Module, x: torch.Tensor) -> dict[str, Any]:
    model.eval()
    seen: list[list[Any]] = []

    def record(module: nn.Module, inputs: Any, output: torch.Tensor) -> None:
        params = sum(p.numel() for p in module.parameters(recurse=False))
        if isinstance(module, _CONV):
            taps = 1
            for k in module.kernel_size:
                taps *= k
            macs = output[0].numel() * (module.in_channels // module.groups) * taps
            seen.append(["conv", params, macs])
        elif isinstance(module, nn.Linear):
            seen.append(["linear", params, output[0].numel() * module.in_features])
        else:
            seen.append(["bn", params, 0])

    handles = [
        m.register_forward_hook(record)
        for m in model.modules()
        if isinstance(m, (*_CONV, *_BN, nn.Linear))
    ]
    with torch.no_grad():
        out = model(x)
    for handle in handles:
        handle.remove()
    buffers = sum(
        m.running_mean.numel() + m.running_var.numel()
        for m in model.modules()
        if isinstance(m, _BN)
    )
    return {
        "input": list(x.shape),
        "output": list(out.shape),
        "params": sum(p.numel() for p in model.parameters()),
        "buffers": buffers,
        "macs": sum(m for _, _, m in seen),
        "conv_macs": sum(m for kind, _, m in seen if kind == "conv"),
        "linear_macs": sum(m for kind, _, m in seen if kind == "linear"),
        "bn_params": sum(p for kind, p, _ in seen if kind == "bn"),
        "layers": seen,
    }


def main() -> None:
    torch.manual_seed(0)
    result = {
        "source": f"torchvision {torchvision.__version__}, torch {torch.__version__}",
        "models": {
            "r3d_18": _count(r3d_18(), torch.zeros(1, 3, 16, 112, 112)),
            "m5": _count(M5(), torch.zeros(1, 1, 8000)),
        },
    }
    json.dump(result, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
