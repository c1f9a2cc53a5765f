"""Measured latency (issue 16, item 5): rows built as PyTorch modules, timed, calibrated.

The tests that need PyTorch skip without it (``pytest.importorskip``); the core suite passes
without torch, and the core never imports it (the first tests, which run everywhere).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from fractions import Fraction
from pathlib import Path

import pytest
from typer.testing import CliRunner

from convcost import spec
from convcost.analysis import measure as M
from convcost.cli import app
from convcost.layers import LayerKind
from convcost.network import walk
from convcost.spec.zoo import shipped, zoo_names

ROOT = Path(__file__).resolve().parent.parent


def _report(text: str):  # type: ignore[no-untyped-def]
    return walk(spec.loads(textwrap.dedent(text)))


def _torch():  # type: ignore[no-untyped-def]
    return pytest.importorskip("torch")


# --- without torch ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["net", "mobilenet_v2"],
        ["layer", "--k", "3", "--cin", "256", "--cout", "256", "--h", "56", "--w", "56"],
    ],
)
def test_the_core_never_imports_torch(argv: list[str]) -> None:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from convcost.cli import app\n"
        f"result = CliRunner().invoke(app, {argv!r})\n"
        "assert result.exit_code == 0, result.output\n"
        "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('torch.')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout == "[]\n"


@pytest.mark.parametrize(
    "argv",
    [
        ["net", "mobilenet_v2", "--measure"],
        ["net", "no_such_spec", "--measure", "--device", "no-such-device"],
        ["layer", "--k", "3", "--cin", "256", "--cout", "256", "--measure", "--threads", "2"],
    ],
)
def test_measure_without_torch_says_how_to_install_it(
    argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """One line, exit 1, before any work (the spec and the device are not even looked up)."""
    monkeypatch.setattr(M, "torch_missing", lambda: True)
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == "error: --measure needs PyTorch: pip install 'convcost[measure]'\n"


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["net", "mobilenet_v2", "--threads", "2"], "--threads"),
        (["net", "mobilenet_v2", "--measure", "--memory"], "--memory"),
        (["net", "mobilenet_v2", "--measure", "--algo", "winograd"], "--algo"),
        (["net", "mobilenet_v2", "--measure", "--dtype", "fp16"], "--dtype"),
        (["layer", "--k", "3,5", "--cin", "8", "--cout", "8", "--measure"], "--measure"),
        (["layer", "--k", "3", "--cin", "8", "--cout", "8", "--threads", "0"], "--threads"),
    ],
)
def test_measure_flags_that_do_not_go_together(argv: list[str], flag: str) -> None:
    if "--threads" not in argv[-2:] or argv[-1] != "0":
        _torch()  # past the PyTorch check
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and flag in result.stderr
    assert result.stderr.count("\n") == 1


# --- building modules ---------------------------------------------------------------------------


def _two_d() -> list[str]:
    return [name for name in zoo_names() if len(spec.load(shipped(name)[0]).input) == 3]


@pytest.mark.parametrize("name", _two_d())
def test_modules_have_the_reports_params(name: str) -> None:
    """On the meta device (no memory): torchvision's own counts are the zoo's (test_zoo.py),
    so equal params say each module is the right one, with its groups, bias and affine."""
    _torch()
    report = walk(spec.load(shipped(name)[0]))
    built = M.build(report, "meta")
    assert built.params == report.totals.params
    assert len(built.modules) == len(report.rows)


@pytest.mark.parametrize(
    "name",
    [
        "shufflenet_v2_x1_0",  # channel split, channel shuffle, concat
        "squeezenet1_1",  # fire concat, maxpool ceil_mode
        "efficientnet_b0",  # squeeze-excite multiply, silu, sigmoid
        "convnext_tiny",  # LayerNorm over C, layer scale, gelu, 7x7 depthwise
        "unet",  # transposed convolutions, skip concat
        "fcn_resnet50",  # dilation, bilinear upsampling
        "mobilenet_v3_small",  # hardswish, hardsigmoid
        "regnet_y_400mf",  # grouped convolutions
        "xception",  # separable blocks, 'same' padding
    ],
)
def test_the_graph_gives_the_reports_output_shape(name: str) -> None:
    torch = _torch()
    report = walk(spec.load(shipped(name)[0]), resolution=64)
    built = M.build(report)
    with torch.inference_mode():
        out = built.run(torch.randn(M.channels_first(report.input, 1)))
    assert tuple(out.shape) == M.channels_first(report.output, 1)


EVERY_KIND = """\
name: every_kind
input: [15, 13, 16]
layers:
  - conv: {c: 32, k: 3, s: 2, dilation: 2, groups: 4, bias: true, act: leaky_relu}
  - pad: {left: 1, right: 2, top: 0, bottom: 1}
  - avgpool: {k: 3, stride: 2, padding: 1, ceil_mode: true, count_include_pad: false}
  - maxpool: {k: 2, stride: 1, ceil_mode: true}
  - maxpool: {k: 3, stride: 2, padding: same}
  - groupnorm: {groups: 8}
  - instancenorm: {affine: true, track_running_stats: true}
  - layernorm: {elementwise_affine: true, bias: false}
  - prelu: {num_parameters: 32}
  - gelu: {}
  - tanh: {}
  - hswish: {}
  - channel_shuffle: {groups: 4}
  - pixel_shuffle: {upscale_factor: 2}
  - pixel_unshuffle: {downscale_factor: 2}
  - upsample: {scale_factor: 2, mode: bilinear, align_corners: false}
  - conv_transpose: {c: 8, k: 3, s: 2, padding: 1, output_padding: 1, groups: 2, bias: true}
  - layer_scale: {}
  - dropout: {p: 0.2}
  - adaptive_avgpool: {size: [3, 2]}
  - global_maxpool: {}
  - flatten: {}
  - fc: {c: 10}
"""


def test_every_kind_of_row_gives_the_rows_shape_and_params() -> None:
    """Each row alone, on a random input of its shape: the module's output has the row's
    output shape (TensorFlow's 'same' on a strided, dilated conv and a pool, ceil_mode,
    output_padding, a channel split of none), and its params are the row's."""
    torch = _torch()
    report = _report(EVERY_KIND)
    # every kind but the merges and global average pooling, which the zoo's graphs run
    merges = {LayerKind.ADD, LayerKind.CONCAT, LayerKind.MULTIPLY, LayerKind.GLOBAL_AVGPOOL}
    assert {row.kind for row in report.rows} == set(LayerKind) - merges
    for row in report.rows:
        mod = M.module(row).eval()
        inputs = [torch.randn(M.channels_first(shape, 2)) for shape in row.inputs]
        out = mod(*inputs)
        assert tuple(out.shape) == M.channels_first(row.output, 2), row.name
        assert sum(p.numel() for p in mod.parameters()) == row.params, row.name


def test_same_padding_is_tensorflows() -> None:
    """TensorFlow's 'same' at stride 2 on H = 8, K = 3: out = ceil(8/2) = 4, total padding
    (4 - 1) x 2 + 3 - 8 = 1, none before and 1 after (PyTorch's own 'same' refuses stride 2);
    on W = 7: out 4, total (4 - 1) x 2 + 3 - 7 = 2, 1 each side."""
    assert M._same_pads((8, 7), (3, 3), (2, 2), (1, 1)) == (1, 1, 0, 1)
    torch = _torch()
    report = _report(
        """\
        name: same
        input: [8, 7, 4]
        layers:
          - conv: {c: 6, k: 3, s: 2, bn: false, act: none}
        """
    )
    built = M.build(report)
    out = built.run(torch.randn(1, 4, 8, 7))
    assert tuple(out.shape) == (1, 6, 4, 4) == M.channels_first(report.output, 1)


# --- timing -------------------------------------------------------------------------------------

SEPARABLE = """\
name: separable
input: [28, 28, 64]
layers:
  - separable: {c: 64}
"""
STANDARD = """\
name: standard
input: [28, 28, 64]
layers:
  - conv: {c: 64, k: 3}
"""


def test_a_separable_block_and_the_standard_conv_are_timed() -> None:
    _torch()
    separable = M.measure(_report(SEPARABLE), threads=1, warmup=1, repeats=3)
    standard = M.measure(_report(STANDARD), threads=1, warmup=1, repeats=3)
    # separable: dw, bn, relu, pw, bn, relu; standard: conv, bn, relu
    assert [t.name for t in separable.rows] == [row.name for row in _report(SEPARABLE).rows]
    assert len(separable.rows) == 6 and len(standard.rows) == 3
    for measured in (separable, standard):
        assert measured.threads == 1 and measured.batch == 1 and measured.repeats == 3
        assert all(len(t.alone) == 3 and len(t.in_network) == 3 for t in measured.rows)
        assert measured.network_time is not None and len(measured.network_time.alone) == 3
        assert all(t.seconds > 0 for t in measured.rows) and measured.seconds > 0
        assert "1 thread, batch 1, median of 3 runs after 1 warm-up" in measured.conditions
    # MACs: 28*28*64*9 + 28*28*64*64 = 451,584 + 3,211,264 against 28*28*64*64*9 = 28,901,376,
    # 7.9x fewer; the measured speedup is whatever this machine gives, but it is a ratio
    speedup = standard.seconds / separable.seconds
    assert isinstance(speedup, Fraction) and speedup > 0


def test_the_table_puts_the_prediction_beside_the_measurement() -> None:
    _torch()
    measured = M.measure(_report(STANDARD), warmup=0, repeats=1)
    predicted = [Fraction(1, 1000), Fraction(2, 1000), Fraction(3, 1000)]
    table = measured.table(predicted, "host")
    keys = [c.key for c in table.columns]
    assert keys == ["name", "category", "alone_us", "in_network_us", "predicted_us", "ratio"]
    ratio = table.columns[-1]
    first = table.rows[0]
    assert ratio.value(first) == measured.rows[0].network_seconds / Fraction(1, 1000)
    assert table.columns[4].footer == 6000  # (1 + 2 + 3) ms in microseconds


def test_layer_measure_prints_r_the_predicted_and_the_measured_speedup() -> None:
    _torch()
    result = CliRunner().invoke(
        app,
        [
            "layer",
            "--k",
            "3",
            "--cin",
            "32",
            "--cout",
            "32",
            "--h",
            "16",
            "--w",
            "16",
            "--device",
            "jetson-nano",
            "--measure",
        ],
    )
    assert result.exit_code == 0, result.output
    out = result.stdout
    words = " ".join(out.split())  # titles and notes wrap at 80 columns
    assert "measured on this machine (" in words and "1 thread, batch 1, median of 20" in words
    # R = (9 + 32)/(9 * 32) = 41/288; 1/R = 288/41 = 7.02
    header = "R ┃ MACs speedup ┃ predicted speedup ┃ measured speedup"
    assert header in out and "41/288" in out and "7.02" in out
    assert "predicted: the roofline on jetson-nano" in words


def test_net_measure_json_has_a_row_per_layer() -> None:
    _torch()
    import json

    result = CliRunner().invoke(
        app, ["net", "mobilenet_v1_cifar", "--measure", "--device", "jetson-nano", "-f", "json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["title"].startswith("measured on this machine (")
    rows = data["measured"]
    assert len(rows) == 83
    assert {"name", "alone_us", "in_network_us", "predicted_us", "ratio"} <= set(rows[0])


# --- calibration --------------------------------------------------------------------------------


def test_calibrate_without_torch_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(M, "torch_missing", lambda: True)
    result = CliRunner().invoke(app, ["calibrate", "-o", "host.yaml"])
    assert result.exit_code == 1
    assert result.stderr == "error: calibrate needs PyTorch: pip install 'convcost[measure]'\n"


def test_calibrate_writes_a_profile_the_loader_reads(tmp_path: Path) -> None:
    _torch()
    from convcost.devices import ROW_KINDS, load_device

    path = tmp_path / "host.yaml"
    result = CliRunner().invoke(app, ["calibrate", "--threads", "1", "-o", str(path)])
    assert result.exit_code == 0, result.output
    text = path.read_text(encoding="utf-8")
    host = load_device(str(path))
    assert host.name == "host"
    assert host.peak_gflops["fp32"] > 0 and host.bandwidth_gbs > 0
    # an overhead per row kind, each measured on tiny maps
    assert isinstance(host.overhead_us, dict) and set(host.overhead_us) == set(ROW_KINDS)
    assert all(value > 0 for value in host.overhead_us.values())
    kinds = {**host.efficiency, **host.memory_efficiency}
    assert set(kinds) <= set(ROW_KINDS) and {"conv", "pointwise", "depthwise"} <= set(kinds)
    assert all(0 < value <= 1 for value in kinds.values())
    assert "measured on this machine" in text and "--threads 1" in text


def test_the_latency_benchmark_runs_on_a_small_network(capsys: pytest.CaptureFixture[str]) -> None:
    _torch()
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import bench_latency
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    assert bench_latency.main(["--networks", "mobilenet_v1_cifar", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "| mobilenet_v1_cifar | 83 |" in out
    assert "| network | rows | measured ms | predicted ms | error | row error (median) |" in out
    assert "Within 25%:" in out
