"""Views of a report (convcost/views.py): folded, grouped by depth, the top K. Every view
keeps the sums, and each property is checked on every shipped spec against the rows
themselves."""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convcost import spec
from convcost.conventions import THOP
from convcost.network import Report, walk
from convcost.report import Layout, Units, _text, markdown
from convcost.views import COMPACT, View, rows

NAMES = spec.zoo_names()
_REPORTS: dict[tuple[str, str], Report] = {}


def report(name: str, convention: str = "exact") -> Report:
    key = (name, convention)
    if key not in _REPORTS:
        path, shown = spec.shipped(name)
        loaded = spec.load(path, shown=shown)
        _REPORTS[key] = walk(loaded, convention=THOP) if convention == "thop" else walk(loaded)
    return _REPORTS[key]


views = st.builds(
    View,
    fold=st.booleans(),
    depth=st.one_of(st.none(), st.integers(1, 5)),
    top=st.none(),
)


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(NAMES), view=views)
def test_views_keep_the_sums(name: str, view: View) -> None:
    r = report(name)
    shown = rows(r, view)
    assert sum(row.params for row in shown) == r.totals.params
    assert sum(row.buffers for row in shown) == r.totals.buffers
    assert sum(row.macs for row in shown) == r.totals.macs
    assert sum(row.layers for row in shown) == len(r.rows)
    assert shown[0].input == r.input and shown[-1].output == r.output


@pytest.mark.parametrize("name", NAMES)
def test_fold_leaves_no_foldable_row(name: str) -> None:
    r = report(name)
    shown = rows(r, COMPACT)
    for row in shown[1:]:
        assert row.macs != 0 or row.output != row.input
    # Every row with MACs is shown as itself, in network order.
    working = [layer.name for layer in r.rows if layer.macs != 0]
    assert [row.name for row in shown if row.macs != 0] == working


def test_fold_follows_the_convention() -> None:
    """thop counts BatchNorm, so its rows have MACs and stay."""
    exact = rows(report("mobilenet_v1"), COMPACT)
    thop = rows(report("mobilenet_v1", "thop"), COMPACT)
    assert not any(row.category == "BatchNorm" for row in exact)
    assert sum(row.category == "BatchNorm" for row in thop) == 27


@pytest.mark.parametrize("depth", [1, 2, 3])
@pytest.mark.parametrize("name", ["mobilenet_v2", "resnet50", "efficientnet_b0", "xception"])
def test_depth_groups_by_name(name: str, depth: int) -> None:
    r = report(name)
    shown = rows(r, View(depth=depth))
    for row in shown:
        assert len(row.name.split(".")) <= depth
    for before, after in itertools.pairwise(shown):
        assert before.name != after.name
    # Brute force: the distinct prefixes, in order of first appearance, where consecutive.
    prefixes = [".".join(layer.name.split(".")[:depth]) for layer in r.rows]
    runs = [p for i, p in enumerate(prefixes) if i == 0 or prefixes[i - 1] != p]
    assert [row.name for row in shown] == runs


def test_resnet50_by_stage() -> None:
    shown = rows(report("resnet50"), View(fold=True, depth=1))
    names = ["conv1", "pool1", "conv2_x", "conv3_x", "conv4_x", "conv5_x", "pool2", "fc1"]
    assert [row.name for row in shown] == names
    stage = next(row for row in shown if row.name == "conv2_x")
    assert stage.category == "Conv 1x1 + Conv 3x3"
    assert stage.input == (56, 56, 64) and stage.output == (56, 56, 256)


@pytest.mark.parametrize("k", [1, 3, 10, 1000])
@pytest.mark.parametrize("name", ["mobilenet_v2", "resnet50", "shufflenet_v2_x1_0"])
def test_top_is_the_largest(name: str, k: int) -> None:
    r = report(name)
    everything = rows(r, COMPACT)
    top = rows(r, COMPACT._replace(top=k))
    assert len(top) == min(k, len(everything))
    macs = [row.macs for row in top]
    assert macs == sorted(macs, reverse=True)
    assert macs == sorted((row.macs for row in everything), reverse=True)[:k]


def test_complete_view_is_every_row() -> None:
    r = report("mobilenet_v1")
    assert r.layer_table(View()).rows is r.rows
    assert r.layer_table().rows is r.rows


@pytest.mark.parametrize(
    ("value", "units", "text"),
    [
        (3_504_872, Units.RAW, "3,504,872"),
        (3_504_872, Units.SI, "3.50M"),
        (864, Units.SI, "864"),
        (10_838_016, Units.SI, "10.84M"),
        (4_089_184_256, Units.SI, "4.09G"),
        (999_999, Units.SI, "1,000.00K"),
        (300_774_272, Units.M, "300.77"),
        (1_281_000, Units.K, "1,281.00"),
        (125, Units.K, "0.12"),  # 0.125: half to even
        (135, Units.K, "0.14"),  # 0.135: half to even
        (15_470_264_320, Units.G, "15.47"),
    ],
)
def test_units(value: int, units: Units, text: str) -> None:
    assert _text.count_writer(units)(value) == text


@settings(max_examples=200, deadline=None)
@given(value=st.integers(0, 10**15), units=st.sampled_from([Units.K, Units.M, Units.G]))
def test_fixed_units_round_exactly(value: int, units: Units) -> None:
    scale = {Units.K: 10**3, Units.M: 10**6, Units.G: 10**9}[units]
    written = _text.count_writer(units)(value).replace(",", "")
    assert Fraction(written) == Fraction(round(Fraction(value, scale) * 100), 100)


def test_units_in_titles_and_never_on_layer_counts() -> None:
    text = markdown.network(report("mobilenet_v2"), layout=Layout(units=Units.M))
    assert "| MACs (M) |" in text and "| 300.77 |" in text
    assert "| Conv 1x1 | 34 |" in text  # the by-type layer count stays a count
