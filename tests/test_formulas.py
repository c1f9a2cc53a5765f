"""The formulas against brute force, independent rules, identities and published numbers."""

from __future__ import annotations

import doctest
import math
from fractions import Fraction
from pathlib import Path

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from convcost import formulas
from convcost.analysis.separable import compare
from convcost.layers import Conv2d, cost

# --- brute force: loop over output positions and kernel taps ------------------------------


def _positions(size: int, k: int, stride: int, before: int, after: int, dilation: int) -> list[int]:
    """Top/left coordinates of every window that fits in the input padded by before/after."""
    starts = []
    top = -before
    while top + dilation * (k - 1) <= size - 1 + after:
        starts.append(top)
        top += stride
    return starts


def brute_force(
    h: int,
    w: int,
    cin: int,
    cout: int,
    k: tuple[int, int],
    stride: tuple[int, int],
    pad: tuple[int, int, int, int],
    dilation: tuple[int, int],
    groups: int,
    bias: bool,
) -> tuple[int, int, int, int]:
    """(Hout, Wout, params, MACs) by counting; ``pad`` is (top, bottom, left, right)."""
    rows = _positions(h, k[0], stride[0], pad[0], pad[1], dilation[0])
    cols = _positions(w, k[1], stride[1], pad[2], pad[3], dilation[1])
    taps = 0  # taps landing in the padded input, summed over output positions
    for top in rows:
        for left in cols:
            for ky in range(k[0]):
                for kx in range(k[1]):
                    y, x = top + ky * dilation[0], left + kx * dilation[1]
                    if -pad[0] <= y <= h - 1 + pad[1] and -pad[2] <= x <= w - 1 + pad[3]:
                        taps += 1
    per_group_in = cin // groups
    per_group_out = cout // groups
    params = 0
    for out_channel in range(cout):
        group = out_channel // per_group_out
        for in_channel in range(group * per_group_in, (group + 1) * per_group_in):
            params += k[0] * k[1] * (0 <= in_channel < cin)
    params += cout * bias
    macs = taps * cout * per_group_in
    return len(rows), len(cols), params, macs


def pytorch_output_size(size: int, k: int, stride: int, padding: int, dilation: int) -> int:
    """torch.nn.Conv2d docs: floor((H + 2*padding - dilation*(kernel_size - 1) - 1)/stride + 1)."""
    return math.floor(Fraction(size + 2 * padding - dilation * (k - 1) - 1, stride) + 1)


@st.composite
def configs(draw: st.DrawFn) -> dict[str, object]:
    groups = draw(st.integers(1, 3))
    cin = groups * draw(st.integers(1, 3))
    cout = groups * draw(st.integers(1, 3))
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    dilation = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, 3)), draw(st.integers(0, 3)))
    min_h = max(1, dilation[0] * (k[0] - 1) + 1 - 2 * padding[0])
    min_w = max(1, dilation[1] * (k[1] - 1) + 1 - 2 * padding[1])
    return {
        "h": draw(st.integers(min_h, min_h + 9)),
        "w": draw(st.integers(min_w, min_w + 9)),
        "cin": cin,
        "cout": cout,
        "k": k,
        "stride": (draw(st.integers(1, 3)), draw(st.integers(1, 3))),
        "padding": padding,
        "dilation": dilation,
        "groups": groups,
        "bias": draw(st.booleans()),
    }


@settings(max_examples=150, deadline=None)
@given(configs())
def test_explicit_padding_matches_brute_force(c: dict) -> None:
    ph, pw = c["padding"]
    hout, wout, params, macs = brute_force(
        c["h"], c["w"], c["cin"], c["cout"], c["k"], c["stride"], (ph, ph, pw, pw),
        c["dilation"], c["groups"], c["bias"],
    )  # fmt: skip
    layer = Conv2d(
        c["cout"], c["k"], c["stride"], c["padding"], c["dilation"], c["groups"], c["bias"]
    )
    result = cost(layer, (c["h"], c["w"], c["cin"]))
    assert result.output == (hout, wout, c["cout"])
    assert result.params == params
    assert result.macs == macs
    for axis, size in ((0, c["h"]), (1, c["w"])):
        expected = pytorch_output_size(
            size, c["k"][axis], c["stride"][axis], c["padding"][axis], c["dilation"][axis]
        )
        assert result.output[axis] == expected


@settings(max_examples=100, deadline=None)
@given(configs())
def test_same_padding_matches_tensorflow_rule(c: dict) -> None:
    # TensorFlow: out = ceil(in / stride); total padding max((out-1)*S + D(K-1) + 1 - in, 0),
    # the odd pixel at the bottom/right.
    pads = []
    for axis, size in ((0, c["h"]), (1, c["w"])):
        out = -(-size // c["stride"][axis])
        total = max(
            (out - 1) * c["stride"][axis] + c["dilation"][axis] * (c["k"][axis] - 1) + 1 - size, 0
        )
        pads += [total // 2, total - total // 2]
    hout, wout, params, macs = brute_force(
        c["h"], c["w"], c["cin"], c["cout"], c["k"], c["stride"], tuple(pads), c["dilation"],
        c["groups"], c["bias"],
    )  # fmt: skip
    layer = Conv2d(c["cout"], c["k"], c["stride"], "same", c["dilation"], c["groups"], c["bias"])
    result = cost(layer, (c["h"], c["w"], c["cin"]))
    assert result.output == (hout, wout, c["cout"])
    assert (hout, wout) == (-(-c["h"] // c["stride"][0]), -(-c["w"] // c["stride"][1]))
    assert (result.params, result.macs) == (params, macs)


@settings(max_examples=100, deadline=None)
@given(
    st.integers(1, 64), st.integers(1, 64), st.integers(1, 64), st.integers(1, 512),
    st.integers(1, 7), st.integers(1, 7),
)  # fmt: skip
def test_separable_is_depthwise_plus_pointwise(
    h: int, w: int, cin: int, cout: int, kh: int, kw: int
) -> None:
    assert formulas.separable_macs(h, w, cin, cout, kh, kw) == formulas.depthwise_macs(
        h, w, cin, kh, kw
    ) + formulas.pointwise_macs(h, w, cin, cout)
    assert formulas.separable_params(cin, cout, kh, kw) == formulas.depthwise_params(
        cin, kh, kw
    ) + formulas.pointwise_params(cin, cout)
    # R = (K^2 + Cout) / (K^2 * Cout) = 1/Cout + 1/K^2, exactly, for MACs and for params.
    r = Fraction(kh * kw + cout, kh * kw * cout)
    assert formulas.separable_ratio(cout, kh, kw) == r == Fraction(1, cout) + Fraction(1, kh * kw)
    result = compare(k=(kh, kw), cin=cin, cout=cout, h=h, w=w)
    assert result.macs_ratio == r
    assert result.params_ratio == r
    assert result.approximation == r
    assert (
        result.row("separable").macs == result.row("depthwise").macs + result.row("pointwise").macs
    )


def test_derived_ratio_is_the_closed_form() -> None:
    kh, kw, cout = sympy.symbols("K_h K_w C_out", positive=True, integer=True)
    derived = formulas.derive(formulas.FormulaKind.RATIO)
    taps = kh * kw
    assert sympy.simplify(derived["R (MACs)"] - (taps + cout) / (taps * cout)) == 0
    assert sympy.simplify(derived["R (params)"] - (taps + cout) / (taps * cout)) == 0
    assert sympy.simplify(derived["R expanded"] - (1 / taps + 1 / cout)) == 0


def test_every_kernel_is_k_h_by_k_w() -> None:
    """Each formula writes the kernel as K_h and K_w, never K^2 (issue 13); only the output
    size, along one axis, has K."""
    s = formulas.symbols()
    for kind in formulas.FormulaKind:
        for label, expr in formulas.derive(kind).items():
            kernel = expr.free_symbols & {s["k"], s["kh"], s["kw"]}
            if kind is formulas.FormulaKind.OUTPUT_SIZE:
                assert kernel <= {s["k"]}, label  # "same" padding: the kernel drops out
            elif kind is not formulas.FormulaKind.POINTWISE:
                assert kernel == {s["kh"], s["kw"]}, (kind, label)


def test_every_formula_kind_derives() -> None:
    for kind in formulas.FormulaKind:
        assert formulas.derive(kind)
    with pytest.raises(ValueError, match="unknown formula kind"):
        formulas.derive("nope")


def test_mobilenet_equations() -> None:
    # Howard et al. 2017, eq. (2): DK*DK*M*N*DF*DF; eq. (3): DK*DK*M*DF*DF; eq. (4) their sum
    # with M*N*DF*DF; eq. (5): the ratio 1/N + 1/DK^2. DK=3, M=N=512, DF=14 (Table 1 rows).
    dk, m, n, df = 3, 512, 512, 14
    assert formulas.conv_macs(df, df, m, n, dk, dk) == dk * dk * m * n * df * df
    assert formulas.depthwise_macs(df, df, m, dk, dk) == dk * dk * m * df * df
    assert formulas.separable_macs(df, df, m, n, dk, dk) == dk * dk * m * df * df + m * n * df * df
    assert Fraction(
        formulas.separable_macs(df, df, m, n, dk, dk), formulas.conv_macs(df, df, m, n, dk, dk)
    ) == Fraction(1, n) + Fraction(1, dk * dk)


def test_seed_example_three_to_four_channels() -> None:
    # The seeds' example: 3x3 conv, 3 -> 4 channels, 64x64 input, padding 1.
    assert formulas.conv_macs(64, 64, 3, 4, 3, 3) == 442_368
    assert formulas.separable_macs(64, 64, 3, 4, 3, 3) == 159_744
    assert formulas.separable_ratio(4, 3, 3) == Fraction(13, 36)


def test_one_dimensional_convolution_is_a_1xk_conv2d() -> None:
    # fvcore's test matrix has 1-D convs: a (1, L) input with a 1xK kernel.
    hout, wout, params, macs = brute_force(
        1, 20, 4, 8, (1, 5), (1, 2), (0, 0, 2, 2), (1, 1), 1, False
    )
    result = cost(Conv2d(8, (1, 5), (1, 2), (0, 2)), (1, 20, 4))
    assert result.output == (hout, wout, 8) == (1, 10, 8)
    assert (result.params, result.macs) == (params, macs) == (160, 1600)


def test_symbolic_and_numeric_paths_agree() -> None:
    h, w = sympy.symbols("H W", positive=True, integer=True)
    symbolic = formulas.conv_macs(h, w, 32, 64, 3, 3, 2)
    assert symbolic.subs({h: 7, w: 5}) == formulas.conv_macs(7, 5, 32, 64, 3, 3, 2)
    assert formulas.same_output_size(h, 2) == sympy.ceiling(h / 2)
    assert formulas.same_output_size(7, 2) == 4


def test_docs_formulas_md() -> None:
    # docs/formulas.md's examples are doctests: its numbers are the engine's.
    path = Path(__file__).resolve().parent.parent / "docs" / "formulas.md"
    result = doctest.testfile(str(path), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 15
    assert result.failed == 0


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_formulas_in_every_dimension(dims: int) -> None:
    """``formula --dims``: the symbolic counts of a 1-, 2- or 3-D convolution, at random sizes,
    equal a product written out here over the axes (Conv1d: L; Conv3d: D, H, W)."""
    import random

    import sympy

    rng = random.Random(dims)
    axes = formulas.AXES[dims]
    for _ in range(20):
        cin, cout, groups = rng.choice([2, 4, 8]), rng.choice([4, 8, 12]), rng.choice([1, 2])
        out = {a: rng.randint(1, 30) for a in axes}
        ks = {a: rng.randint(1, 7) for a in axes}
        values = {"C_in": cin, "C_out": cout, "G": groups}
        values |= {f"{a}_out": out[a] for a in axes} | {f"K_{a.lower()}": ks[a] for a in axes}

        def at(expr: sympy.Expr, values: dict[str, int] = values) -> object:
            return expr.subs(
                {sympy.Symbol(n, positive=True, integer=True): v for n, v in values.items()}
            )

        positions, taps = 1, 1
        for a in axes:
            positions, taps = positions * out[a], taps * ks[a]
        standard = formulas.derive("standard", dims)
        assert at(standard["MACs"]) == positions * cout * (cin // groups) * taps
        assert at(standard["params (with bias)"]) == cout * (cin // groups) * taps + cout
        assert at(formulas.derive("depthwise", dims)["MACs"]) == positions * cin * taps
        assert at(formulas.derive("pointwise", dims)["params"]) == cin * cout
        separable = formulas.derive("separable", dims)
        assert at(separable["MACs"]) == positions * cin * (taps + cout)
        ratio = formulas.derive("ratio", dims)["R (MACs)"]
        assert at(ratio) == sympy.Rational(taps + cout, taps * cout)


def test_formula_dims_flag() -> None:
    from typer.testing import CliRunner

    from convcost.cli import app

    runner = CliRunner()
    three = runner.invoke(app, ["formula", "standard", "--dims", "3"])
    assert three.exit_code == 0 and "D_out" in three.stdout and "K_d" in three.stdout
    one = runner.invoke(app, ["formula", "output-size", "--dims", "1"])
    assert one.exit_code == 0 and "L_out" in one.stdout
    bad = runner.invoke(app, ["formula", "--dims", "4"])
    assert bad.exit_code == 2
    assert bad.stderr == "error: Invalid value for '--dims': 4 is larger than 3\n"
    with pytest.raises(ValueError, match="dims must be 1, 2 or 3"):
        formulas.derive("standard", 4)
