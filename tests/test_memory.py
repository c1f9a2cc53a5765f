"""Memory (issue 16, item 1): bytes of weights and activations, each layer's traffic, and the
peak activation memory, against figures worked out by hand from the papers' shapes and
against a brute-force recomputation of the peak on every shipped spec."""

from __future__ import annotations

import csv
import io
import json
import time
from fractions import Fraction
from typing import Any

import pytest
from test_report import GoldenCheck
from typer.testing import CliRunner

from convcost import cli, formulas, spec
from convcost.analysis.memory import IN_PLACE, VIEWS, Memory, memory
from convcost.errors import ConvcostError
from convcost.formulas import DType
from convcost.network import Report, walk

FP32 = 4  # bytes per value


def _memory(name: str, **options: object) -> Memory:
    return memory(walk(spec.load(name)), **options)  # type: ignore[arg-type]


def _row(result: Memory, name: str) -> tuple[int, int, int, int, int, int]:
    (row,) = [r for r in result.rows if r.name == name]
    return row.weights, row.inputs, row.output, row.traffic, row.flops, row.live


# --- MobileNet V1 at fp32: the shapes of the paper's Table 1 ---------------------------------


def test_mobilenet_v1_model_size_includes_batchnorm_running_statistics() -> None:
    # params 4,231,976 (torchvision's count, tests/test_zoo.py) + buffers 21,888 (BatchNorm
    # running mean and variance over 10,944 channels: 2 x 10,944), 4 bytes each.
    result = _memory("mobilenet_v1")
    assert result.model_bytes == (4_231_976 + 21_888) * 4 == 17_015_456
    assert result.dtype == "fp32" and result.batch == 1 and not result.in_place
    assert result.input_bytes == 224 * 224 * 3 * 4 == 602_112


def test_mobilenet_v1_activation_sizes_from_table_1() -> None:
    # Table 1: Conv / s2 -> 112x112x32; Conv dw / s1 -> 112x112x32; Conv / s1 (1x1) ->
    # 112x112x64; Conv dw / s2 -> 56x56x64; ...; Avg Pool 7x7 -> 1x1x1024; FC -> 1x1x1000.
    result = _memory("mobilenet_v1")
    output = {row.name: row.output for row in result.rows}
    assert output["conv1"] == 112 * 112 * 32 * FP32 == 1_605_632
    assert output["block1.dw"] == 112 * 112 * 32 * FP32 == 1_605_632
    assert output["block1.pw"] == 112 * 112 * 64 * FP32 == 3_211_264
    assert output["block2.dw"] == 56 * 56 * 64 * FP32 == 802_816
    assert output["block2.pw"] == 56 * 56 * 128 * FP32 == 1_605_632
    assert output["block4.pw"] == 28 * 28 * 256 * FP32 == 802_816
    assert output["block6.pw"] == 14 * 14 * 512 * FP32 == 401_408
    assert output["block13.pw"] == 7 * 7 * 1024 * FP32 == 200_704
    assert output["pool1"] == 1 * 1 * 1024 * FP32 == 4_096
    assert output["fc1"] == 1000 * FP32 == 4_000
    # A BatchNorm and a ReLU write what they read.
    assert output["conv1.bn"] == output["conv1.relu"] == output["conv1"]


def test_mobilenet_v1_traffic_of_block1() -> None:
    # block1.dw: a 3x3 depthwise conv over 112x112x32, no bias: weights 3*3*32 = 288 values;
    # reads 112*112*32, writes 112*112*32; MACs 112*112*32*9 = 3,612,672, FLOPs twice that.
    dw_weights = 3 * 3 * 32 * FP32  # 1,152
    dw_in = dw_out = 112 * 112 * 32 * FP32  # 1,605,632
    dw_flops = 2 * 112 * 112 * 32 * 9  # 7,225,344
    dw_traffic = dw_weights + dw_in + dw_out
    assert dw_traffic == 3_212_416
    result = _memory("mobilenet_v1")
    assert _row(result, "block1.dw")[:5] == (dw_weights, dw_in, dw_out, dw_traffic, dw_flops)
    # block1.pw: a 1x1 conv 32 -> 64 at 112x112: weights 32*64 = 2,048 values; reads
    # 112*112*32, writes 112*112*64; MACs 112*112*32*64 = 25,690,112.
    pw_weights = 32 * 64 * FP32  # 8,192
    pw_in, pw_out = 112 * 112 * 32 * FP32, 112 * 112 * 64 * FP32
    pw_flops = 2 * 112 * 112 * 32 * 64  # 51,380,224
    pw_traffic = pw_weights + pw_in + pw_out
    assert pw_traffic == 4_825_088
    assert _row(result, "block1.pw")[:5] == (pw_weights, pw_in, pw_out, pw_traffic, pw_flops)
    # Arithmetic intensity: the depthwise layer does about 2.25 FLOPs a byte, the pointwise
    # about 10.6 (issue 16's "why 9x fewer MACs is not 9x faster").
    (dw,) = [r for r in result.rows if r.name == "block1.dw"]
    (pw,) = [r for r in result.rows if r.name == "block1.pw"]
    assert dw.intensity == Fraction(7_225_344, 3_212_416)
    assert pw.intensity == Fraction(51_380_224, 4_825_088)
    assert round(float(dw.intensity), 2) == 2.25 and round(float(pw.intensity), 2) == 10.65


def test_mobilenet_v1_totals_are_the_sums_of_the_rows() -> None:
    result = _memory("mobilenet_v1")
    assert result.traffic == sum(r.weights + r.inputs + r.output for r in result.rows)
    assert result.flops == 2 * 568_740_352  # tests/test_zoo.py's MACs
    assert result.peak_bytes == max(r.live for r in result.rows)
    # block1.pw.bn holds block1.pw's output 112x112x64 and its own: 2 x 3,211,264.
    assert (result.peak_bytes, result.peak_at) == (2 * 112 * 112 * 64 * FP32, "block1.pw.bn")


# --- peaks by hand: residual buffers ---------------------------------------------------------


def test_resnet18_peak_by_hand() -> None:
    # conv1 (7x7/2) writes 112x112x64 = 802,816 values; while conv1.bn runs, conv1's output
    # and its own are both held (the 224x224x3 input was freed after conv1):
    # 2 x 802,816 x 4 = 6,422,528. The ReLU after it holds as much; the peak is the first.
    result = _memory("resnet18")
    stem = 112 * 112 * 64 * FP32
    assert (result.peak_bytes, result.peak_at) == (2 * stem, "conv1.bn") == (6_422_528, "conv1.bn")
    # conv1 itself: its input 224x224x3 and its output.
    assert _row(result, "conv1")[5] == 224 * 224 * 3 * FP32 + stem == 3_813_376
    # A basic block at 56x56x64 holds its input x until the add reads it as the shortcut:
    # while conv1.bn runs, x + conv1's output + bn's output = 3 x 56x56x64x4 = 2,408,448.
    x = 56 * 56 * 64 * FP32  # 802,816
    assert _row(result, "conv2_x.1.conv1")[5] == 2 * x  # x and conv1's output
    assert _row(result, "conv2_x.1.conv1.bn")[5] == 3 * x == 2_408_448
    # The add reads the body's output and x, and writes one more: 3 x 802,816.
    assert _row(result, "conv2_x.1.add")[2:4] == (x, 2 * x + x)
    assert _row(result, "conv2_x.1.add")[5] == 3 * x
    # After the add x is freed: the ReLU holds the add's output and its own.
    assert _row(result, "conv2_x.1.relu")[5] == 2 * x
    # A downsampling block (conv3_x.1): x (56x56x64) is held for the 1x1 downsample conv,
    # which runs after the body; while conv1.bn runs: x + 2 x 28x28x128.
    y = 28 * 28 * 128 * FP32  # 401,408
    assert _row(result, "conv3_x.1.conv1.bn")[5] == x + 2 * y == 1_605_632
    # The downsample conv reads x and writes y while the body's output y is held.
    assert _row(result, "conv3_x.1.downsample")[5] == x + 2 * y


def test_mobilenet_v2_peak_by_hand() -> None:
    # block2 (t=6, c=24, s=2) expands block1's 112x112x16 to 112x112x96; while its BatchNorm
    # runs, the expansion and the BN's output are held: 2 x 112x112x96 x 4 = 9,633,792.
    # block2's input is not held (stride 2: no residual), and was freed after the expansion.
    result = _memory("mobilenet_v2")
    wide = 112 * 112 * 96 * FP32  # 4,816,896
    assert (result.peak_bytes, result.peak_at) == (2 * wide, "block2.expand.bn")
    assert result.peak_bytes == 9_633_792
    assert _row(result, "block2.expand")[5] == 112 * 112 * 16 * FP32 + wide  # in and out


def test_mobilenet_v2_inverted_residual_holds_its_input_until_the_add() -> None:
    # block3 (t=6, c=24, s=1 at 56x56): input x = 56x56x24, expanded to 56x56x144. x is read
    # again by block3.add, so it is held through the whole block.
    result = _memory("mobilenet_v2")
    x = 56 * 56 * 24 * FP32  # 301,056
    e = 56 * 56 * 144 * FP32  # 1,806,336
    assert _row(result, "block3.expand")[5] == x + e  # reads x, writes e
    assert _row(result, "block3.expand.bn")[5] == x + 2 * e == 3_913_728
    assert _row(result, "block3.expand.relu6")[5] == x + 2 * e
    assert _row(result, "block3.dw")[5] == x + 2 * e
    assert _row(result, "block3.project")[5] == x + e + x == 2_408_448  # x, dw's e, out
    assert _row(result, "block3.project.bn")[5] == 3 * x
    # The add reads the projection's BN output and x, and writes a third 56x56x24.
    assert _row(result, "block3.add")[1:3] == (2 * x, x)
    assert _row(result, "block3.add")[5] == 3 * x == 903_168
    # block4 (s=2) reads block3's output and frees it after the expansion: x + e, then 2e.
    assert _row(result, "block4.expand")[5] == x + e
    assert _row(result, "block4.expand.bn")[5] == 2 * e


def test_in_place_writes_into_the_input_nothing_reads_later() -> None:
    # In place, a ReLU writes into its BatchNorm's output: while it runs only one 112x112x64
    # is held (resnet18's conv1.relu), and the add of a basic block writes into the body's
    # output, so conv2_x.1.add holds two 56x56x64 instead of three.
    stem = 112 * 112 * 64 * FP32
    x = 56 * 56 * 64 * FP32
    result = _memory("resnet18", in_place=True)
    assert _row(result, "conv1.relu")[5] == stem
    assert _row(result, "conv2_x.1.add")[5] == 2 * x
    # conv1.bn still holds conv1's output and its own: the peak does not move.
    assert (result.peak_bytes, result.peak_at) == (2 * stem, "conv1.bn")
    # Traffic is not changed by where a layer writes.
    assert result.traffic == _memory("resnet18").traffic


# --- brute force: the peak by its definition, in O(n^2) --------------------------------------


def _naive_live(report: Report, in_place: bool) -> list[int]:
    """Each row's live bytes at fp32, batch 1, straight from the definition: the bytes of every
    buffer created at or before the row and read at or after it, and the row's own output; the
    network's input while it is read, the network's output to the end. A view's output is
    its input's buffer; in place, an activation or add whose first input's buffer no later row
    reads (and which is not the network's output) writes into that buffer."""
    rows = report.rows
    end = len(rows)
    output = rows[-1].tensor

    def elements(shape: tuple[int, ...]) -> int:
        count = 1
        for side in shape:
            count *= side
        return count

    buffer = {0: 0}  # tensor -> the tensor whose storage it lives in
    size = {0: elements(report.input) * FP32}
    born = {0: -1}

    def readers(b: int) -> list[int]:
        found = [j for j, row in enumerate(rows) if any(buffer.get(t) == b for t in row.tensors)]
        return [*found, end] if buffer.get(output) == b else found

    for i, row in enumerate(rows):
        first = buffer[row.tensors[0]]
        if row.kind in VIEWS or (
            in_place and row.kind in IN_PLACE and all(j <= i for j in readers(first))
        ):
            buffer[row.tensor] = first
        else:
            buffer[row.tensor] = row.tensor
            size[row.tensor] = elements(row.output) * FP32
            born[row.tensor] = i
    last = {b: max(readers(b), default=-1) for b in size}
    return [
        sum(size[b] for b in size if born[b] == i or (born[b] < i <= last[b]))
        for i in range(len(rows))
    ]


@pytest.mark.parametrize("in_place", [False, True], ids=["copies", "in_place"])
@pytest.mark.parametrize("name", spec.zoo_names())
def test_live_bytes_match_brute_force(name: str, in_place: bool) -> None:
    report = walk(spec.load(name))
    result = memory(report, in_place=in_place)
    naive = _naive_live(report, in_place)
    assert [row.live for row in result.rows] == naive
    assert result.peak_bytes == max(naive)
    assert result.peak_at == report.rows[naive.index(max(naive))].name
    if in_place:
        assert result.peak_bytes <= memory(report).peak_bytes


def test_views_move_nothing_and_hold_no_buffer_of_their_own() -> None:
    # vgg16: flatten (7x7x512 -> 25,088) and dropout at inference read their input as it is.
    result = _memory("vgg16")
    report = walk(spec.load("vgg16"))
    views = [m for m, r in zip(result.rows, report.rows, strict=True) if r.kind in VIEWS]
    assert views and all(v.traffic == 0 for v in views)
    flatten = [m for m, r in zip(result.rows, report.rows, strict=True) if r.type == "flatten"]
    assert [(f.inputs, f.output, f.live) for f in flatten] == [(25_088 * 4, 25_088 * 4, 25_088 * 4)]


# --- dtype and batch -------------------------------------------------------------------------


@pytest.mark.parametrize(("dtype", "size"), [("fp32", 4), ("fp16", 2), ("bf16", 2), ("int8", 1)])
def test_bytes_scale_by_dtype_size(dtype: str, size: int) -> None:
    report = walk(spec.load("mobilenet_v2"))
    base, scaled = memory(report), memory(report, dtype=dtype)
    assert DType(dtype).size == size
    for a, b in zip(base.rows, scaled.rows, strict=True):
        assert (b.weights, b.inputs, b.output, b.traffic, b.live) == (
            a.weights * size // 4,
            a.inputs * size // 4,
            a.output * size // 4,
            a.traffic * size // 4,
            a.live * size // 4,
        )
        assert b.flops == a.flops  # FLOPs are counted, not stored
    assert scaled.model_bytes == (3_504_872 + 34_112) * size  # torchvision's params + buffers
    assert scaled.peak_bytes == 2 * 112 * 112 * 96 * size


def test_batch_scales_activations_and_flops_not_weights() -> None:
    # At batch N every activation is N times larger and every layer does N times the FLOPs;
    # the weights are read once for the batch. So a layer without weights (a ReLU) keeps its
    # intensity, and one with weights gains: block1.pw of mobilenet_v1 at N = 8 does
    # 8 x 51,380,224 FLOPs over 8,192 + 8 x (1,605,632 + 3,211,264) bytes.
    report = walk(spec.load("mobilenet_v1"))
    one, eight = memory(report), memory(report, batch=8)
    for a, b in zip(one.rows, eight.rows, strict=True):
        assert (b.weights, b.inputs, b.output, b.live, b.flops) == (
            a.weights,
            8 * a.inputs,
            8 * a.output,
            8 * a.live,
            8 * a.flops,
        )
        assert b.traffic == a.weights + 8 * (a.inputs + a.output)
    assert eight.model_bytes == one.model_bytes
    assert eight.peak_bytes == 8 * one.peak_bytes
    (pw,) = [r for r in eight.rows if r.name == "block1.pw"]
    assert pw.intensity == Fraction(8 * 51_380_224, 8_192 + 8 * (1_605_632 + 3_211_264))
    assert pw.intensity > next(r for r in one.rows if r.name == "block1.pw").intensity  # type: ignore[operator]
    (relu,) = [r for r in eight.rows if r.name == "block1.pw.relu"]
    assert relu.flops == 0 and relu.intensity == Fraction(0)


def test_bytes_formula() -> None:
    assert formulas.tensor_bytes(112 * 112 * 32, 4) == 1_605_632
    assert formulas.tensor_bytes(112 * 112 * 32, 2, batch=8) == 8 * 802_816


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"dtype": "fp64"}, "dtype: 'fp64' is not one of fp32, fp16, bf16, int8"),
        ({"dtype": 4}, "dtype: int is not one of fp32, fp16, bf16, int8"),
        ({"batch": 0}, "batch: expected a batch of 1 to 65,536, got 0"),
        ({"batch": 65_537}, "batch: expected a batch of 1 to 65,536, got 65537"),
        ({"batch": True}, "batch: expected a batch of 1 to 65,536, got True"),
        ({"batch": 2.0}, "batch: expected a batch of 1 to 65,536, got 2.0"),
    ],
)
def test_bad_arguments_name_the_field(options: dict[str, object], message: str) -> None:
    with pytest.raises(ConvcostError) as raised:
        memory(walk(spec.load("resnet18_cifar")), **options)  # type: ignore[arg-type]
    assert str(raised.value) == message


def test_memory_is_linear_in_the_rows() -> None:
    """Scaling by slope (STYLE.md, Tests): 8 times the rows take well under 8^2 = 64 times as
    long; a chain of residual blocks, each holding its input to its add."""

    def timed(blocks: int) -> float:
        text = f"""\
name: chain
input: [4, 4, 8]
layers:
  - residual: {{layers: [{{conv: {{c: 8}}}}], n: {blocks}}}
"""
        report = walk(spec.loads(text))
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            memory(report)
            best = min(best, time.perf_counter() - start)
        return best

    small, large = timed(1_000), timed(8_000)
    assert large / small < 24


# --- convcost net SPEC --memory --------------------------------------------------------------

runner = CliRunner()


def _run(*args: str) -> Any:
    return runner.invoke(cli.app, ["net", *args], env={"COLUMNS": "80"})


def test_cli_memory_golden_table_and_csv(golden: GoldenCheck) -> None:
    table = _run("mobilenet_v1", "--memory")
    assert table.exit_code == 0 and table.stderr == ""
    assert all(len(line) <= 80 for line in table.stdout.splitlines() if line.startswith(("┃", "│")))
    golden("cli/net_mobilenet_v1_memory.txt", table.stdout)
    data = _run("mobilenet_v1", "--memory", "-f", "csv")
    assert data.exit_code == 0 and data.stderr == ""
    golden("cli/net_mobilenet_v1_memory.csv", data.stdout)


def test_cli_memory_csv_and_json_hold_the_exact_figures() -> None:
    rows = list(csv.DictReader(io.StringIO(_run("mobilenet_v1", "--memory", "-f", "csv").stdout)))
    by_name = {row["name"]: row for row in rows}
    assert by_name["block1.dw"]["traffic"] == str(1_152 + 2 * 1_605_632)
    assert by_name["block1.dw"]["intensity"] == str(Fraction(7_225_344, 3_212_416))
    assert sum(int(row["weights"]) for row in rows) == 17_015_456
    assert max(int(row["live"]) for row in rows) == 6_422_528
    totals = _run("mobilenet_v1", "--memory", "-f", "csv", "--totals")
    assert totals.stdout == (
        "dtype,batch,model_bytes,peak_bytes,peak_at,traffic,in_place\n"
        "fp32,1,17015456,6422528,block1.pw.bn,138654272,no\n"
    )
    result = json.loads(_run("resnet18", "--memory", "-f", "json", "--dtype", "fp16").stdout)
    assert result["memory_totals"] == {
        "dtype": "fp16",
        "batch": 1,
        "model_bytes": (11_689_512 + 9_600) * 2,  # torchvision's params and BN buffers
        "peak_bytes": 2 * 112 * 112 * 64 * 2,
        "peak_at": "conv1.bn",
        "traffic": sum(row["traffic"] for row in result["memory"]),
        "in_place": "no",
    }
    assert len(result["memory"]) == 68 and len(result["notes"]) == 2


@pytest.mark.parametrize("fmt", ["markdown", "latex"])
def test_cli_memory_in_every_format(fmt: str) -> None:
    result = _run("resnet18_cifar", "--memory", "-f", fmt, "--batch", "4", "--in-place")
    assert result.exit_code == 0, result.output
    assert "bytes at fp32, batch 4, in place" in result.stdout


def test_cli_dtype_batch_and_in_place_reach_the_library() -> None:
    flags = ("--dtype", "BF16", "--batch", "3", "--in-place", "-f", "csv", "--totals")
    (line,) = _run("mobilenet_v2", "--memory", *flags).stdout.splitlines()[1:]
    expected = memory(walk(spec.load("mobilenet_v2")), "bf16", 3, in_place=True)
    assert line == (
        f"bf16,3,{expected.model_bytes},{expected.peak_bytes},{expected.peak_at},"
        f"{expected.traffic},yes"
    )
    assert expected.peak_bytes == 3 * 2 * 112 * 112 * 96 * 2


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (
            ["--memory", "--dtype", "fp64"],
            "Invalid value for '--dtype': 'fp64' is not one of 'fp32', 'fp16', 'bf16', 'int8'.",
        ),
        (["--memory", "--batch", "0"], "Invalid value for '--batch': 0 must be positive"),
        (
            ["--memory", "--batch", "65537"],
            "Invalid value for '--batch': 65537 is larger than 65,536",
        ),
        (["--memory", "--batch", "2.5"], "Invalid value for '--batch': '2.5' is not an integer"),
        (
            ["--dtype", "fp16"],
            "Invalid value for '--dtype': goes with --memory or --device; add one",
        ),
        (["--batch", "8"], "Invalid value for '--batch': goes with --memory or --device; add one"),
        (["--in-place"], "Invalid value for '--in-place': goes with --memory; add it"),
        (
            ["--memory", "--top", "5"],
            "Invalid value for '--top': does not go with --memory, whose table has every row",
        ),
        (
            ["--memory", "--by-type"],
            "Invalid value for '--by-type': does not go with --memory, whose table has every row",
        ),
        (
            ["--memory", "--totals"],
            "Invalid value for '--totals': only CSV takes it (-f csv); table always shows totals",
        ),
    ],
)
def test_cli_bad_memory_flags_are_one_error_line(flags: list[str], message: str) -> None:
    result = _run("mobilenet_v1", *flags)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"error: {message}\n"


def test_memory_titles_are_their_keys_in_words() -> None:
    # The rule of tables.Column (tests/test_unix.py): lower case, spaces as underscores.
    result = _memory("resnet18_cifar")
    for table in (result.table(), result.totals_table()):
        for column in table.columns:
            assert column.title.lower().replace(" ", "_") == column.key, column


def test_measure_refuses_what_would_not_fit_before_building_anything() -> None:
    """--measure holds the weights, the peak activations and one row's tensors at fp32: for
    unet at batch 8 that is past 2 GiB, refused before torch is even imported."""
    from convcost.analysis.measure import MAX_MEASURE_BYTES, check_size

    report = walk(spec.load("unet"))
    weights = (report.totals.params + report.totals.buffers) * 4
    held = memory(report, "fp32", 1)
    alone = max(r.inputs + r.output for r in held.rows)
    assert check_size(report, 1) == weights + held.peak_bytes + alone < MAX_MEASURE_BYTES
    with pytest.raises(ConvcostError, match="lower --batch") as caught:
        check_size(report, 8)
    assert caught.value.field == "batch"
