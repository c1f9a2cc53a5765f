"""``sweep``: a network's variants over alpha x resolution (issue 15).

MobileNetV2's 25 released variants are pinned to torchvision's counts
(tests/reference/mobilenet_v2_sweep.json, made by tests/reference/make_mobilenet_v2_sweep.py
with ``torchvision.models.mobilenet_v2(width_mult=A)`` at R x R, MACs from forward hooks on
every Conv2d and Linear). MobileNet V1's 16 released variants are recounted here from the
paper's Table 1, independently of convcost's spec and walker.
"""

from __future__ import annotations

import csv
import io
import json
import re
from fractions import Fraction
from pathlib import Path

import pytest
from test_report import EXTENSIONS, GoldenCheck
from typer.testing import CliRunner, Result

from convcost import cli, spec
from convcost.analysis.sweep import MAX_VARIANTS, alpha_text, sweep
from convcost.errors import ConvcostError
from convcost.report import Format

runner = CliRunner()

FIXTURE = json.loads(
    (Path(__file__).parent / "reference" / "mobilenet_v2_sweep.json").read_text(encoding="utf-8")
)


def _load(name: str) -> spec.Spec:
    path, shown = spec.resolve(name)
    return spec.load(path, shown=shown)


# MobileNet V1, Table 1 of Howard et al. 2017: (kind, input channels, output channels, stride)
# for the layers after the first; every 3x3 "same" convolution with stride 2 halves the side
# (rounding up), every layer is followed by BatchNorm (gamma, beta; running mean, variance).
V1_BODY = [
    ("dw", 32, 32, 1),
    ("pw", 32, 64, 1),
    ("dw", 64, 64, 2),
    ("pw", 64, 128, 1),
    ("dw", 128, 128, 1),
    ("pw", 128, 128, 1),
    ("dw", 128, 128, 2),
    ("pw", 128, 256, 1),
    ("dw", 256, 256, 1),
    ("pw", 256, 256, 1),
    ("dw", 256, 256, 2),
    ("pw", 256, 512, 1),
    *[layer for _ in range(5) for layer in (("dw", 512, 512, 1), ("pw", 512, 512, 1))],
    ("dw", 512, 512, 2),
    ("pw", 512, 1024, 1),
    ("dw", 1024, 1024, 1),  # Table 1 says s2; the network and the release use s1 (7x7 stays)
    ("pw", 1024, 1024, 1),
]


def v1_counts(alpha: Fraction, resolution: int) -> tuple[int, int, int]:
    """params, buffers, MACs of MobileNet V1 at ``alpha`` (a multiple of 1/32 here, so every
    channel count alpha*C is an integer) and ``resolution``, with a 1000-class FC with bias."""

    def c(n: int) -> int:
        scaled = alpha * n
        assert scaled.denominator == 1
        return int(scaled)

    side = -(-resolution // 2)  # conv 3x3, 3 -> 32, stride 2
    params = 3 * 3 * 3 * c(32) + 2 * c(32)
    buffers = 2 * c(32)
    macs = side * side * c(32) * 3 * 3 * 3
    for kind, cin, cout, stride in V1_BODY:
        side = -(-side // stride)
        if kind == "dw":
            params += c(cin) * 3 * 3
            macs += side * side * c(cin) * 3 * 3
        else:
            params += c(cin) * c(cout)
            macs += side * side * c(cin) * c(cout)
        params += 2 * c(cout)
        buffers += 2 * c(cout)
    params += c(1024) * 1000 + 1000  # average pool, then FC 1024 -> 1000
    macs += c(1024) * 1000
    return params, buffers, macs


V1_ALPHAS = [Fraction(1), Fraction(3, 4), Fraction(1, 2), Fraction(1, 4)]
V1_RESOLUTIONS = [224, 192, 160, 128]


def test_the_recount_is_the_papers_1_0_224() -> None:
    params, _, macs = v1_counts(Fraction(1), 224)
    assert round(params / 10**5) == 42  # 4.2 million parameters (Table 8)
    assert round(macs / 10**6) == 569  # 569 million Mult-Adds (Table 8)


def test_mobilenet_v1_all_16_released_variants() -> None:
    result = sweep(_load("mobilenet_v1"), V1_ALPHAS, V1_RESOLUTIONS)
    assert len(result.rows) == 16
    for row, (alpha, resolution) in zip(
        result.rows, [(a, r) for a in V1_ALPHAS for r in V1_RESOLUTIONS], strict=True
    ):
        assert (row.alpha, row.resolution) == (alpha, (resolution, resolution))
        assert (row.params, row.buffers, row.macs) == v1_counts(alpha, resolution)
        assert row.flops == 2 * row.macs
    assert result.own_base and result.base is result.rows[0]
    assert result.row(0.25, 128).macs == v1_counts(Fraction(1, 4), 128)[2]
    assert result.row(Fraction(1, 4), 128).macs_share == Fraction(
        v1_counts(Fraction(1, 4), 128)[2], v1_counts(Fraction(1), 224)[2]
    )


def test_mobilenet_v2_all_25_released_variants_are_torchvisions() -> None:
    alphas = [1.4, 1.0, 0.75, 0.5, 0.35]
    resolutions = [224, 192, 160, 128, 96]
    result = sweep(_load("mobilenet_v2"), alphas, resolutions)
    assert len(FIXTURE["variants"]) == len(result.rows) == 25
    for row in result.rows:
        key = f"{float(row.alpha):g}/{row.resolution[0]}"
        want = FIXTURE["variants"][key]
        assert (row.params, row.buffers, row.macs) == (
            want["params"],
            want["buffers"],
            want["macs"],
        ), key
    top, small = result.row(1.4, 224), result.row(0.35, 96)
    assert (top.macs, top.params) == (582_195_824, 6_108_776)
    assert (small.macs, small.params) == (11_934_128, 1_677_128)
    # the base is alpha 1 at 224x224, the sixth variant, not the first
    assert result.own_base and result.base is result.row(1, 224)
    assert result.base.macs_share == 1
    assert top.macs_share == Fraction(582_195_824, FIXTURE["variants"]["1/224"]["macs"])
    assert "alpha 1 at 224x224 (the spec's own width and resolution)" in result.base_note


# The official release tables (docs/analysis.md): tensorflow/models research/slim/nets/
# mobilenet_v1.md and mobilenet/README.md, "Million MACs" and "Million Parameters" per variant.
V1_RELEASE = {  # (alpha, resolution): (million MACs, million params)
    **{(1.0, r): (m, 4.24) for r, m in zip(V1_RESOLUTIONS, [569, 418, 291, 186], strict=True)},
    **{(0.75, r): (m, 2.59) for r, m in zip(V1_RESOLUTIONS, [317, 233, 162, 104], strict=True)},
    **{(0.5, r): (m, 1.34) for r, m in zip(V1_RESOLUTIONS, [150, 110, 77, 49], strict=True)},
    **{(0.25, r): (m, 0.47) for r, m in zip(V1_RESOLUTIONS, [41, 34, 21, 14], strict=True)},
}
V2_RELEASE_MACS = {
    1.4: [582],
    1.0: [300, 221, 154, 99, 56],
    0.75: [209, 153, 107, 69, 39],
    0.5: [97, 71, 50, 32, 18],
    0.35: [59, 43, 30, 20, 11],
}
V2_RELEASE_PARAMS = {1.4: 6.06, 1.0: 3.47, 0.75: 2.61, 0.5: 1.95, 0.35: 1.66}


def test_mobilenet_v1_release_table_row_by_row() -> None:
    """The release's MACs are convcost's rounded to millions, except the four 0.75 rows, 0.5
    at 224 (the paper's Table 6 gives 325 and 149, as convcost does) and 0.25 at 192;
    its params equal, to two decimals, a count with a 1001-class classifier of the weights,
    biases, BatchNorm beta and moving mean and variance, without gamma."""
    result = sweep(_load("mobilenet_v1"), V1_ALPHAS, V1_RESOLUTIONS)
    differ = []
    for row in result.rows:
        macs, params = V1_RELEASE[(float(row.alpha), row.resolution[0])]
        if round(row.macs / 10**6) != macs:
            differ.append((float(row.alpha), row.resolution[0]))
        features = int(row.alpha * 1024)
        gamma = row.buffers // 2  # one gamma per running mean
        release = row.params - gamma + row.buffers + features + 1  # 1001st class
        assert round(release / 10**6, 2) == params
    assert differ == [(0.75, 224), (0.75, 192), (0.75, 160), (0.75, 128), (0.5, 224), (0.25, 192)]
    # the paper's Table 6: 325 and 149 million Mult-Adds at 224 for alpha 0.75 and 0.5
    assert round(result.row(0.75, 224).macs / 10**6) == 325
    assert round(result.row(0.5, 224).macs / 10**6) == 149


def test_mobilenet_v2_release_table_row_by_row() -> None:
    """The release's MACs are torchvision's truncated to millions (300.77 is listed as 300);
    its params equal, to two decimals, weights and biases alone (no BatchNorm) with a
    1001-class classifier."""
    for alpha, resolutions in [
        (1.4, [224]),
        *[(a, [224, 192, 160, 128, 96]) for a in [1.0, 0.75, 0.5, 0.35]],
    ]:
        for resolution, macs in zip(resolutions, V2_RELEASE_MACS[alpha], strict=True):
            want = FIXTURE["variants"][f"{alpha:g}/{resolution}"]
            assert want["macs"] // 10**6 == macs
            features = 1792 if alpha > 1 else 1280
            release = want["params"] - want["buffers"] + features + 1
            assert round(release / 10**6, 2) == V2_RELEASE_PARAMS[alpha]


def test_without_the_specs_own_variant_the_base_is_the_first() -> None:
    result = sweep(_load("mobilenet_v1"), [0.5, 0.25], [128])
    assert not result.own_base and result.base is result.rows[0]
    assert result.rows[0].params_share == 1
    assert result.rows[1].params_share == Fraction(
        v1_counts(Fraction(1, 4), 128)[0], v1_counts(Fraction(1, 2), 128)[0]
    )
    assert "alpha 0.5 at 128x128 (the first variant)" in result.base_note


def test_the_table_has_every_column_and_every_variant() -> None:
    table = sweep(_load("mobilenet_v1"), [1, 0.5], [224, 160]).table()
    assert [c.key for c in table.columns] == [
        "alpha",
        "resolution",
        "params",
        "buffers",
        "macs",
        "flops",
        "params_share",
        "macs_share",
        "macs_bar",  # the terminal's alone
    ]
    assert table.row_count() == 4


@pytest.mark.parametrize(
    ("alpha", "text"),
    [
        (Fraction(1), "1"),
        (Fraction(3, 4), "0.75"),
        (Fraction(7, 5), "1.4"),
        (Fraction(7, 20), "0.35"),
        (Fraction(1, 3), "1/3"),
        (Fraction(5, 2), "2.5"),
    ],
)
def test_alpha_reads_as_written(alpha: Fraction, text: str) -> None:
    assert alpha_text(alpha) == text


def test_a_bad_value_names_its_argument() -> None:
    net = _load("mobilenet_v1")
    with pytest.raises(ConvcostError) as bad_alpha:
        sweep(net, [1, -1], [224])
    assert bad_alpha.value.field == "alpha"
    with pytest.raises(ConvcostError) as bad_size:
        sweep(net, [1], [224, 0])
    assert bad_size.value.field == "resolution"
    with pytest.raises(ConvcostError) as empty:
        sweep(net, [1], [])
    assert empty.value.field == "resolution"


def test_the_grid_is_bounded_before_any_walk() -> None:
    with pytest.raises(ConvcostError, match="more than 10,000 variants"):
        sweep(_load("mobilenet_v1"), [1] * 101, range(1, 101))
    assert MAX_VARIANTS == 10_000


# --- convcost sweep -----------------------------------------------------------------------

V2_FLAGS = ["--alpha", "1.4,1,0.75,0.5,0.35", "--resolution", "224..96/32"]


def _run(*args: str, columns: int = 80) -> Result:
    return runner.invoke(cli.app, ["sweep", *args], env={"COLUMNS": str(columns)})


@pytest.mark.parametrize("columns", [80, 100])
def test_sweep_mobilenet_v2_reads_well(columns: int, golden: GoldenCheck) -> None:
    result = _run("mobilenet_v2", *V2_FLAGS, columns=columns)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert max(map(len, result.stdout.splitlines())) <= columns
    golden(f"sweep/mobilenet_v2_{columns}.txt", result.stdout)


@pytest.mark.parametrize("fmt", list(Format), ids=lambda f: f.value)
def test_sweep_every_format(fmt: Format, golden: GoldenCheck) -> None:
    result = _run("mobilenet_v1", "--alpha", "1,0.25", "--resolution", "224,128", "-f", fmt.value)
    assert result.exit_code == 0, result.output
    golden(f"sweep/mobilenet_v1.{EXTENSIONS[fmt]}", result.stdout)


def test_sweep_json_holds_torchvisions_counts() -> None:
    result = _run("mobilenet_v2", *V2_FLAGS, "-f", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["variants"]
    assert len(rows) == 25
    for row in rows:
        want = FIXTURE["variants"][f"{row['alpha']}/{row['resolution'][0]}"]
        assert (row["params"], row["buffers"], row["macs"], row["flops"]) == (
            want["params"],
            want["buffers"],
            want["macs"],
            2 * want["macs"],
        )


def test_sweep_csv_rows_in_order() -> None:
    result = _run(
        "mobilenet_v1", "--alpha", "0.25..1/0.25", "--resolution", "128..224/32", "-f", "csv"
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["alpha"], r["resolution"]) for r in rows] == [
        (a, f"{n}x{n}") for a in ["0.25", "0.5", "0.75", "1"] for n in [128, 160, 192, 224]
    ]
    for row in rows:
        n = int(row["resolution"].split("x")[0])
        params, buffers, macs = v1_counts(Fraction(row["alpha"]), n)
        assert (int(row["params"]), int(row["buffers"]), int(row["macs"])) == (
            params,
            buffers,
            macs,
        )


def test_sweep_lists_and_ranges() -> None:
    assert cli.parse_alphas("0.25..1/0.25") == [Fraction(1, 4), Fraction(1, 2), Fraction(3, 4), 1]
    assert cli.parse_alphas("1,0.35,3/4") == [1, Fraction(7, 20), Fraction(3, 4)]
    assert cli.parse_alphas("1..0.5/0.25") == [1, Fraction(3, 4), Fraction(1, 2)]
    assert cli.parse_resolutions("96..224/32") == [(n, n) for n in (96, 128, 160, 192, 224)]
    assert cli.parse_resolutions("224..96/64,1x7") == [(224, 224), (160, 160), (96, 96), (1, 7)]
    assert cli.parse_resolutions("3..5") == [(3, 3), (4, 4), (5, 5)]


@pytest.mark.parametrize(
    ("args", "flag", "message"),
    [
        (["--alpha", "1,,2"], "--alpha", "has an empty item"),
        (["--alpha", "1..2"], "--alpha", "needs a step"),
        (["--alpha", "0"], "--alpha", "must be positive"),
        (
            ["--alpha", "0.25..4/0.001", "--resolution", "224,192,160"],
            "--alpha",
            "3,751 alphas x 3 resolutions is more than 10,000 variants",
        ),
        (["--alpha", "1..2/0.0001"], "--alpha", "smaller than 0.001"),
        (["--resolution", "0"], "--resolution", "must be positive"),
        (["--resolution", "96..224/0"], "--resolution", "must be positive"),
        (["--resolution", "96.."], "--resolution", "is not a range"),
        (["--resolution", "1..20000"], "--resolution", "more than 10,000"),
        (
            ["--alpha", "0.5,1", "--resolution", "1..10000"],
            "--alpha",
            "2 alphas x 10,000 resolutions is more than 10,000 variants",
        ),
        (["--units", "M", "-f", "csv"], "--units", "exact ints"),
    ],
)
def test_sweep_bad_flags(args: list[str], flag: str, message: str) -> None:
    result = _run("mobilenet_v1", *args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert flag in lines[0] and message in lines[0]
    assert result.stdout == ""


def test_docs_analysis_md() -> None:
    """docs/analysis.md's console examples print exactly what the page shows."""
    text = (Path(__file__).parent.parent / "docs" / "analysis.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```console\n(.*?)```", text, re.S)
    assert blocks
    for block in blocks:
        command, _, expected = block.partition("\n")
        assert command.startswith("$ convcost ")
        result = runner.invoke(cli.app, command.split()[2:], env={"COLUMNS": "80"})
        assert result.exit_code == 0, result.output
        assert result.stdout == expected, command
