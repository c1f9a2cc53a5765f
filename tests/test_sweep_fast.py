"""``sweep``'s fast path (issue 15, item 6): A + R - 1 walks crossed into A x R variants.

Every check compares the fast path with the row path (``fast=False``: one ``walk`` per
variant), which tests/test_sweep.py pins to torchvision's and the paper's counts: the same
``Sweep``, every row's totals with their cost terms, exactly.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convcost import conventions, network, spec
from convcost.analysis import sweep as sweep_module
from convcost.analysis.sweep import Sweep, sweep
from convcost.conventions import Convention
from convcost.errors import ConvcostError

THOP = conventions.convention("thop")


def _load(name: str) -> spec.Spec:
    path, shown = spec.shipped(name)
    return spec.load(path, shown=shown)


def _same(fast: Sweep, rows: Sweep) -> None:
    """The two sweeps agree on everything, the cost terms of every variant included."""
    assert fast == rows
    for a, b in zip(fast.rows, rows.rows, strict=True):
        assert (a.alpha, a.resolution) == (b.alpha, b.resolution)
        assert a.totals == b.totals
        assert list(a.totals.terms.items()) == list(b.totals.terms.items())  # same order too
        assert (a.params_share, a.macs_share) == (b.params_share, b.macs_share)
    assert fast.base == rows.base and fast.own_base == rows.own_base


# Three alphas (odd ones among them) and three resolutions that every shipped spec builds:
# the spec's own size first, then a smaller odd one and a larger one (a 3-D spec's H and W;
# a 1-D spec's length).
ALPHAS: dict[str, list[Any]] = {
    "regnet_y_400mf": [1, 0.75, 1.25],  # its group width of 8 needs a multiple of 8 at 0.35
    "shufflenet_v2_x1_0": [1, 0.5, 1.5],  # its split needs an even channel count
}
RESOLUTIONS: dict[str, list[int]] = {
    "mobilenet_v2_cifar": [32, 33, 48],  # its 4x4 average pool at the end needs 25 or more
    "resnet18_cifar": [32, 33, 48],
    "unet": [512, 256, 384],  # four 2x2 pools and their skip concats: a multiple of 16
}
# At alpha 0.35 a block of each has as many channels in as out (rounded to multiples of 8;
# mobilenet_v3_small at 0.5 too), so it gains a residual add: rows appear, the crossing's
# first check fails, and every variant is walked.
FALLS_BACK = {"mobilenet_v2_cifar", "mobilenet_v3_small"}


def _grid(name: str, net: spec.Spec) -> tuple[list[Any], list[int]]:
    own = net.input[0] if len(net.input) == 2 else net.input[-3]
    return ALPHAS.get(name, [1, 0.35, 1.3]), RESOLUTIONS.get(name, [own, own // 2 + 1, own + 16])


@pytest.mark.parametrize("convention", [conventions.EXACT, THOP], ids=lambda c: c.name)
@pytest.mark.parametrize("name", spec.zoo_names())
def test_every_shipped_spec_crosses_to_the_row_paths_sweep(
    name: str, convention: Convention
) -> None:
    net = _load(name)
    alphas, resolutions = _grid(name, net)
    fast = sweep(net, alphas, resolutions, convention)
    rows = sweep(net, alphas, resolutions, convention, fast=False)
    _same(fast, rows)
    assert fast.fast is (name not in FALLS_BACK)
    assert not rows.fast


@pytest.mark.parametrize("name", sorted(FALLS_BACK))
def test_those_cross_where_their_rows_stay(name: str) -> None:
    net = _load(name)
    alphas, resolutions = [1, 0.75, 1.3], _grid(name, net)[1]
    fast = sweep(net, alphas, resolutions)
    assert fast.fast
    _same(fast, sweep(net, alphas, resolutions, fast=False))


# Conv then fc without a global pool: the fc flattens H x W x C features, which grow with the
# resolution, so the Linear's channels and params differ from one resolution to the next.
FLATTENED = """
name: flattened
input: [32, 32, 3]
layers:
  - conv: {c: 16, k: 3, s: 2}
  - conv: {c: 32, k: 3, s: 2}
  - fc: {c: 10}
"""


def test_a_flatten_before_a_linear_walks_every_variant() -> None:
    net = spec.loads(FLATTENED)
    alphas, resolutions = [1, 0.5, 1.5], [32, 48, (40, 24)]
    fast = sweep(net, alphas, resolutions)
    assert not fast.fast
    _same(fast, sweep(net, alphas, resolutions, fast=False))
    # the features of the flatten: (ceil(ceil(H/2)/2) * same for W) * 32 * alpha
    assert fast.row(1, 48).params - fast.row(1, 32).params == (12 * 12 - 8 * 8) * 32 * 10


def test_the_crossing_walks_a_plus_r_minus_1_variants(monkeypatch: pytest.MonkeyPatch) -> None:
    walked: list[tuple[Any, Any]] = []

    def counted(net: spec.Spec, **how: Any) -> network.Report:
        walked.append((how["alpha"], how["resolution"]))
        return network.walk(net, **how)

    monkeypatch.setattr(sweep_module, "walk", counted)
    alphas = [Fraction(n, 8) for n in range(2, 12)]
    resolutions = list(range(96, 256, 16))
    result = sweep(_load("mobilenet_v1"), alphas, resolutions)
    assert result.fast and len(result.rows) == 100
    assert walked == [(alphas[0], r) for r in resolutions] + [(a, 96) for a in alphas[1:]]


def test_a_bad_value_is_the_row_paths_error() -> None:
    net = _load("mobilenet_v1")
    for alphas, resolutions, field in [
        ([1, 0.5, -1], [224, 160], "alpha"),
        ([1, 0.5], [224, 0, 160], "resolution"),
        ([-1, 0.5], [224, 0], "alpha"),
    ]:
        with pytest.raises(ConvcostError) as fast:
            sweep(net, alphas, resolutions)
        with pytest.raises(ConvcostError) as rows:
            sweep(net, alphas, resolutions, fast=False)
        assert str(fast.value) == str(rows.value)
        assert fast.value.field == rows.value.field == field


def test_a_single_alpha_or_resolution_is_walked() -> None:
    net = _load("mobilenet_v1")
    assert not sweep(net, [1, 0.5], [224]).fast
    assert not sweep(net, [1], [224, 160]).fast


# 1/40 steps from 0.1 to 3: most are not multiples of 1/8, so int(C * alpha) rounds down.
ALPHA = st.integers(4, 120).map(lambda n: Fraction(n, 40))
SIZE = st.integers(32, 320)
RESOLUTION = st.one_of(SIZE, st.tuples(SIZE, SIZE))


@settings(max_examples=20, deadline=None)
@given(
    name=st.sampled_from(["mobilenet_v1", "mobilenet_v2"]),
    alphas=st.lists(ALPHA, min_size=2, max_size=3),
    resolutions=st.lists(RESOLUTION, min_size=2, max_size=3),
    convention=st.sampled_from(list(conventions.CONVENTIONS.values())),
)
def test_random_grids_of_mobilenets_cross_exactly(
    name: str,
    alphas: list[Fraction],
    resolutions: list[int | tuple[int, int]],
    convention: Convention,
) -> None:
    net = NETS[name]
    fast = sweep(net, alphas, resolutions, convention)
    # mobilenet_v2 gains or loses residual adds where rounding makes a block's channels in
    # and out equal at one alpha only, and is then walked variant by variant
    assert fast.fast or name == "mobilenet_v2"
    _same(fast, sweep(net, alphas, resolutions, convention, fast=False))


NETS = {name: _load(name) for name in ("mobilenet_v1", "mobilenet_v2")}


def test_progress_is_told_each_walk() -> None:
    """(walks done, walks to do): A + R - 1 crossed, A x R where the crossing gives up (the
    flatten before a Linear of test_a_flatten_before_a_linear_walks_every_variant)."""
    told: list[tuple[int, int]] = []
    sweep(_load("mobilenet_v1"), [1, 0.5, 0.25], [224, 160], progress=lambda *t: told.append(t))
    assert told == [(1, 4), (2, 4), (3, 4), (4, 4)]
    told.clear()
    sweep(
        _load("mobilenet_v1"), [1, 0.5], [224, 160], fast=False, progress=lambda *t: told.append(t)
    )
    assert told == [(1, 4), (2, 4), (3, 4), (4, 4)]
    told.clear()
    flat = spec.loads(FLATTENED)
    sweep(flat, [1, 0.5], [32, 48], progress=lambda *t: told.append(t))
    assert told == [(1, 3), (2, 3), (3, 3), (1, 4), (2, 4), (3, 4), (4, 4)]
