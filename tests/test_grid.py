"""Layer sweeps (issue 15, item 2): ``convcost layer`` over lists and ranges.

The grid's numeric path never builds a Comparison; here every configuration of small grids,
and a random sample of large ones, is checked against ``separable.compare`` (the row path),
and R's distance to 1/K^2 against a brute-force recount with Fractions."""

from __future__ import annotations

import csv
import io
import itertools
import json
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from convcost import cli, conventions
from convcost.analysis.grid import MAX_CONFIGURATIONS, GridRow, grid
from convcost.analysis.separable import compare
from convcost.cli import app
from convcost.errors import ConvcostError

runner = CliRunner()


def _row_path(row: GridRow, **fixed: Any) -> tuple[Any, ...]:
    """What ``compare`` says of ``row``'s configuration, in GridRow's order."""
    c = compare(
        k=row.k,
        cin=row.cin,
        cout=row.cout,
        h=row.h,
        w=row.w,
        stride=row.stride,
        dilation=row.dilation,
        groups=row.groups,
        **fixed,
    )
    standard, separable = c.row("standard"), c.row("separable")
    return (
        separable.output,
        standard.params,
        standard.macs,
        separable.params,
        separable.macs,
        c.macs_ratio,
    )


def _fast(row: GridRow) -> tuple[Any, ...]:
    return (
        row.output,
        row.standard_params,
        row.standard_macs,
        row.separable_params,
        row.separable_macs,
        row.macs_ratio,
    )


@pytest.mark.parametrize("convention", ["exact", "thop", "ptflops", "fvcore"])
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("padding", [1, "same", "valid", (0, 3)])
def test_every_configuration_equals_the_row_path(convention: str, bias: bool, padding: Any) -> None:
    fixed = {"bias": bias, "padding": padding, "convention": conventions.convention(convention)}
    result = grid(
        k=[(1, 7), 3],
        cin=[4, 6],
        cout=[6, 12],
        h=[7, 9],
        w=[13],
        stride=[1, 2, (2, 1)],
        dilation=[1, 2],
        groups=[1, 2],
        **fixed,
    )
    rows = list(result.rows())
    assert len(rows) == result.size == 2 * 2 * 2 * 2 * 3 * 2 * 2
    for row in rows:
        assert _fast(row) == _row_path(row, **fixed), row


@settings(max_examples=40, deadline=None)
@given(
    k=st.lists(st.integers(1, 7), min_size=1, max_size=3, unique=True),
    cin=st.lists(st.integers(1, 512), min_size=1, max_size=4, unique=True),
    cout=st.lists(st.integers(1, 2048), min_size=1, max_size=4, unique=True),
    h=st.lists(st.integers(7, 300), min_size=1, max_size=3, unique=True),
    stride=st.sampled_from([1, 2, 3]),
    data=st.data(),
)
def test_a_sample_of_large_grids_equals_the_row_path(
    k: list[int], cin: list[int], cout: list[int], h: list[int], stride: int, data: Any
) -> None:
    result = grid(k=k, cin=cin, cout=cout, h=h, w=h[::-1], stride=stride)
    rows = list(result.rows())
    assert len(rows) == len(k) * len(cin) * len(cout) * len(h) ** 2
    for row in data.draw(st.lists(st.sampled_from(rows), max_size=6)):
        assert _fast(row) == _row_path(row, padding="same"), row


def test_rows_follow_the_grid_order() -> None:
    """k, stride, dilation, groups, cin, cout, h, w: the last varying fastest."""
    result = grid(k=[3, 5], cin=8, cout=[8, 16], h=[8, 16], w=8)
    got = [(r.k[0], r.cout, r.h) for r in result.rows()]
    assert got == list(itertools.product([3, 5], [8, 16], [8, 16]))
    assert result.varying == ("k", "cout", "h")


def test_the_three_to_four_channel_layer() -> None:
    """The seeds' example: 3 -> 4 channels, 3x3, 64x64, padding 1. Standard 64*64*4*27 =
    442,368 MACs, separable 64*64*3*(9 + 4) = 159,744: R = 13/36, 3.25 times 1/9."""
    rows = list(grid(k=3, cin=3, cout=[4, 128], h=64, w=64, padding=1).rows())
    small = rows[0]
    assert (small.standard_macs, small.separable_macs) == (64 * 64 * 4 * 27, 64 * 64 * 3 * 13)
    assert small.macs_ratio == Fraction(13, 36) == small.approximation
    assert small.excess == Fraction(9, 4) and not small.within
    assert rows[1].within  # 1/9 + 1/128: 9/128 = 7.03% above


@pytest.mark.parametrize("k", [1, 3, 5, 7, (1, 7), (3, 5)])
def test_within_ten_percent_from_cout_ten_k_squared(k: Any) -> None:
    """Ungrouped, R = 1/K^2 + 1/Cout, within 10% of 1/K^2 exactly when Cout >= 10*K^2;
    recounted here from the MACs with Fractions, row by row."""
    kh, kw = (k, k) if isinstance(k, int) else k
    couts = list(range(1, 12 * kh * kw))
    result = grid(k=k, cin=5, cout=couts, h=9, w=9)
    for row in result.rows():
        recount = Fraction(row.separable_macs, row.standard_macs)
        assert row.macs_ratio == recount == Fraction(1, kh * kw) + Fraction(1, row.cout)
        assert row.within == (abs(recount * kh * kw - 1) <= Fraction(1, 10))
        assert row.within == (row.cout >= 10 * kh * kw)
    [summary] = result.summary()
    assert summary.from_cout == 10 * kh * kw
    assert summary.within == len(couts) - (10 * kh * kw - 1)
    assert (summary.largest_ratio, summary.largest_at) == (Fraction(1 + kh * kw, kh * kw), 1)


def test_summary_is_a_recount_of_the_rows() -> None:
    """The summary reads one configuration per (kernel, groups, cin, cout) and counts it for
    every stride, dilation, H and W: equal to counting every row."""
    result = grid(
        k=[3, 5], cin=[8, 16], cout=[8, 64, 256], h=[9, 17], w=[9], stride=[1, 2], groups=[1, 8]
    )
    rows = list(result.rows())
    for s in result.summary():
        mine = [r for r in rows if (r.k, r.groups) == (s.k, s.groups)]
        within = [r for r in mine if r.within]
        assert s.configurations == len(mine)
        assert s.within == len(within)
        assert s.from_cout == (min(r.cout for r in within) if within else None)
        assert s.largest_ratio == max(r.macs_ratio for r in mine)
    grouped = [s for s in result.summary() if s.groups == 8]
    assert all(s.within == 0 for s in grouped)  # R = G/K^2 + G/Cout: never near 1/K^2


def test_symbolic_dimensions_stay_symbols() -> None:
    rows = list(grid(k=[3, 5], cout=[4, 16]).rows())
    assert str(rows[0].standard_macs) == "36*C_in*H*W"
    assert rows[0].macs_ratio == Fraction(13, 36)


def test_bounds_are_checked_before_any_work() -> None:
    with pytest.raises(ConvcostError, match="more than 1,000,000") as error:
        grid(k=list(range(1, 101)), cin=list(range(1, 101)), cout=list(range(1, 102)), h=9, w=9)
    assert error.value.field == "k"
    with pytest.raises(ConvcostError, match="with a symbol left in") as error:
        grid(k=3, cout=list(range(1, 1002)))
    assert error.value.field == "cin"
    with pytest.raises(ConvcostError, match="2 does not divide cin=3"):
        grid(k=3, cin=[4, 3], cout=4, h=8, w=8, groups=[1, 2])
    with pytest.raises(ConvcostError, match="larger than the input") as error:
        grid(k=[3, 11], cin=4, cout=4, h=8, w=8, padding=0)
    assert error.value.field == "k"
    with pytest.raises(ConvcostError, match="empty list"):
        grid(k=[], cin=4, cout=4, h=8, w=8)


# --- the command line ------------------------------------------------------------------------


def _layer(*args: str) -> Any:
    return runner.invoke(app, ["layer", *args])


def test_lists_and_ranges() -> None:
    assert [v for s in cli.parse_counts("16..1024*2", "--cout") for v in s] == [
        16,
        32,
        64,
        128,
        256,
        512,
        1024,
    ]
    assert [v for s in cli.parse_counts("96..224/32,7", "--h") for v in s] == [
        96,
        128,
        160,
        192,
        224,
        7,
    ]
    assert [v for s in cli.parse_counts("5..1/2", "--h") for v in s] == [5, 3, 1]
    assert [v for s in cli.parse_pairs("1..5/2,1x7", "--k") for v in s] == [
        (1, 1),
        (3, 3),
        (5, 5),
        (1, 7),
    ]


def test_grid_csv_holds_every_dimension_and_exact_values() -> None:
    result = _layer(
        "--k", "3,5", "--cin", "3", "--cout", "4,16", "--h", "64", "--w", "64",
        "--padding", "1", "-f", "csv",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 4
    first = rows[0]
    assert (first["k"], first["cin"], first["cout"], first["h"], first["w"]) == (
        "3x3",
        "3",
        "4",
        "64",
        "64",
    )
    assert (first["std_macs"], first["sep_macs"], first["r"]) == (
        "442368",
        "159744",
        "13/36",
    )
    assert (first["std_params"], first["sep_params"]) == ("108", "39")


def test_grid_json() -> None:
    result = _layer(
        "--k", "3", "--cin", "8", "--cout", "8,16", "--h", "8", "--w", "8", "-f", "json"
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [row["cout"] for row in data["configurations"]] == [8, 16]
    assert data["configurations"][0]["r"] == {"exact": "17/72", "decimal": 17 / 72}


def test_grid_table_golden(golden: Any) -> None:
    result = _layer("--k", "3,5,7", "--cout", "16..1024*2", "--cin", "32", "--h", "56", "--w", "56")
    assert result.exit_code == 0, result.output
    golden("layer/grid.txt", result.stdout)
    assert max(map(len, result.stdout.splitlines())) <= 80


def test_one_value_each_is_the_single_layer_report() -> None:
    single = _layer("--k", "3", "--cin", "3", "--cout", "4", "--h", "64", "--w", "64")
    listed = _layer("--k", "3,", "--cin", "3")
    assert "R (MACs)" in single.stdout
    assert listed.exit_code == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--k", "3", "--cout", "1..10*1"], "'--cout': '1..10'*1: a geometric range goes up"),
        (["--k", "3", "--cout", "10..1*2"], "a geometric range goes up"),
        (["--k", "3,,5"], "'--k': '3,,5' has an empty item"),
        (["--k", "3", "--cin", "0,4"], "'--cin': 0 must be positive"),
        (
            ["--k", "1..100", "--cin", "1..100", "--cout", "1..101", "--h", "9", "--w", "9"],
            "'--cout': 100 x 100 x 101 combinations is more than 1,000,000",
        ),
        # the range alone is refused before a value of it is made
        (["--k", "3", "--cin", "1..16000000", "--h", "9"], "'--cin': the range holds 16,000,000"),
        (["--k", "3", "--cout", "1..1001"], "'--cin': 1,001 configurations with a symbol left in"),
        (["--k", "3,9", "--cin", "4", "--h", "8", "--padding", "0"], "'--k': kernel 9 is larger"),
        (["--k", "3", "--cin", "4,6", "--cout", "4", "--groups", "1,4"], "'--groups': 4 does not"),
    ],
)
def test_bad_lists_are_one_error_line(args: list[str], message: str) -> None:
    result = _layer(*args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines


def test_no_progress_bar_without_a_terminal() -> None:
    """CliRunner's stderr is no terminal: a grid of any length writes nothing there."""
    result = _layer(
        "--k", "1..9/2", "--cin", "8..64/8", "--cout", "8..64/8", "--h", "8..20", "--w", "8"
    )  # fmt: skip
    assert result.exit_code == 0 and result.stderr == ""


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal_after_a_second(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = _Terminal()
    monkeypatch.setattr("sys.stderr", stream)
    monkeypatch.setattr(cli, "PROGRESS_AFTER", 0.0)
    with cli._progress("costing configurations", 10) as advance:
        advance(5)
    assert "costing configurations" in stream.getvalue()
    quiet = _Terminal()
    monkeypatch.setattr("sys.stderr", quiet)
    monkeypatch.setattr(cli, "PROGRESS_AFTER", 3600.0)
    with cli._progress("costing configurations", 10) as advance:
        advance(5)
    assert quiet.getvalue() == ""


def test_a_million_configurations_is_the_limit() -> None:
    assert MAX_CONFIGURATIONS == 1_000_000
    result = grid(
        k=[1, 3, 5, 7], cin=list(range(1, 51)), cout=list(range(1, 51)), h=list(range(8, 108)), w=8
    )
    assert result.size == 1_000_000
