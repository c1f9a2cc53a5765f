"""Reference counts for the decoders of issue 14: FCN-ResNet50, U-Net, transposed convolutions.

Run with a PyTorch environment (not needed by the test suite)::

    python tests/reference/make_decoders.py > tests/reference/decoders.json

With thop, ptflops, fvcore, torchinfo and torchprofile installed as well (the versions of
docs/peers.md), it also records what each of them reports (``peers``); without them that part
is left out.

Counts each model independently of convcost: params from ``parameters()``, buffers as
BatchNorm running mean and variance (``num_batches_tracked`` is a step counter, not a
statistic, and convcost does not count it), and MACs from forward hooks on every ``Conv2d``,
``ConvTranspose2d`` and ``Linear`` that read the module's own attributes and its input's or
output's shape:

- Conv2d: output elements (Cout * Hout * Wout) * (Cin / groups) * Kh * Kw
- ConvTranspose2d: input elements (Cin * Hin * Win) * (Cout / groups) * Kh * Kw: each input
  element times the weights of its group, scattered into the output (fvcore and ptflops count
  it so)
- Linear: output elements * in_features

Bias adds, BatchNorm, activations, pooling, upsampling and concatenation are not MACs
(docs/spec.md). Each model runs once in eval mode on one input (batch 1).

``layers`` lists every Conv2d, ConvTranspose2d ("conv"), BatchNorm2d ("bn") and Linear as
[kind, params, MACs] in forward order, which is the order convcost's walker reaches them.

The models:

- ``fcn_resnet50``: ``torchvision.models.segmentation.fcn_resnet50(weights=None,
  weights_backbone=None, aux_loss=False)`` (21 classes) on 1x3x520x520, the size torchvision's
  FCN weights are evaluated at.
- ``unet``: Ronneberger et al. 2015 (arXiv:1505.04597), Figure 1, with padding=1 3x3
  convolutions so that the skips need no cropping: 64 channels doubling over four 2x2 max
  pools to 1024, each level two 3x3 conv + ReLU; back up through 2x2 stride-2 transposed
  convolutions that halve the channels, concatenated with the skip ([skip, up]) and two 3x3
  conv + ReLU; a 1x1 conv to 2 classes. Biases everywhere (Caffe's default), no BatchNorm (the
  paper has none). Input 1x1x512x512 (one channel, as the paper's EM images).
"""

from __future__ import annotations

import json
import re
import sys
import types
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

# torchvision's compiled ops do not load in this environment; the models need none of them.
sys.modules["torchvision._meta_registrations"] = types.ModuleType("torchvision._meta_registrations")
import torchvision  # noqa: E402


class Out(nn.Module):
    """The segmentation model's ``out`` tensor (torchvision returns a dict)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)["out"]  # type: ignore[no-any-return]


def _double(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1),
        nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1),
        nn.ReLU(inplace=True),
    )


class UNet(nn.Module):
    """U-Net (Ronneberger et al. 2015, Figure 1) with padded 3x3 convolutions."""

    def __init__(self, channels: int = 1, classes: int = 2, base: int = 64) -> None:
        super().__init__()
        widths = [base * 2**i for i in range(5)]  # 64, 128, 256, 512, 1024
        self.down = nn.ModuleList([_double(channels, widths[0])])
        self.down.extend(_double(widths[i], widths[i + 1]) for i in range(4))
        self.pool = nn.MaxPool2d(2)
        self.up = nn.ModuleList(
            nn.ConvTranspose2d(widths[i + 1], widths[i], 2, stride=2) for i in reversed(range(4))
        )
        self.dec = nn.ModuleList(_double(2 * widths[i], widths[i]) for i in reversed(range(4)))
        self.head = nn.Conv2d(widths[0], classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for i, block in enumerate(self.down):
            x = block(x if i == 0 else self.pool(x))
            skips.append(x)
        x = skips.pop()
        for up, dec in zip(self.up, self.dec, strict=True):
            x = dec(torch.cat([skips.pop(), up(x)], dim=1))
        return self.head(x)  # type: ignore[no-any-return]


def _fcn() -> nn.Module:
    return Out(
        torchvision.models.segmentation.fcn_resnet50(
            weights=None, weights_backbone=None, aux_loss=False
        )
    )


MODELS = {
    "fcn_resnet50": (_fcn, (1, 3, 520, 520)),
    "unet": (UNet, (1, 1, 512, 512)),
}


def _macs(module: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[str, int]:
    if isinstance(module, nn.ConvTranspose2d):
        kh, kw = module.kernel_size
        return "conv", x.numel() * (module.out_channels // module.groups) * kh * kw
    if isinstance(module, nn.Conv2d):
        kh, kw = module.kernel_size
        return "conv", y.numel() * (module.in_channels // module.groups) * kh * kw
    if isinstance(module, nn.Linear):
        return "linear", y.numel() * module.in_features
    return "bn", 0


def _count(model: nn.Module, shape: tuple[int, ...]) -> dict[str, Any]:
    model.eval()
    seen: list[tuple[str, int, int]] = []  # (kind, params, MACs)

    def record(module: nn.Module, inputs: Any, output: torch.Tensor) -> None:
        params = sum(p.numel() for p in module.parameters(recurse=False))
        kind, macs = _macs(module, inputs[0], output)
        seen.append((kind, params, macs))

    handles = [
        module.register_forward_hook(record)
        for module in model.modules()
        if isinstance(module, nn.Conv2d | nn.ConvTranspose2d | nn.Linear | nn.BatchNorm2d)
    ]
    with torch.no_grad():
        out = model(torch.zeros(shape))
    for handle in handles:
        handle.remove()
    buffers = sum(
        m.running_mean.numel() + m.running_var.numel()
        for m in model.modules()
        if isinstance(m, nn.BatchNorm2d)
    )
    return {
        "input": list(shape),
        "output": list(out.shape),
        "params": sum(p.numel() for p in model.parameters()),
        "buffers": buffers,
        "macs": sum(macs for _, _, macs in seen),
        "conv_macs": sum(macs for kind, _, macs in seen if kind == "conv"),
        "linear_macs": sum(macs for kind, _, macs in seen if kind == "linear"),
        "bn_params": sum(params for kind, params, _ in seen if kind == "bn"),
        "layers": [list(row) for row in seen],
    }


# fvcore's tests/test_flop_count.py::test_conv, transposed 2-D cases 7, 8 and 9: batch 5,
# 10 -> 3 channels, 15x15, kernel 3, padding 1, groups 1; stride 1, 2, 3; output_padding 0, 0,
# 2. Expected flops there: batch * Cin * Cout * K^2 * H * W / groups (per input position).
# Then grouped, dilated and rectangular cases of our own.
TRANSPOSED = [
    # (cin, cout, h, w, k, stride, padding, output_padding, dilation, groups, bias)
    (10, 3, 15, 15, (3, 3), (1, 1), (1, 1), (0, 0), (1, 1), 1, True),
    (10, 3, 15, 15, (3, 3), (2, 2), (1, 1), (0, 0), (1, 1), 1, True),
    (10, 3, 15, 15, (3, 3), (3, 3), (1, 1), (2, 2), (1, 1), 1, True),
    (8, 12, 7, 5, (4, 2), (2, 1), (1, 0), (1, 0), (1, 1), 4, False),
    (6, 6, 9, 9, (3, 3), (2, 2), (2, 2), (0, 0), (2, 2), 3, True),
    (4, 8, 3, 6, (5, 3), (3, 2), (0, 1), (2, 1), (1, 3), 2, False),
    (16, 16, 8, 8, (2, 2), (2, 2), (0, 0), (0, 0), (1, 1), 16, True),
]


def _transposed() -> list[dict[str, Any]]:
    cases = []
    for cin, cout, h, w, k, s, p, op, d, g, bias in TRANSPOSED:
        layer = nn.ConvTranspose2d(cin, cout, k, s, p, op, g, bias, d)
        x = torch.zeros(1, cin, h, w)
        with torch.no_grad():
            y = layer(x)
        cases.append(
            {
                "cin": cin,
                "cout": cout,
                "input": [h, w],
                "k": list(k),
                "stride": list(s),
                "padding": list(p),
                "output_padding": list(op),
                "dilation": list(d),
                "groups": g,
                "bias": bias,
                "output": list(y.shape[2:]),
                "params": sum(q.numel() for q in layer.parameters()),
                "macs": _macs(layer, x, y)[1],
            }
        )
    return cases


# --- what the peers report (optional) ---------------------------------------------------------


class Interpolate(nn.Module):
    """``F.interpolate`` in a forward(), as torchvision's FCN calls it."""

    def __init__(self, scale: int, mode: str) -> None:
        super().__init__()
        self.scale, self.mode = scale, mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        align = False if self.mode == "bilinear" else None
        return F.interpolate(x, scale_factor=self.scale, mode=self.mode, align_corners=align)


# Single layers on a 1x8x5x5 input (200 elements): name -> module.
SINGLE = {
    "conv_transpose k3 s2 p1 op1 bias": lambda: nn.ConvTranspose2d(8, 4, 3, 2, 1, 1),
    "conv_transpose k2 s2 groups 4 no bias": lambda: nn.ConvTranspose2d(
        8, 12, 2, 2, groups=4, bias=False
    ),
    "conv_transpose k3 groups 8 Cin = Cout": lambda: nn.ConvTranspose2d(8, 8, 3, groups=8),
    "upsample nearest x2 module": lambda: nn.Upsample(scale_factor=2, mode="nearest"),
    "upsample bilinear x2 module": lambda: nn.Upsample(
        scale_factor=2, mode="bilinear", align_corners=False
    ),
    "upsample nearest x2 functional": lambda: Interpolate(2, "nearest"),
    "upsample bilinear x2 functional": lambda: Interpolate(2, "bilinear"),
    "pixel_shuffle 2": lambda: nn.PixelShuffle(2),
    "pad 1 2 3 4": lambda: nn.ZeroPad2d((1, 2, 3, 4)),
}


def _peers(build: Any, shape: tuple[int, ...]) -> dict[str, int] | None:
    try:
        import ptflops
        import thop
        import torchinfo
        from fvcore.nn import FlopCountAnalysis
        from torchprofile import profile_macs
    except ImportError:
        return None
    import warnings

    warnings.filterwarnings("ignore")
    x = torch.randn(shape)
    result = {"thop": int(thop.profile(build().eval(), inputs=(x,), verbose=False)[0])}
    for backend in ("pytorch", "aten"):
        macs, _ = ptflops.get_model_complexity_info(
            build().eval(),
            tuple(shape[1:]),
            as_strings=False,
            print_per_layer_stat=False,
            backend=backend,
        )
        result["ptflops" if backend == "pytorch" else "ptflops-aten"] = int(macs or 0)
    result["fvcore"] = int(
        FlopCountAnalysis(build().eval(), x).unsupported_ops_warnings(False).total()
    )
    summary = torchinfo.summary(build().eval(), input_size=shape, verbose=0)
    result["torchinfo"] = int(summary.total_mult_adds)
    result["torchprofile"] = int(profile_macs(build().eval(), x))
    return result


def main() -> None:
    result: dict[str, Any] = {
        "source": f"torchvision {torchvision.__version__}, torch {torch.__version__}",
        "models": {name: _count(build(), shape) for name, (build, shape) in MODELS.items()},
        "transposed": _transposed(),
    }
    peers = {name: _peers(build, shape) for name, (build, shape) in MODELS.items()}
    if all(peers.values()):
        single = {name: _peers(build, (1, 8, 5, 5)) for name, build in SINGLE.items()}
        result["peers"] = {"models": peers, "single_1x8x5x5": single}
    # One layer a line: readable in a diff.
    text = json.dumps(result, indent=1)
    text = re.sub(r"\[\n\s+(\"\w+\"),\n\s+(\d+),\n\s+(\d+)\n\s+\]", r"[\1, \2, \3]", text)
    text = re.sub(r"\[\n\s+(\d+),\n\s+(\d+)\n\s+\]", r"[\1, \2]", text)
    text = re.sub(
        r"\[\n\s+(\d+),\n\s+(\d+),\n\s+(\d+),\n\s+(\d+)\n\s+\]", r"[\1, \2, \3, \4]", text
    )
    sys.stdout.write(text + "\n")


if __name__ == "__main__":
    main()
