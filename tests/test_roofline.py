"""The roofline model (analysis/roofline.py) on hand-computed rows, the must-show check of
mobilenet_v1 on jetson-nano, the layer comparison's predicted speedup, and the command line."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from convcost import cli, spec
from convcost.analysis.memory import memory
from convcost.analysis.roofline import estimate, layer_roofline, roofline, row_kind, traffic
from convcost.analysis.separable import compare
from convcost.devices import load_device, loads_device
from convcost.errors import ConvcostError
from convcost.network import Variant, walk

NANO = load_device("jetson-nano")
# Jetson Nano: 128 cores x 2 FLOPs x 921.6 MHz = 235.9296 GFLOP/s; 25.6 GB/s
PEAK = 128 * 2 * 921_600_000
BANDWIDTH = 25_600_000_000
RIDGE = Fraction(PEAK, BANDWIDTH)  # 9.216 FLOPs per byte


def test_one_row_by_hand() -> None:
    """block1.dw of MobileNet: 3x3 depthwise on 112x112x32 at fp32, batch 1."""
    flops = 2 * 112 * 112 * 32 * 9  # 7,225,344
    moved = 288 * 4 + 2 * 112 * 112 * 32 * 4  # weights + input + output = 3,212,416 bytes
    row = estimate("block1.dw", "depthwise", flops, moved, NANO, "fp32")
    assert row.compute_time == Fraction(7_225_344, PEAK)  # 30.625 us
    assert row.memory_time == Fraction(3_212_416, BANDWIDTH)  # 125.485 us
    assert row.time == Fraction("0.000125485")
    assert row.bound == "memory"
    assert row.intensity == Fraction(7_225_344, 3_212_416)  # 2.249 < 9.216
    # attainable = intensity x bandwidth: 2.249 x 25.6 = 57.58 GFLOP/s
    assert row.attainable == row.intensity * BANDWIDTH


def test_overhead_and_efficiencies() -> None:
    device = loads_device(
        "name: d\ndescription: d\npeak_gflops: {fp32: 100}\nbandwidth_gbs: 10\n"
        "overhead_us: 5\nefficiency: {conv: 0.5}\nmemory_efficiency: {conv: 0.8}\n"
    )
    # compute 1e9 FLOPs / (100e9 x 0.5) = 20 ms; memory 1e8 B / (10e9 x 0.8) = 12.5 ms
    row = estimate("x", "conv", 10**9, 10**8, device, "fp32")
    assert row.compute_time == Fraction(20, 1000)
    assert row.memory_time == Fraction(125, 10_000)
    assert row.time == Fraction(20, 1000) + Fraction(5, 10**6)
    assert row.bound == "compute"
    assert row.attainable == 50 * 10**9
    # a view moves nothing: only the overhead, bound by neither
    view = estimate("flatten", "elementwise", 0, 0, device, "fp32")
    assert (view.time, view.bound, view.attainable) == (Fraction(5, 10**6), "none", None)


def test_an_overhead_per_row_kind() -> None:
    device = loads_device(
        "name: d\ndescription: d\npeak_gflops: {fp32: 100}\nbandwidth_gbs: 10\n"
        "overhead_us: {depthwise: 80, elementwise: 4}\n"
    )
    # depthwise: 2e6 FLOPs / 100e9 = 20 us; 1e6 B / 10e9 = 100 us; 80 + 100 = 180 us
    dw = estimate("dw", "depthwise", 2 * 10**6, 10**6, device, "fp32")
    assert (dw.compute_time, dw.memory_time) == (Fraction(20, 10**6), Fraction(100, 10**6))
    assert dw.time == Fraction(180, 10**6) and dw.bound == "memory"
    # the attainable rate leaves the overhead out: 2e6 FLOPs / 100 us = 20 GFLOP/s
    assert dw.attainable == 20 * 10**9
    # elementwise: 4 us + 1e5 B / 10e9 = 4 + 10 = 14 us; a view: the overhead alone
    assert estimate("relu", "elementwise", 0, 10**5, device, "fp32").time == Fraction(14, 10**6)
    assert estimate("flatten", "elementwise", 0, 0, device, "fp32").time == Fraction(4, 10**6)
    # a kind the mapping does not name has none: conv 1e9 FLOPs / 100e9 = 10 ms, no more
    assert estimate("c", "conv", 10**9, 10**6, device, "fp32").time == Fraction(1, 100)


def test_weights_at_their_own_rate() -> None:
    device = loads_device(
        "name: d\ndescription: d\npeak_gflops: {fp32: 100}\nbandwidth_gbs: 10\n"
        "memory_efficiency: {pointwise: 0.5}\nweight_efficiency: {pointwise: 0.2}\n"
    )
    # 4e6 B of weights at 10e9 x 0.2 = 2 ms; the other 1e6 B at 10e9 x 0.5 = 0.2 ms;
    # compute 1e6 FLOPs / 100e9 = 10 us: memory-bound, 2.2 ms
    row = estimate("pw", "pointwise", 10**6, 5 * 10**6, device, "fp32", 4 * 10**6)
    assert row.memory_time == Fraction(2, 1000) + Fraction(2, 10_000)
    assert (row.time, row.bound) == (Fraction(22, 10_000), "memory")
    # no weight_efficiency for a kind: its weights move at its memory_efficiency (1 here)
    fc = estimate("fc", "linear", 0, 5 * 10**6, device, "fp32", 4 * 10**6)
    assert fc.memory_time == Fraction(5 * 10**6, 10 * 10**9)


def test_mobilenet_v1_on_jetson_nano() -> None:
    """The must-show check: at batch 1, fp32, every depthwise row of mobilenet_v1 is
    memory-bound and every pointwise row compute-bound on a Jetson Nano (ridge 9.216).

    block1.dw: FLOPs 2 x 112 x 112 x 32 x 9 = 7,225,344; bytes 4 x (288 + 2 x 112 x 112 x 32)
    = 3,212,416; intensity 2.25 < 9.216. block1.pw: FLOPs 2 x 112 x 112 x 32 x 64 =
    51,380,224; bytes 4 x (32 x 64 + 112 x 112 x 32 + 112 x 112 x 64) = 4,825,088; intensity
    10.65 > 9.216. Each row is checked with its own shapes below, the same way.
    """
    report = walk(spec.load("mobilenet_v1"))
    result = roofline(report, NANO, "fp32", 1)
    by_name = {row.name: row for row in result.rows}
    assert by_name["block1.dw"].flops == 7_225_344
    assert by_name["block1.dw"].traffic == 3_212_416
    assert by_name["block1.pw"].flops == 51_380_224
    assert by_name["block1.pw"].traffic == 4_825_088
    assert float(by_name["block1.pw"].intensity) == pytest.approx(10.6486, abs=1e-4)
    kinds = {"depthwise": 0, "pointwise": 0}
    for layer, row in zip(report.rows, result.rows, strict=True):
        (h, w, c), (ho, wo, co) = layer.inputs[0], layer.output
        if row.kind == "depthwise":
            flops = 2 * ho * wo * c * 9
            moved = 4 * (9 * c + h * w * c + ho * wo * co)
            assert Fraction(flops, moved) < RIDGE
            assert row.bound == "memory", row.name
        elif row.kind == "pointwise":
            flops = 2 * h * w * c * co
            moved = 4 * (c * co + h * w * c + ho * wo * co)
            assert Fraction(flops, moved) > RIDGE
            assert row.bound == "compute", row.name
        elif row.kind == "elementwise":  # BatchNorm and ReLU: no MACs, bytes only
            assert row.bound == "memory" and row.flops == 0, row.name
        else:
            continue
        if row.kind in kinds:
            assert (row.flops, row.traffic) == (flops, moved)
            kinds[row.kind] += 1
    assert kinds == {"depthwise": 13, "pointwise": 13}
    assert result.time == sum(row.time for row in result.rows)
    assert result.share("compute") + result.share("memory") == 1


def test_row_kinds() -> None:
    rows = {row.name: row_kind(row) for row in walk(spec.load("resnet18")).rows}
    assert rows["conv1"] == "conv"
    # the stem's 3x3 max pool; the head's global average pool, a kind of its own
    assert (rows["pool1"], rows["pool2"]) == ("pool", "global_pool")
    assert rows["conv2_x.1.conv1"] == "conv"
    assert rows["fc1"] == "linear"
    assert rows["conv2_x.1.add"] == rows["conv1.bn"] == "elementwise"
    assert "pointwise" in rows.values()  # the 1x1 projection shortcuts
    shuffle = {row_kind(row) for row in walk(spec.load("resnext50_32x4d")).rows}
    assert "grouped" in shuffle


def test_traffic_is_memorys() -> None:
    """The layer's helper counts bytes as analysis.memory does, row by row."""
    report = walk(spec.load("mobilenet_v2"))
    bytes_of = memory(report, "fp16", 3)
    for row, moved in list(zip(report.rows, bytes_of.rows, strict=True))[:20]:
        if row.kind.value in ("flatten", "dropout") or len(row.inputs) > 1:
            continue
        inputs = row.inputs[0][0] * row.inputs[0][1] * row.inputs[0][2]
        output = row.output[0] * row.output[1] * row.output[2]
        assert traffic(row.params, row.buffers, inputs, output, "fp16", 3) == moved.traffic


def test_the_layer_on_jetson_nano() -> None:
    """3x3, 256 -> 256 at 56x56, stride 1, fp32 on a Jetson Nano.

    standard: FLOPs 2 x 56 x 56 x 256 x 256 x 9 = 3,699,376,128 / 235.9296e9 = 15.68 ms;
    bytes 4 x (589,824 + 2 x 802,816) = 8,781,824 / 25.6e9 = 0.343 ms: compute-bound.
    depthwise: FLOPs 14,450,688 -> 61.25 us; bytes 4 x (2,304 + 2 x 802,816) = 6,431,744 ->
    251.24 us: memory-bound. pointwise: FLOPs 411,041,792 -> 1.742 ms; bytes 4 x (65,536 +
    2 x 802,816) = 6,684,672 -> 261.12 us: compute-bound. separable = 251.24 us + 1.742 ms.
    Predicted speedup 15.68 / 1.993 = 7.87, where R = 265/2304 promises 1/R = 8.69.
    """
    result = layer_roofline(compare(k=3, cin=256, cout=256, h=56, w=56), NANO)
    standard, depthwise, pointwise, separable = result.rows
    assert standard.time == Fraction(3_699_376_128, PEAK) == Fraction("0.01568")
    assert standard.bound == "compute" and standard.traffic == 8_781_824
    assert depthwise.time == Fraction(6_431_744, BANDWIDTH) == Fraction("0.00025124")
    assert depthwise.bound == "memory"
    assert pointwise.time == Fraction(411_041_792, PEAK)
    assert pointwise.bound == "compute" and pointwise.traffic == 6_684_672
    assert separable.time == depthwise.time + pointwise.time
    assert result.speedup == Fraction("0.01568") / (
        Fraction("0.00025124") + Fraction(411_041_792, PEAK)
    )
    assert float(result.speedup) == pytest.approx(7.8657, abs=1e-4)
    assert result.comparison.macs_ratio == Fraction(265, 2304)


def test_a_symbolic_layer_has_no_time() -> None:
    with pytest.raises(ConvcostError) as caught:
        layer_roofline(compare(k=3, cin=256, cout=256), NANO)
    assert (
        str(caught.value) == "--device: a roofline needs numbers: give --cin, --cout, --h and --w"
    )


# --- the command line --------------------------------------------------------------------

LAYER = ["layer", "--k", "3", "--cin", "256", "--cout", "256", "--h", "56", "--w", "56"]
FORMATS = {"table": "txt", "csv": "csv", "markdown": "md", "json": "json", "latex": "tex"}


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli.app, list(args))


def test_layer_prints_r_and_the_predicted_speedup_side_by_side() -> None:
    """R = 265/2304 (1/R = 8.69) and the predicted speedup 15.68 / 1.993 = 7.87 (see
    test_the_layer_on_jetson_nano) on one row of one table, where --measure adds its own."""
    result = _run(*LAYER, "--device", "jetson-nano")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    head = lines.index("Separable over standard")
    assert "R" in lines[head + 2] and "predicted speedup" in lines[head + 2]
    row = lines[head + 4]
    assert "265/2304" in row and "8.69" in row and "3528000/448529" in row and "7.87" in row
    assert Fraction(3528000, 448529) == Fraction("0.01568") / (
        Fraction("0.00025124") + Fraction(411_041_792, PEAK)
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_layer_on_a_device_in_every_format(fmt: str, golden: Callable[[str, str], None]) -> None:
    result = _run(*LAYER, "--device", "jetson-nano", "-f", fmt)
    assert result.exit_code == 0, result.output
    golden(f"roofline/layer_3x3_256_56_jetson_nano.{FORMATS[fmt]}", result.stdout)


@pytest.mark.parametrize("fmt", FORMATS)
def test_devices_in_every_format(fmt: str, golden: Callable[[str, str], None]) -> None:
    result = _run("devices", "-f", fmt)
    assert result.exit_code == 0, result.output
    golden(f"roofline/devices.{FORMATS[fmt]}", result.stdout)


def test_net_on_a_device() -> None:
    result = _run("net", "mobilenet_v1", "--device", "jetson-nano", "-f", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    rows = {row["name"]: row for row in data["roofline"]}
    assert rows["block1.dw"]["bound"] == "memory"
    assert rows["block1.pw"]["bound"] == "compute"
    assert rows["block1.dw"]["time_us"]["exact"] == str(Fraction(3_212_416, BANDWIDTH) * 10**6)
    totals = data["roofline_totals"]
    expected = roofline(walk(spec.load("mobilenet_v1")), NANO).time * 1000
    assert totals["time_ms"]["exact"] == str(expected)
    csv_rows = _run("net", "mobilenet_v1", "--device", "jetson-nano", "-f", "csv").stdout
    assert csv_rows.splitlines()[0] == "name,kind,flops,traffic,intensity,gflops,bound,time_us"
    total = _run("net", "mobilenet_v1", "--device", "jetson-nano", "-f", "csv", "--totals")
    assert total.stdout.splitlines()[0] == (
        "device,dtype,batch,time_ms,compute_share,memory_share,ridge"
    )


def test_net_dtype_and_batch_on_a_device() -> None:
    """fp16 on the Jetson Nano: twice the peak, half the bytes; batch 2 doubles the rows'
    activations and FLOPs (the weights are read once)."""
    result = _run(
        "net", "mobilenet_v1", "--device", "jetson-nano", "--dtype", "fp16", "--batch", "2",
        "-f", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.stdout)["roofline"]}
    # block1.dw at fp16, batch 2: 288 x 2 + 2 x 2 x 2 x 112 x 112 x 32 bytes
    assert rows["block1.dw"]["traffic"] == 288 * 2 + 2 * 2 * 2 * 112 * 112 * 32
    assert rows["block1.dw"]["flops"] == 2 * 7_225_344


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["net", "mobilenet_v1", "--device", "pixel-1", "--dtype", "fp16"],
            2,
            "error: Invalid value for '--dtype': pixel-1 has no peak for fp16; it has fp32\n",
        ),
        (
            ["net", "mobilenet_v1", "--device", "jetson-nano", "--memory"],
            2,
            "error: Invalid value for '--memory': does not go with --device, whose table has "
            "every row\n",
        ),
        (
            [*LAYER[:-2], "--w", "56,112", "--device", "jetson-nano"],
            2,
            "error: Invalid value for '--device': times one layer: give one value for each "
            "dimension\n",
        ),
        (
            [*LAYER, "--dtype", "fp16"],
            2,
            "error: Invalid value for '--dtype': sets what a device moves and computes; add "
            "--device\n",
        ),
        (
            ["layer", "--k", "3", "--device", "jetson-nano"],
            2,
            "error: Invalid value for '--device': a roofline needs numbers: give --cin, --cout, "
            "--h and --w\n",
        ),
        (
            ["net", "mobilenet_v1", "--device", "jetson-nanoo"],
            1,
            "error: jetson-nanoo: no such file, and no shipped device of that name; did you "
            "mean 'jetson-nano'? (shipped: jetson-nano, jetson-orin-nano, nvidia-a100, "
            "nvidia-h100, pixel-1, raspberry-pi-4, snapdragon-8-gen-2, xeon-8380-core)\n",
        ),
    ],
    ids=["no-fp16", "with-memory", "grid", "dtype-alone", "symbolic", "unknown-device"],
)
def test_bad_device_flags(args: list[str], code: int, message: str) -> None:
    result = _run(*args)
    assert (result.exit_code, result.stderr, result.stdout) == (code, message, "")


def test_the_roofline_plot(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    target = tmp_path / "roofline.svg"
    result = _run("net", "mobilenet_v1", "--device", "jetson-nano", "--plot", str(target))
    assert result.exit_code == 0, result.output
    svg = target.read_text()
    assert 'id="roof"' in svg
    assert "depthwise" in svg and "pointwise" in svg


DOC = Path(__file__).resolve().parent.parent / "docs" / "hardware.md"


def test_docs_hardware_md() -> None:
    """docs/hardware.md's console examples print exactly what the page shows."""
    blocks = re.findall(r"```console\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 3
    for block in blocks:
        command, _, expected = block.partition("\n")
        assert command.startswith("$ convcost ")
        result = CliRunner().invoke(cli.app, command.split()[2:], env={"COLUMNS": "80"})
        assert result.exit_code == 0, result.output
        assert result.stdout == expected, command


def test_docs_pixel_1_table() -> None:
    """The Pixel 1 comparison: each predicted time and its ratio to the MobileNetV2 paper's
    Table 4 (113, 75 and 143 ms on one large core), as docs/hardware.md states them."""
    pixel = load_device("pixel-1")
    text = DOC.read_text(encoding="utf-8")
    for name, alpha, paper, label in [
        ("mobilenet_v1", None, 113, "MobileNet V1"),
        ("mobilenet_v2", None, 75, "MobileNetV2"),
        ("mobilenet_v2", Fraction(7, 5), 143, "MobileNetV2 (1.4)"),
    ]:
        report = walk(spec.load(name), Variant(alpha, None))
        ms = roofline(report, pixel).time * 1000
        row = f"| {label} | {report.totals.macs:,} | {paper} | {float(ms):.2f} | "
        assert row + f"{float(ms / paper):.2f} |" in text
    mine = loads_device(
        "name: m\ndescription: m\npeak_gflops: {fp32: 10.4}\nbandwidth_gbs: 29.86\n"
    )
    v1 = roofline(walk(spec.load("mobilenet_v1")), mine).time * 1000
    v2 = roofline(walk(spec.load("mobilenet_v2")), mine).time * 1000
    assert f"{float(v1):.1f} ms for V1" in text and f"{float(v2):.1f} ms for V2" in text
