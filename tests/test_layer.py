"""``analysis.separable.compare``: the four kinds of one layer, numeric and symbolic."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy

from convcost import formulas
from convcost.analysis.separable import KINDS, compare
from convcost.errors import ConvcostError


def test_issue_2_symbolic_256_channels() -> None:
    result = compare(k=(3, 3), cin=256, cout=256)
    params = {row.name: row.params for row in result.rows}
    assert params == {
        "standard": 589_824,
        "depthwise": 2_304,
        "pointwise": 65_536,
        "separable": 67_840,
    }
    h, w = sympy.symbols("H W", positive=True, integer=True)
    assert sympy.expand(result.row("standard").macs - 589_824 * h * w) == 0
    assert result.macs_ratio == result.params_ratio == Fraction(265, 2304)
    assert result.symbolic


def test_issue_2_seed_example() -> None:
    result = compare(k=(3, 3), cin=3, cout=4, h=64, w=64, padding=(1, 1))
    assert result.row("standard").macs == 442_368
    assert result.row("separable").macs == 159_744
    assert result.macs_ratio == Fraction(13, 36)
    assert result.row("standard").output == (64, 64, 4)
    assert not result.symbolic
    assert all(isinstance(row.macs, int) for row in result.rows)


def test_stride_is_on_the_depthwise_stage() -> None:
    result = compare(k=(3, 3), cin=32, cout=64, h=112, w=112, stride=(2, 2))
    assert result.row("depthwise").output == (56, 56, 32)
    assert result.row("pointwise").input == (56, 56, 32)
    assert result.row("pointwise").macs == 56 * 56 * 32 * 64
    assert [row.name for row in result.rows] == list(KINDS)


def test_symbolic_stride_reads_as_ceiling() -> None:
    result = compare(k=(3, 3), cin=8, cout=8, stride=(2, 2))
    assert str(result.row("standard").output[0]) == "ceiling(H/2)"
    assert result.macs_ratio == Fraction(9 + 8, 9 * 8)


def test_groups_change_only_the_standard_row() -> None:
    result = compare(k=(3, 3), cin=64, cout=64, h=8, w=8, groups=4)
    assert result.row("standard").params == 64 * 16 * 9
    assert result.row("separable").params == 64 * 9 + 64 * 64
    assert result.approximation == Fraction(1, 9) + Fraction(1, 64)
    assert result.macs_ratio == Fraction(64 * 9 + 64 * 64, 64 * 16 * 9)


def test_asymmetric_kernel_and_bias() -> None:
    result = compare(k=(1, 7), cin=16, cout=32, h=17, w=17, padding=(0, 3), bias=True)
    assert result.row("standard").output == (17, 17, 32)
    assert result.row("standard").params == 32 * 16 * 7 + 32
    assert result.row("separable").params == (16 * 7 + 16) + (16 * 32 + 32)


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"cin": 3, "cout": 4, "groups": 2}, "groups", "2 does not divide cin=3"),
        ({"cin": 4, "cout": 6, "groups": 4}, "groups", "4 does not divide cout=6"),
        ({"cin": 3, "cout": 4, "h": 3, "w": 3, "padding": "valid", "k": (5, 5)}, "k", "kernel 5"),
    ],
)
def test_impossible_layers_name_their_field(kwargs: dict, field: str, message: str) -> None:
    kwargs = {"k": (3, 3), **kwargs}
    with pytest.raises(ConvcostError) as info:
        compare(**kwargs)
    assert info.value.field == field
    assert message in info.value.message


def test_channels_left_out_stay_symbols() -> None:
    """PRODUCT.md: a dimension that is not given stays a symbol, and so does R if it needs it."""
    c = compare(k=(3, 3))
    s = formulas.symbols()
    cin, cout, h, w = s["cin"], s["cout"], s["h"], s["w"]
    assert c.row("standard").params == 9 * cin * cout
    assert sympy.expand(c.row("separable").macs - h * w * cin * (cout + 9)) == 0
    assert str(c.row("separable").params) == "C_in*(C_out + 9)"
    assert sympy.simplify(c.macs_ratio - (cout + 9) / (9 * cout)) == 0
    assert sympy.simplify(c.approximation - (sympy.Rational(1, 9) + 1 / cout)) == 0
    # Cin cancels: with Cout given, R is a number again, whatever Cin is.
    assert compare(k=(3, 3), cout=256).macs_ratio == Fraction(265, 2304)


def test_grouping_needs_the_channels() -> None:
    with pytest.raises(ConvcostError) as caught:
        compare(k=(3, 3), cout=8, groups=2)
    assert caught.value.field == "groups"
