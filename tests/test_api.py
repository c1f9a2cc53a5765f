"""The library as README shows it (issue 13, item 8): ``spec.load`` finds a shipped spec by name
as ``convcost net`` does, ``compare`` takes plain ints for pairs, and a bad argument to a public
function is a ``ConvcostError`` naming the argument, never a ``TypeError``."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from convcost import conventions, network, spec
from convcost.analysis.separable import compare
from convcost.errors import ConvcostError
from convcost.limits import MAX_SIZE

TINY = "input: [8, 8, 3]\nlayers: [relu]\n"


# --- spec.load: the command line's rule -----------------------------------------------------


@pytest.mark.parametrize("typed", ["mobilenet_v1", "mobilenet_v1.yaml", Path("mobilenet_v1")])
def test_load_finds_a_shipped_spec_by_name_from_any_folder(
    typed: str | Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    loaded = spec.load(typed)
    assert (loaded.name, loaded.path) == ("mobilenet_v1", "mobilenet_v1.yaml")
    assert network.walk(loaded).totals.params == 4_231_976  # Howard et al. 2017, Table 1


def test_load_is_the_cli_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file that is there wins; a folder part makes a path, never the shipped spec."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mobilenet_v1.yaml").write_text(TINY)
    assert spec.load("mobilenet_v1.yaml").input == (8, 8, 3)
    assert spec.load("mobilenet_v1").name == "mobilenet_v1"  # no file 'mobilenet_v1' here
    assert spec.load("mobilenet_v1").input == (224, 224, 3)
    for typed in ("configs/mobilenet_v1.yaml", "./sub/mobilenet_v1.yaml"):
        with pytest.raises(ConvcostError) as caught:
            spec.load(typed)
        assert str(caught.value) == (
            f"{typed}: no such file; for the shipped spec of that name, type mobilenet_v1"
        )
    with pytest.raises(ConvcostError) as caught:
        spec.load("mobilenet_v9")
    assert str(caught.value).startswith(
        "mobilenet_v9: no such file, and no shipped spec of that name (shipped: "
    )


def test_load_shows_the_path_as_given_or_as_told(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.yaml").write_text("input: [8, 8, 3]\nlayers: [rleu]\n")
    with pytest.raises(ConvcostError, match=r"^bad\.yaml:2: unknown layer type 'rleu'"):
        spec.load("bad.yaml")
    with pytest.raises(ConvcostError, match=r"^specs/bad\.yaml:2: "):
        spec.load(tmp_path / "bad.yaml", shown="specs/bad.yaml")


_NOT_A_PATH = "path: expected a path or the name of a shipped spec, got "


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: spec.load(None), _NOT_A_PATH + "NoneType"),
        (lambda: spec.load(3), _NOT_A_PATH + "int"),
        (lambda: spec.load(b"x.yaml"), _NOT_A_PATH + "bytes"),
        (lambda: spec.load(""), "path: empty; give a spec file or the name of a shipped spec "
         "(convcost zoo)"),
        (lambda: spec.load("mobilenet_v1", shown=1), "shown: expected a string, got int"),
        (lambda: spec.loads(None), "text: expected the YAML text, got NoneType"),
        (lambda: spec.loads(TINY.encode()), "text: expected the YAML text, got bytes (decode "
         "bytes first, or use load_stream)"),
        (lambda: spec.load_stream("x"), "file: expected an open binary stream, got str"),
        (lambda: spec.resolve(None), "spec: expected a path or the name of a shipped spec, "
         "got NoneType"),
    ],
)  # fmt: skip
def test_bad_loader_arguments(call: Any, message: str) -> None:
    with pytest.raises(ConvcostError) as caught:
        call()
    assert str(caught.value) == message


def test_a_text_stream_is_refused_with_the_fix() -> None:
    import io

    with pytest.raises(
        ConvcostError, match=r"^file: expected a binary stream \(open\(path, 'rb'\)"
    ):
        spec.load_stream(io.StringIO(TINY))  # type: ignore[arg-type]
    assert spec.load_stream(io.BytesIO(TINY.encode())).input == (8, 8, 3)


# --- compare: ints for pairs, checked arguments ---------------------------------------------


def test_compare_takes_plain_ints_for_every_pair() -> None:
    plain = compare(k=3, cin=256, cout=256, h=56, w=56, stride=2, padding=1, dilation=1)
    pairs = compare(
        k=(3, 3), cin=256, cout=256, h=56, w=56, stride=(2, 2), padding=(1, 1), dilation=(1, 1)
    )
    assert plain == pairs
    assert (plain.kernel, plain.stride, plain.padding, plain.dilation) == (
        (3, 3),
        (2, 2),
        (1, 1),
        (1, 1),
    )
    assert plain.macs_ratio == Fraction(265, 2304)  # (K^2 + Cout) / (K^2 Cout), K=3, Cout=256
    assert plain.row("standard").output == (28, 28, 256)


def test_compare_as_the_readme_writes_it() -> None:
    assert compare(k=3, cin=256, cout=256, stride=2, padding=1).macs_ratio == Fraction(265, 2304)
    assert compare(k=[1, 7], cin=8, cout=8, h=8, w=8, padding=[0, 3]).row("standard").output == (
        8,
        8,
        8,
    )
    assert compare(k=3, cin=8, cout=8, h=8, w=8, padding="valid").row("standard").output == (
        6,
        6,
        8,
    )


BAD_COMPARE = [
    ({"k": 2.5}, "k: expected a positive integer or an (h, w) pair of them, got 2.5 (a float)"),
    ({"k": "3"}, "k: expected a positive integer or an (h, w) pair of them, got '3' (a str)"),
    ({"k": True}, "k: expected a positive integer or an (h, w) pair of them, got True"),
    ({"k": None}, "k: expected a positive integer or an (h, w) pair of them, got None"),
    ({"k": -3}, "k: expected a positive integer, got -3"),
    ({"k": 0}, "k: expected a positive integer, got 0"),
    ({"k": (3, 3, 3)}, "k: expected a positive integer or an (h, w) pair of them, got 3 values"),
    ({"k": (3,)}, "k: expected a positive integer or an (h, w) pair of them, got 1 value"),
    ({"k": (3, 2.0)}, "k: expected a positive integer, got 2.0 (a float)"),
    ({"k": MAX_SIZE + 1}, f"k: {MAX_SIZE + 1:,} is larger than {MAX_SIZE:,}"),
    ({"k": 10**5000}, f"k: an integer of about 10^5000 is larger than {MAX_SIZE:,}"),
    ({"stride": 0}, "stride: expected a positive integer, got 0"),
    ({"stride": None}, "stride: expected a positive integer or an (h, w) pair of them, got None"),
    ({"dilation": (1, -1)}, "dilation: expected a positive integer, got -1"),
    ({"padding": -1}, "padding: expected an integer of at least 0, got -1"),
    (
        {"padding": "full"},
        "padding: expected 'same', 'valid', an integer of at least 0 or an (h, w) pair of "
        "them, got 'full' (a str)",
    ),
    (
        {"padding": None},
        "padding: expected 'same', 'valid', an integer of at least 0 or an (h, w) pair of "
        "them, got None",
    ),
    ({"cin": 2.0}, "cin: expected a positive integer or None, got 2.0 (a float)"),
    ({"cout": "8"}, "cout: expected a positive integer or None, got '8' (a str)"),
    ({"h": 0}, "h: expected a positive integer, got 0"),
    ({"w": False}, "w: expected a positive integer or None, got False"),
    ({"groups": 1.0}, "groups: expected a positive integer, got 1.0 (a float)"),
    ({"groups": None}, "groups: expected a positive integer, got None"),
    ({"groups": 3}, "groups: 3 does not divide cin=8"),
    ({"bias": 1}, "bias: expected True or False, got 1"),
    (
        {"convention": "thop"},
        "convention: expected a Convention (convcost.conventions.EXACT, or "
        "conventions.convention('thop')), got 'thop' (a str)",
    ),
]


@pytest.mark.parametrize(("changed", "message"), BAD_COMPARE)
def test_bad_compare_arguments(changed: dict[str, Any], message: str) -> None:
    arguments: dict[str, Any] = {"k": 3, "cin": 8, "cout": 8, "h": 8, "w": 8} | changed
    with pytest.raises(ConvcostError) as caught:
        compare(**arguments)
    assert str(caught.value) == message
    assert caught.value.field == message.split(":", 1)[0]


def test_compare_leaves_what_is_not_given_a_symbol() -> None:
    result = compare(k=3, cin=256, cout=256)
    assert result.symbolic and result.macs_ratio == Fraction(265, 2304)  # R needs no H, W
    assert compare(k=3, cin=None, cout=None).symbolic


# --- walk -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mobilenet() -> spec.Spec:
    return spec.load(spec.shipped("mobilenet_v1")[0])


def test_walk_takes_alpha_and_resolution_as_numbers(mobilenet: spec.Spec) -> None:
    exact = network.walk(mobilenet, alpha=Fraction(3, 4), resolution=(160, 160))
    assert network.walk(mobilenet, alpha=0.75, resolution=160).totals == exact.totals
    assert network.walk(mobilenet, network.Variant(0.75, 160)).totals == exact.totals
    assert network.walk(mobilenet, alpha=0.3).alpha == Fraction(3, 10)  # as --alpha 0.3 reads
    assert network.walk(mobilenet, resolution=[96, 128]).input == (96, 128, 3)
    thop = network.walk(mobilenet, convention=conventions.convention("thop"))
    assert thop.convention.name == "thop"


BAD_WALK = [
    ({"alpha": "0.5"}, "alpha: expected a number such as 0.75, got '0.5' (str)"),
    ({"alpha": True}, "alpha: expected a number such as 0.75, got True (bool)"),
    ({"alpha": float("nan")}, "alpha: expected a finite number, got nan"),
    ({"alpha": 0}, "alpha: must be from 0.001 to 100, got 0"),
    ({"alpha": 1e9}, "alpha: must be from 0.001 to 100, got 1000000000.0"),
    ({"alpha": 10**5000}, "alpha: must be from 0.001 to 100, got an integer of about 10^5000"),
    ({"resolution": 0}, f"resolution: must be 1 to {MAX_SIZE:,}, got 0"),
    ({"resolution": -5}, f"resolution: must be 1 to {MAX_SIZE:,}, got -5"),
    ({"resolution": 10**30}, f"resolution: must be 1 to {MAX_SIZE:,}, got an integer of about "
     "10^30"),
    ({"resolution": (1, 2, 3)}, "resolution: expected N or (H, W), got 3 values"),
    ({"resolution": 224.0}, "resolution: expected a positive integer or (H, W), got 224.0 (float)"),
    ({"resolution": True}, "resolution: expected a positive integer or (H, W), got True (bool)"),
    ({"resolution": "224"}, "resolution: expected a positive integer or (H, W), got '224' (str)"),
    (
        {"convention": "thop"},
        "convention: expected a Convention (convcost.conventions.EXACT, or "
        "conventions.convention('thop')), got str",
    ),
    ({"variant": (0.5, 128)}, "variant: expected a Variant or None, got tuple"),
    (
        {"variant": network.Variant(), "alpha": 0.5},
        "variant: give a variant, or alpha and resolution, not both",
    ),
    ({"variant": network.Variant(0.5, 0)}, f"resolution: must be 1 to {MAX_SIZE:,}, got 0"),
]  # fmt: skip


@pytest.mark.parametrize(("changed", "message"), BAD_WALK)
def test_bad_walk_arguments(mobilenet: spec.Spec, changed: dict[str, Any], message: str) -> None:
    arguments = dict(changed)
    variant = arguments.pop("variant", None)
    with pytest.raises(ConvcostError) as caught:
        network.walk(mobilenet, variant, **arguments)
    assert str(caught.value) == message


def test_walk_wants_a_loaded_spec() -> None:
    with pytest.raises(ConvcostError) as caught:
        network.walk("mobilenet_v1")  # type: ignore[arg-type]
    assert str(caught.value) == (
        "spec: expected a Spec (from convcost.spec.load), got str; "
        "load it first: spec.load('mobilenet_v1')"
    )
