"""Winograd (issue 16, item 4): the transform matrices, their operation counts, and the
per-layer and per-network multiplications, against hand arithmetic (Lavin & Gray 2016)."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from fractions import Fraction

import pytest
from typer.testing import CliRunner

from convcost import cli, formulas, network, spec
from convcost.analysis.separable import compare
from convcost.analysis.winograd import layer_winograd, network_winograd, tile_cost
from convcost.errors import ConvcostError
from convcost.formulas import WINOGRAD, TransformOps, transform_ops_1d, transform_ops_2d

runner = CliRunner()


def _matmul(a: list[list[Fraction]], b: list[list[Fraction]]) -> list[list[Fraction]]:
    return [
        [
            sum((x * y for x, y in zip(row, col, strict=True)), Fraction(0))
            for col in zip(*b, strict=True)
        ]
        for row in a
    ]


def _t(a: object) -> list[list[Fraction]]:
    return [list(col) for col in zip(*a, strict=True)]  # type: ignore[call-overload]


# --- the matrices: F(m, 3) is the convolution, exactly -------------------------------------


@pytest.mark.parametrize("m", [2, 4])
def test_1d_transforms_give_the_direct_correlation(m: int) -> None:
    """Y = A^T [(G g) * (B^T d)] equals y_i = sum_k d_(i+k) g_k on random integers."""
    rng = random.Random(m)
    for _ in range(200):
        d = [rng.randint(-1000, 1000) for _ in range(m + 2)]
        g = [rng.randint(-1000, 1000) for _ in range(3)]
        direct = [sum(d[i + k] * g[k] for k in range(3)) for i in range(m)]
        assert formulas.winograd_1d(d, g, m) == direct


@pytest.mark.parametrize("m", [2, 4])
def test_2d_nesting_gives_the_direct_2d_correlation(m: int) -> None:
    """Y = A^T [(G g G^T) * (B^T d B)] A on an (m+2) x (m+2) tile and a 3x3 filter."""
    t = WINOGRAD[m]
    rng = random.Random(10 + m)
    n = m + 2
    d = [[Fraction(rng.randint(-99, 99)) for _ in range(n)] for _ in range(n)]
    g = [[Fraction(rng.randint(-99, 99)) for _ in range(3)] for _ in range(3)]
    u = _matmul(_matmul([list(r) for r in t.g], g), _t(t.g))
    v = _matmul(_matmul([list(r) for r in t.bt], d), _t(t.bt))
    product = [[a * b for a, b in zip(ru, rv, strict=True)] for ru, rv in zip(u, v, strict=True)]
    y = _matmul(_matmul([list(r) for r in t.at], product), _t(t.at))
    direct = [
        [sum(d[i + a][j + b] * g[a][b] for a in range(3) for b in range(3)) for j in range(m)]
        for i in range(m)
    ]
    assert y == direct


# --- operation counts --------------------------------------------------------------------


def test_f2_transform_counts_are_the_well_known_ones() -> None:
    """F(2x2,3x3): B^T has 2 nonzeros per row (1 add each, 4 rows: 4 adds per column); B^T d B
    is 4 columns then 4 rows: 8 x 4 = 32 adds. A^T has 3 nonzeros per row (2 adds, 2 rows: 4);
    A^T Y A is 4 columns then 2 rows: 6 x 4 = 24 adds. All coefficients are 0 or +-1 but G's
    halves: G g G^T, 3 columns then 4 rows, 7 x (1 + 2 + 2 + 1 - 2 = 4 adds, 6 halves)."""
    t = WINOGRAD[2]
    assert transform_ops_2d(t.bt) == TransformOps(32, 0)
    assert transform_ops_2d(t.at) == TransformOps(24, 0)
    assert transform_ops_2d(t.g) == TransformOps(28, 42)


def test_f4_transform_counts() -> None:
    """F(4x4,3x3), naive: B^T's rows have 3,4,4,4,4,3 nonzeros (16 adds) and 2 coefficients
    off +-1 each (12 mults), 12 passes: 192 adds, 144 mults. A^T: rows of 5,4,4,5 nonzeros
    (14 adds) and 0,2,2,2 off +-1 (6), 6 + 4 = 10 passes: 140, 60. G: rows of 1,3,3,3,3,1
    nonzeros (8 adds), 1,3,3,3,3,0 off +-1 (13), 3 + 6 = 9 passes: 72, 117."""
    t = WINOGRAD[4]
    assert transform_ops_1d(t.bt) == TransformOps(16, 12)
    assert transform_ops_2d(t.bt) == TransformOps(192, 144)
    assert transform_ops_2d(t.at) == TransformOps(140, 60)
    assert transform_ops_2d(t.g) == TransformOps(72, 117)


@pytest.mark.parametrize(("m", "winograd", "direct"), [(2, 16, 36), (4, 36, 144)])
def test_multiplications_per_tile(m: int, winograd: int, direct: int) -> None:
    """(m + 2)^2 against m^2 x 9: 2.25x for F(2x2,3x3), 4x for F(4x4,3x3)."""
    tile = tile_cost(m)
    assert (tile.winograd, tile.direct) == (winograd, direct)
    assert Fraction(tile.direct, tile.winograd) == (Fraction(9, 4) if m == 2 else 4)


# --- one layer ------------------------------------------------------------------------------


def test_standard_64_to_64_on_56x56() -> None:
    """3x3 conv 64 -> 64 on 56x56 ('same'): tiles 28 x 28 = 784; Winograd 784 x 64 x 64 x 16 =
    51,380,224 mults against 56 x 56 x 64 x 64 x 9 = 115,605,504; input transforms 784 x 64 x
    32 = 1,605,632, output 784 x 64 x 24 = 1,204,224; filter 64 x 64 x 70 = 286,720, offline.
    FLOPs: 2 x 115,605,504 = 231,211,008 against 2 x 51,380,224 + 2,809,856 = 105,570,304."""
    rows = {r.name: r for r in layer_winograd(compare(k=3, cin=64, cout=64, h=56, w=56)).rows}
    standard = rows["standard"]
    assert standard.tiles == 784
    assert (standard.direct, standard.winograd) == (115_605_504, 51_380_224)
    assert (standard.input_transform, standard.output_transform) == (1_605_632, 1_204_224)
    assert standard.filter_transform == 286_720
    assert standard.mults_ratio == Fraction(9, 4)
    assert standard.flops_ratio == Fraction(231_211_008, 105_570_304)
    # separable = depthwise + pointwise, row by row; the pointwise stage stays direct
    depthwise, pointwise, separable = rows["depthwise"], rows["pointwise"], rows["separable"]
    assert pointwise.reason == "1x1 kernel, not 3x3"
    assert (pointwise.tiles, pointwise.transforms) == (None, 0)
    assert pointwise.winograd == pointwise.direct == 56 * 56 * 64 * 64
    assert separable.winograd == depthwise.winograd + pointwise.winograd
    assert separable.direct == depthwise.direct + pointwise.direct


def test_depthwise_does_not_pay() -> None:
    """Depthwise 3x3 over 64 channels on 56x56: 784 tiles x 64 channels. Each tile and channel
    saves 36 - 16 = 20 multiplications and adds 32 + 24 = 56 transform additions; in FLOPs,
    2 x 16 + 56 = 88 against 2 x 36 = 72 direct: ratio 72/88 = 9/11 < 1."""
    depthwise = layer_winograd(compare(k=3, cin=64, cout=64, h=56, w=56)).rows[1]
    assert depthwise.direct - depthwise.winograd == 784 * 64 * 20
    assert depthwise.transforms == 784 * 64 * 56
    assert depthwise.flops_ratio == Fraction(9, 11)
    assert (tile_cost(2).saved, tile_cost(2).added) == (20, 56)
    # F(4x4,3x3): 144 - 36 = 108 saved, (192 + 144) + (140 + 60) = 536 added
    assert (tile_cost(4).saved, tile_cost(4).added) == (108, 536)


def test_ragged_edge_counts_whole_tiles() -> None:
    """7x7 output, F(4x4,3x3): ceil(7/4)^2 = 4 tiles of 36 mults = 144 per channel pair,
    against 7 x 7 x 9 = 441 direct."""
    row = layer_winograd(compare(k=3, cin=8, cout=8, h=7, w=7), 4).rows[0]
    assert (row.tiles, row.winograd, row.direct) == (4, 4 * 36 * 64, 441 * 64)


def test_strided_and_symbolic_layers() -> None:
    strided = layer_winograd(compare(k=3, cin=8, cout=8, h=8, w=8, stride=2))
    assert [r.reason for r in strided.rows] == [
        "stride 2x2",
        "stride 2x2",
        "1x1 kernel, not 3x3",
        "stride 2x2",
    ]
    assert all(r.winograd == r.direct for r in strided.rows)
    with pytest.raises(ConvcostError, match="give the height, width and channels"):
        layer_winograd(compare(k=3, cin=8, cout=8))
    with pytest.raises(ConvcostError, match="expected one of 2, 4, got 3"):
        layer_winograd(compare(k=3, cin=8, cout=8, h=8, w=8), 3)


# --- networks ------------------------------------------------------------------------------


def _network(name: str, tile: int = 2):  # type: ignore[no-untyped-def]
    return network_winograd(network.walk(spec.load(spec.resolve(name)[0])), tile)


def test_mobilenet_v1() -> None:
    """The stride-1 depthwise layers: blocks 1, 3, 5, 7-11 and 13 (conv1 and blocks 2, 4, 6,
    12 have stride 2). Per block, tiles x C x 16 mults: block1 56 x 56 x 32 x 16 = 1,605,632,
    block3 28 x 28 x 128 x 16 = 1,605,632, block5 14 x 14 x 256 x 16 = 802,816, blocks 7-11
    7 x 7 x 512 x 16 = 401,408 each, block13 (7x7: 4 x 4 tiles) 16 x 1024 x 16 = 262,144:
    6,283,264 in all, against 13,999,104 direct. The network's 568,740,352 MACs become
    568,740,352 - 13,999,104 + 6,283,264 = 561,024,512; transforms 56 per tile and channel:
    (3136 x 32 + 784 x 128 + 196 x 256 + 5 x 49 x 512 + 16 x 1024) x 56 = 21,991,424."""
    result = _network("mobilenet_v1")
    assert [r.name for r in result.rows] == [f"block{i}.dw" for i in (1, 3, 5, 7, 8, 9, 10, 11, 13)]
    assert [r.winograd for r in result.rows] == [
        1_605_632,
        1_605_632,
        802_816,
        *[401_408] * 5,
        262_144,
    ]
    assert result.layers.direct == 13_999_104
    assert result.total.direct == 568_740_352
    assert result.total.winograd == 561_024_512
    tiles_channels = 3136 * 32 + 784 * 128 + 196 * 256 + 5 * 49 * 512 + 16 * 1024
    assert result.total.transforms == tiles_channels * 56 == 21_991_424
    # Winograd FLOPs 2 x 561,024,512 + 21,991,424 exceed direct 2 x 568,740,352
    assert result.total.flops_ratio == Fraction(1_137_480_704, 1_144_040_448) < 1


def test_resnet18() -> None:
    """13 eligible 3x3 convs (every one but the first of stages 3-5, stride 2), each of
    115,605,504 direct MACs. Winograd: stages 2-4 at 56, 28, 14 (even): 784 x 64 x 64,
    196 x 128 x 128, 49 x 256 x 256 tiles x pairs = 3,211,264 each, x 16 = 51,380,224;
    stage 5 at 7x7: 16 x 512 x 512 x 16 = 67,108,864. Total 10 x 51,380,224 + 3 x 67,108,864
    = 715,128,832; network 1,814,073,344 - 13 x 115,605,504 + 715,128,832 = 1,026,330,624."""
    result = _network("resnet18")
    assert len(result.rows) == 13
    assert all(r.direct == 115_605_504 for r in result.rows)
    assert result.layers.winograd == 10 * 51_380_224 + 3 * 67_108_864 == 715_128_832
    assert result.total.direct == 1_814_073_344
    assert result.total.winograd == 1_814_073_344 - 13 * 115_605_504 + 715_128_832
    # transforms: tiles x (C x 32 + C x 24) per layer
    per_stage = [784 * 64 * 56, 196 * 128 * 56, 49 * 256 * 56, 16 * 512 * 56]
    assert result.total.transforms == 4 * per_stage[0] + 3 * sum(per_stage[1:]) == 18_937_856
    # F(4x4,3x3): stages at 56, 28, 14 have 196, 49, 16 tiles (14 = 3.5 x 4: ragged), 7 has 4
    four = _network("resnet18", 4)
    tiles = [r.tiles for r in four.rows]
    assert tiles == [196] * 4 + [49] * 3 + [16] * 3 + [4] * 3


# --- the command line ------------------------------------------------------------------------


def _run(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(cli.app, list(args))


def test_layer_prints_why_depthwise_does_not_pay() -> None:
    result = _run(
        "layer", "--k", "3", "--cin", "64", "--cout", "64", "--h", "56", "--w", "56",
        "--algo", "winograd",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "depthwise: 20 multiplications saved per tile, 56 transform operations added" in text
    assert "pointwise: direct (1x1 kernel, not 3x3)" in text


def test_layer_tile_4_in_json() -> None:
    result = _run(
        "layer", "--k", "3", "--cin", "64", "--cout", "64", "--h", "56", "--w", "56",
        "--algo", "winograd", "--tile", "4", "-f", "json",
    )  # fmt: skip
    data = json.loads(result.stdout)
    standard = data["winograd"][0]
    assert standard["tiles"] == 14 * 14
    assert standard["winograd_mults"] == 196 * 64 * 64 * 36
    assert standard["mults_ratio"]["exact"] == "4"
    assert data["title"] == "Winograd F(4x4,3x3)"


def test_net_totals_in_csv() -> None:
    result = _run("net", "resnet18", "--algo", "winograd", "-f", "csv")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("name,category,output,tiles,direct_mults,winograd_mults")
    assert len(lines) == 1 + 13


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["layer", "--k", "3", "--tile", "4"], "--tile"),
        (["net", "resnet18", "--tile", "3"], "--tile"),
        (["layer", "--k", "3", "--algo", "winograd"], "--algo"),
        (["layer", "--k", "3,5", "--cin", "8", "--cout", "8", "--h", "8", "--w", "8",
          "--algo", "winograd"], "--algo"),
    ],
)  # fmt: skip
def test_bad_flags(args: list[str], message: str) -> None:
    result = _run(*args)
    assert result.exit_code == 2
    assert message in result.stderr


@pytest.mark.parametrize("fmt", ["table", "csv", "markdown", "json", "latex"])
def test_net_golden(fmt: str, golden: Callable[[str, str], None]) -> None:
    """mobilenet_v1 with --algo winograd in every format: tests/golden/winograd/."""
    result = _run("net", "mobilenet_v1", "--algo", "winograd", "-f", fmt)
    assert (result.exit_code, result.stderr) == (0, "")
    extension = {"table": "txt", "markdown": "md", "latex": "tex"}.get(fmt, fmt)
    golden(f"winograd/net_mobilenet_v1.{extension}", result.stdout)


@pytest.mark.parametrize("tile", ["2", "4"])
def test_layer_golden(tile: str, golden: Callable[[str, str], None]) -> None:
    result = _run(
        "layer", "--k", "3", "--cin", "64", "--cout", "64", "--h", "56", "--w", "56",
        "--algo", "winograd", "--tile", tile,
    )  # fmt: skip
    assert (result.exit_code, result.stderr) == (0, "")
    golden(f"winograd/layer_3x3_64_56_tile{tile}.txt", result.stdout)


def test_every_title_is_its_key_in_words() -> None:
    """tables.Column's rule (tests/test_unix.py): lower case, spaces as underscores."""
    tables = [
        _network("mobilenet_v1").table(),
        _network("mobilenet_v1").totals_table(),
        layer_winograd(compare(k=3, cin=8, cout=8, h=8, w=8)).table(),
    ]
    for table in tables:
        for column in table.columns:
            if column.title:
                assert column.title.lower().replace(" ", "_") == column.key
