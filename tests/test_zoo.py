"""The shipped zoo (configs/*.yaml) against its reference counts, exactly.

Every expected number below was computed from the real implementations, independently of
convcost: torchvision 0.29.1 (torch 2.14.1, CPU), Keras 3.15.1 (keras.applications.Xception) and
kuangliu/pytorch-cifar at HEAD 49b7aa9, by counting every Conv2d/Linear/BatchNorm2d module in
forward order on one input in eval mode. Conventions as in convcost: params = weights + biases +
BN gamma/beta; buffers = BN running mean and variance (Keras: non-trainable); MACs of conv and
linear layers only, Conv2d = Hout*Wout*Cout*(Cin/groups)*Kh*Kw, Linear = in*out.
"""

from __future__ import annotations

import hashlib
import re
from fractions import Fraction
from pathlib import Path

import pytest

from convcost import network, spec
from convcost.layers import LayerKind
from convcost.network import Report

CONFIGS = Path(__file__).resolve().parent.parent / "configs"

# config -> (params, buffers, MACs, conv rows, BN rows, linear rows, fingerprint).
# Source: the reference models above; the fingerprint is the first 16 hex digits of the SHA-256
# of "kind:params:macs" joined by ";" over every conv, BN and linear layer in forward order
# (_fingerprint below), computed from the reference's per-layer list. It pins each layer's cost
# and the order of the layers without copying the list here. Reference model in the comment.
REFERENCE: dict[str, tuple[int, int, int, int, int, int, str]] = {
    # torchvision-style MobileNet V1 (Howard et al. 2017, Table 1)
    "mobilenet_v1": (4_231_976, 21_888, 568_740_352, 27, 27, 1, "e23aecc9033723fc"),
    # torchvision.models.mobilenet_v2
    "mobilenet_v2": (3_504_872, 34_112, 300_774_272, 52, 52, 1, "a961982ece70b637"),
    # torchvision.models.mobilenet_v3_large (16 of the 62 convs are SE convs, with bias, no BN)
    "mobilenet_v3_large": (5_483_032, 24_400, 216_589_760, 62, 46, 2, "2227c0a9371ebb4f"),
    # torchvision.models.mobilenet_v3_small (18 SE convs)
    "mobilenet_v3_small": (2_542_856, 12_112, 56_510_400, 52, 34, 2, "6d16f1127131bd4b"),
    # torchvision.models.resnet18
    "resnet18": (11_689_512, 9_600, 1_814_073_344, 20, 20, 1, "2fdb77831ac004b1"),
    # torchvision.models.resnet50 (v1.5)
    "resnet50": (25_557_032, 53_120, 4_089_184_256, 53, 53, 1, "c04d2d0c92589578"),
    # torchvision.models.vgg16
    "vgg16": (138_357_544, 0, 15_470_264_320, 13, 0, 3, "3a650c125a0e2cea"),
    # torchvision.models.shufflenet_v2_x1_0
    "shufflenet_v2_x1_0": (2_278_604, 16_180, 144_907_992, 56, 56, 1, "d23ca152bdbb5065"),
    # keras.applications.Xception: 6 Conv2D + 34 SeparableConv2D, each SeparableConv2D a
    # depthwise and a pointwise row here (6 + 68 = 74); 22,855,952 trainable, 54,528
    # non-trainable params.
    "xception": (22_855_952, 54_528, 8_357_403_496, 74, 40, 1, "73239ddb4ff87801"),
    # torchvision.models.efficientnet_b0 (32 of the 81 convs are SE convs)
    "efficientnet_b0": (5_288_548, 42_016, 385_814_752, 81, 49, 1, "e401080faa2eeefc"),
    # pytorch-cifar models/resnet.py ResNet18()
    "resnet18_cifar": (11_173_962, 9_600, 555_422_720, 20, 20, 1, "24c0baef5fbeec98"),
    # pytorch-cifar models/mobilenet.py MobileNet()
    "mobilenet_v1_cifar": (3_217_226, 21_888, 46_354_432, 27, 27, 1, "224886d1c0de1383"),
    # pytorch-cifar models/mobilenetv2.py MobileNetV2() (4 of the 57 convs are 1x1 shortcuts)
    "mobilenet_v2_cifar": (2_296_922, 35_088, 91_154_944, 57, 57, 1, "3efc1a87d2aade79"),
    # torchvision.models.squeezenet1_1 (torchvision 0.28, tests/reference/norms_pools.json;
    # tests/test_norms_pools.py checks 225, 227 and 231 too)
    "squeezenet1_1": (1_235_496, 0, 349_151_936, 26, 0, 0, "beedf38f12b55b03"),
    # torchvision.models.convnext_tiny (the same fixture): the blocks' 36 Linear layers on
    # channels-last positions are 1x1 convs here, as in the fixture's list
    "convnext_tiny": (28_589_128, 0, 4_455_531_264, 58, 0, 1, "27dd6619d161d723"),
    # torchvision.models.segmentation.fcn_resnet50(weights=None, weights_backbone=None,
    # aux_loss=False) at 520x520 (torchvision 0.28; tests/reference/decoders.json)
    "fcn_resnet50": (32_957_013, 54_144, 142_725_772_800, 55, 54, 0, "826e3b4c8a1cf1f7"),
    # U-Net (Ronneberger et al. 2015) with padded 3x3 convs, 512x512x1, written from the paper
    # in tests/reference/make_decoders.py (decoders.json); 4 of the 23 convs are transposed
    "unet": (31_030_658, 0, 192_384_335_872, 23, 0, 0, "f4803b4b256336d0"),
    # torchvision.models.regnet_y_400mf (torchvision 0.28; tests/reference/regnet_resnext.json,
    # whose layer order puts each block's projection after its transform, as convcost walks
    # a residual; 32 of the 85 convs are SE convs)
    "regnet_y_400mf": (4_344_144, 27_152, 401_842_848, 85, 53, 1, "54d70e0ba7a52780"),
    # torchvision.models.resnext50_32x4d (torchvision 0.28; tests/reference/regnet_resnext.json)
    "resnext50_32x4d": (25_028_904, 68_224, 4_230_479_872, 53, 53, 1, "947ee73a3252b557"),
    # torchvision.models.video.r3d_18 on a 16x112x112 clip (torchvision 0.28;
    # tests/reference/nd.json): 3-D convolutions
    "r3d_18": (33_371_472, 9_600, 40_696_553_472, 20, 20, 1, "5177c1a7af88ff66"),
    # M5 (Dai et al. 2017) as torchaudio's tutorial writes it, on 8000 samples
    # (tests/reference/make_nd.py, nd.json): 1-D convolutions
    "m5": (571_939, 2_048, 67_440_128, 4, 4, 1, "9fcaea15005e97ab"),
}

# config -> (conv MACs, linear MACs, BN params), the reference's totals split by layer type.
SPLIT: dict[str, tuple[int, int, int]] = {
    "mobilenet_v1": (567_716_352, 1_024_000, 21_888),
    "mobilenet_v2": (299_494_272, 1_280_000, 34_112),
    "mobilenet_v3_large": (214_080_960, 2_508_800, 24_400),
    "mobilenet_v3_small": (54_896_576, 1_613_824, 12_112),
    "resnet18": (1_813_561_344, 512_000, 9_600),
    "resnet50": (4_087_136_256, 2_048_000, 53_120),
    "vgg16": (15_346_630_656, 123_633_664, 0),
    "shufflenet_v2_x1_0": (143_883_992, 1_024_000, 16_180),
    "xception": (8_355_355_496, 2_048_000, 54_528),
    "efficientnet_b0": (384_534_752, 1_280_000, 42_016),
    "resnet18_cifar": (555_417_600, 5_120, 9_600),
    "mobilenet_v1_cifar": (46_344_192, 10_240, 21_888),
    "mobilenet_v2_cifar": (91_142_144, 12_800, 35_088),
    "squeezenet1_1": (349_151_936, 0, 0),
    "convnext_tiny": (4_454_763_264, 768_000, 0),
    "regnet_y_400mf": (401_402_848, 440_000, 27_152),
    "resnext50_32x4d": (4_228_431_872, 2_048_000, 68_224),
    "fcn_resnet50": (142_725_772_800, 0, 54_144),
    "unet": (192_384_335_872, 0, 0),
    "r3d_18": (40_696_348_672, 204_800, 9_600),
    "m5": (67_422_208, 17_920, 2_048),
}

# Segmentation networks: their output is a map the size of the input, not a 1x1 vector.
DENSE = {"fcn_resnet50": (520, 520), "unet": (512, 512)}

_TAGS = {
    LayerKind.CONV2D: "conv",
    LayerKind.CONV_TRANSPOSE2D: "conv",  # a transposed convolution is a "conv" row too
    LayerKind.LINEAR: "linear",
    LayerKind.BATCHNORM: "bn",
}


def _walk(name: str, alpha: Fraction | None = None, resolution: int | None = None) -> Report:
    return network.walk(spec.load(CONFIGS / f"{name}.yaml"), alpha=alpha, resolution=resolution)


def _costed(report: Report) -> list[tuple[str, int, int]]:
    """(kind, params, MACs) of every conv, BN and linear row, in order."""
    return [
        (_TAGS[row.kind], int(row.params), int(row.macs))
        for row in report.rows
        if row.kind in _TAGS
    ]


def _fingerprint(report: Report) -> str:
    text = ";".join(f"{tag}:{params}:{macs}" for tag, params, macs in _costed(report))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _macs_of(report: Report) -> list[int]:
    """MACs of every conv and linear row, in order."""
    return [macs for tag, _, macs in _costed(report) if tag != "bn"]


def test_every_shipped_config_has_a_reference() -> None:
    assert sorted(p.stem for p in CONFIGS.glob("*.yaml")) == sorted(REFERENCE)


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_totals_equal_the_reference(name: str) -> None:
    params, buffers, macs, *_ = REFERENCE[name]
    totals = _walk(name).totals
    assert (totals.params, totals.buffers, totals.macs) == (params, buffers, macs)


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_layers_equal_the_reference(name: str) -> None:
    _, _, _, convs, bns, linears, fingerprint = REFERENCE[name]
    report = _walk(name)
    tags = [tag for tag, _, _ in _costed(report)]
    assert (tags.count("conv"), tags.count("bn"), tags.count("linear")) == (convs, bns, linears)
    conv_macs, linear_macs, bn_params = SPLIT[name]
    costed = _costed(report)
    assert sum(m for t, _, m in costed if t == "conv") == conv_macs
    assert sum(m for t, _, m in costed if t == "linear") == linear_macs
    assert sum(p for t, p, _ in costed if t == "bn") == bn_params
    assert _fingerprint(report) == fingerprint


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_config_loads_walks_and_names_its_source(name: str) -> None:
    path = CONFIGS / f"{name}.yaml"
    loaded = spec.load(path)
    assert loaded.name == name
    assert loaded.source
    assert path.read_text().startswith("#")  # headed by a comment naming its source
    report = network.walk(loaded)
    assert report.rows and report.totals.macs > 0
    sizes = report.rows[-1].output[:-1]  # (H, W); (L,) in 1-D, (D, H, W) in 3-D
    assert sizes == DENSE.get(name, (1,) * len(sizes))


def test_resnet18_macs_layer_by_layer() -> None:
    # torchvision resnet18, every Conv2d and the Linear in forward order (the downsample conv
    # of layer2/3/4 runs after the block's second 3x3).
    assert _macs_of(_walk("resnet18")) == [
        118_013_952,
        115_605_504,
        115_605_504,
        115_605_504,
        115_605_504,
        57_802_752,
        115_605_504,
        6_422_528,
        115_605_504,
        115_605_504,
        57_802_752,
        115_605_504,
        6_422_528,
        115_605_504,
        115_605_504,
        57_802_752,
        115_605_504,
        6_422_528,
        115_605_504,
        115_605_504,
        512_000,
    ]


def test_vgg16_macs_layer_by_layer() -> None:
    # torchvision vgg16: 13 convs, then Linear 25088->4096, 4096->4096, 4096->1000.
    assert _macs_of(_walk("vgg16")) == [
        86_704_128,
        1_849_688_064,
        924_844_032,
        1_849_688_064,
        924_844_032,
        1_849_688_064,
        1_849_688_064,
        924_844_032,
        1_849_688_064,
        1_849_688_064,
        462_422_016,
        462_422_016,
        462_422_016,
        102_760_448,
        16_777_216,
        4_096_000,
    ]


# --- MobileNet V1: the paper's Tables 2, 6 and 7 ---------------------------------------------


def _agrees_to_the_million(macs: int, paper_m: int) -> bool:
    """Within the paper's last printed digit (millions). The paper mostly rounds (568.7 -> 569)
    but prints 290.68M at 160x160 as 290M (Table 7), so rounding alone would not match."""
    return abs(macs - paper_m * 10**6) < 10**6


@pytest.mark.parametrize(
    ("alpha", "params", "buffers", "macs", "paper_macs_m", "paper_params_m"),
    [
        # reference MobileNet V1 with int(c * alpha) channels (variants.json); the paper's
        # Table 6: 1.0 569M/4.2M, 0.75 325M/2.6M, 0.5 149M/1.3M, 0.25 41M/0.5M.
        ("1", 4_231_976, 21_888, 568_740_352, 569, 4.2),
        ("0.75", 2_585_560, 16_416, 325_400_448, 325, 2.6),
        ("0.5", 1_331_592, 10_944, 149_497_088, 149, 1.3),
        ("0.25", 470_072, 5_472, 41_030_272, 41, 0.5),
    ],
)
def test_mobilenet_v1_width_multiplier(
    alpha: str, params: int, buffers: int, macs: int, paper_macs_m: int, paper_params_m: float
) -> None:
    totals = _walk("mobilenet_v1", alpha=Fraction(alpha)).totals
    assert (totals.params, totals.buffers, totals.macs) == (params, buffers, macs)
    assert _agrees_to_the_million(totals.macs, paper_macs_m)
    assert round(totals.params / 1e6, 1) == paper_params_m


@pytest.mark.parametrize(
    ("resolution", "macs", "paper_macs_m"),
    [
        # reference MobileNet V1 at width 1.0 (variants.json); the paper's Table 7:
        # 224 569M, 192 418M, 160 290M, 128 186M mult-adds, 4.2M params throughout.
        (224, 568_740_352, 569),
        (192, 418_121_728, 418),
        (160, 290_675_200, 290),
        (128, 186_400_768, 186),
    ],
)
def test_mobilenet_v1_resolution(resolution: int, macs: int, paper_macs_m: int) -> None:
    totals = _walk("mobilenet_v1", resolution=resolution).totals
    assert (totals.params, totals.buffers, totals.macs) == (4_231_976, 21_888, macs)
    assert _agrees_to_the_million(totals.macs, paper_macs_m)


def test_mobilenet_v1_breakdown_by_type() -> None:
    # The paper's Table 2 (mult-adds): Conv 1x1 94.86%, Conv DW 3x3 3.06%, Conv 3x3 1.19%,
    # Fully connected 0.18%. The true share of the standard 3x3 stem is 10,838,016 /
    # 568,740,352 = 1.91%: the paper's four numbers sum to 99.29%, with 1.91 they sum to 100.00,
    # so "1.19" is a digit swap (reference: variants.json, mobilenet_v1_table2_shares). We assert
    # the true value.
    report = _walk("mobilenet_v1")
    shares = {s.category: s for s in report.by_category()}
    percent = {name: round(float(s.macs_share) * 100, 2) for name, s in shares.items() if s.macs}
    assert percent == {
        "Conv 1x1": 94.86,
        "Conv DW 3x3": 3.06,
        "Conv 3x3": 1.91,
        "Fully connected": 0.18,
    }
    assert shares["Conv 1x1"].macs == 539_492_352
    assert shares["Conv DW 3x3"].macs == 17_385_984
    assert shares["Conv 3x3"].macs == 10_838_016
    assert shares["Fully connected"].macs == 1_024_000
    # Params (weights and biases, without BN): 3,139,584 / 44,640 / 864 / 1,025,000.
    assert [
        shares[c].params for c in ("Conv 1x1", "Conv DW 3x3", "Conv 3x3", "Fully connected")
    ] == [3_139_584, 44_640, 864, 1_025_000]


# --- MobileNet V2: torchvision's width_mult -------------------------------------------------


@pytest.mark.parametrize(
    ("alpha", "params", "buffers", "macs"),
    [
        # torchvision mobilenet_v2(width_mult=...) at 224 (variants.json). Its 1.4 model is
        # not the paper's 6.9M/585M (Table 4), so these are torchvision's numbers only.
        ("1.4", 6_108_776, 47_936, 582_195_824),
        ("1", 3_504_872, 34_112, 300_774_272),
        ("0.75", 2_636_424, 26_640, 209_069_792),
        ("0.5", 1_968_680, 18_544, 97_131_840),
        ("0.35", 1_677_128, 14_080, 59_285_808),
    ],
)
def test_mobilenet_v2_width_multiplier(alpha: str, params: int, buffers: int, macs: int) -> None:
    totals = _walk("mobilenet_v2", alpha=Fraction(alpha)).totals
    assert (totals.params, totals.buffers, totals.macs) == (params, buffers, macs)


def test_mobilenet_v2_width_035_channels() -> None:
    # torchvision mobilenet_v2(width_mult=0.35), conv_out_channels in variants.json: stem 16
    # (_make_divisible(11.2, 8) = 8 is below 90% of 11.2, so 16), the first block 16 -> 8, the
    # stages' outputs 8, 8, 16, 24, 32, 56, 112, and the last conv stays 1280.
    report = _walk("mobilenet_v2", alpha=Fraction("0.35"))
    convs = [row for row in report.rows if row.kind is LayerKind.CONV2D]
    assert [row.output[2] for row in convs[:3]] == [16, 16, 8]
    assert convs[-1].output[2] == 1280
    assert [row.output[2] for row in report.rows if row.name.endswith(".project")] == [
        8,
        8,
        8,
        16,
        16,
        16,
        24,
        24,
        24,
        24,
        32,
        32,
        32,
        56,
        56,
        56,
        112,
    ]


@pytest.mark.parametrize(
    ("resolution", "macs"),
    [
        # torchvision mobilenet_v2 at width 1.0 (variants.json).
        (192, 221_316_608),
        (160, 154_083_200),
        (128, 99_074_048),
        (96, 56_289_152),
    ],
)
def test_mobilenet_v2_resolution(resolution: int, macs: int) -> None:
    totals = _walk("mobilenet_v2", resolution=resolution).totals
    assert (totals.params, totals.macs) == (3_504_872, macs)


# --- MACs against the papers' tables, to the papers' rounding -------------------------------


def test_macs_agree_with_the_papers_to_their_rounding() -> None:
    # MobileNetV2 (Sandler et al. 2018, Table 4): "300M" multiply-adds, two significant figures
    # (the exact count is 300,774,272).
    assert round(_walk("mobilenet_v2").totals.macs, -7) == 300_000_000
    # ResNet-18 (He et al. 2016, Table 1): 1.8 x 10^9 "FLOPs", i.e. multiply-adds.
    assert round(_walk("resnet18").totals.macs / 1e9, 1) == 1.8
    # ResNet-50: 4.1G for torchvision's v1.5 (stride on the 3x3; torchvision's model table lists
    # 4.09 GFLOPS). The paper's Table 1 gives 3.8 x 10^9 for v1, with the stride on the 1x1.
    assert round(_walk("resnet50").totals.macs / 1e9, 1) == 4.1
    # VGG-16: 15.5G multiply-adds as usually quoted (torchvision's model table: 15.47 GFLOPS);
    # the VGG paper itself gives only the parameter count (Table 2: 138M).
    vgg16 = _walk("vgg16").totals
    assert round(vgg16.macs / 1e9, 1) == 15.5
    assert round(vgg16.params / 1e6) == 138
    # MobileNet V1 (Howard et al. 2017, Table 8): 569M mult-adds, 4.2M params.
    assert round(_walk("mobilenet_v1").totals.macs / 1e6) == 569
    # EfficientNet-B0 (Tan & Le 2019, Table 2): 0.39B FLOPs (multiply-adds), 5.3M params.
    efficientnet = _walk("efficientnet_b0").totals
    assert round(efficientnet.macs / 1e9, 2) == 0.39
    assert round(efficientnet.params / 1e6, 1) == 5.3


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_figure_in_a_config_comment_is_computed(path: Path) -> None:
    """The counts each config quotes in its header are the ones convcost computes for it."""
    report = network.walk(spec.load(path))
    t = report.totals
    bn_params = sum(r.params for r in report.rows if r.kind is LayerKind.BATCHNORM)
    computed = {t.params, t.buffers, t.macs, t.flops, t.params - bn_params}
    comments = "\n".join(line for line in path.read_text().splitlines() if "#" in line)
    figures = [int(m.replace(",", "")) for m in re.findall(r"\d{1,3}(?:,\d{3})+", comments)]
    assert figures, "each config names its reference counts"
    assert set(figures) <= computed, sorted(set(figures) - computed)
