"""The hardened YAML composer: the same tree and the same messages with libyaml and without,
and its limits refused as the parser's events arrive."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from convcost import limits, network, spec
from convcost.errors import ConvcostError
from convcost.spec import yamltree

CASES = Path(__file__).parent / "bad_inputs" / "cases"
CONFIGS = Path(__file__).resolve().parents[1] / "configs"


@pytest.fixture(params=["libyaml", "pure-python"])
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "libyaml" and not yaml.__with_libyaml__:
        pytest.skip("PyYAML was built without libyaml")
    if request.param == "pure-python":
        monkeypatch.setattr(yaml, "__with_libyaml__", False)
    return str(request.param)


def _message(path: Path) -> str:
    with pytest.raises(ConvcostError) as caught:
        network.walk(spec.load(path, shown="x.yaml"))
    return str(caught.value)


@pytest.mark.parametrize("name", sorted(p.stem for p in CASES.glob("*.yaml")))
def test_corpus_messages_do_not_depend_on_the_parser(name: str, parser: str) -> None:
    expected = (CASES / f"{name}.expected").read_text(encoding="utf-8").rstrip("\n")
    assert _message(CASES / f"{name}.yaml") == expected.replace("{path}", "x.yaml")


@pytest.mark.parametrize("name", sorted(p.stem for p in CONFIGS.glob("*.yaml")))
def test_shipped_specs_load_alike(name: str, parser: str) -> None:
    loaded = spec.load(CONFIGS / f"{name}.yaml")
    assert loaded == spec.load(CONFIGS / f"{name}.yaml")
    assert network.walk(loaded).totals.params > 0


def test_tree_keeps_tags_text_style_and_lines() -> None:
    root = yamltree.compose("a: [1, '2', !!str 3]\nb: {c: yes}\n")
    assert isinstance(root, yamltree.Mapping)
    (a_key, a), (_, b) = root.value
    assert isinstance(a_key, yamltree.Scalar) and a_key.value == "a" and a_key.line == 1
    assert isinstance(a, yamltree.Sequence)
    one, two, three = a.value
    assert isinstance(one, yamltree.Scalar) and one.tag == yamltree.INT and not one.explicit
    assert isinstance(two, yamltree.Scalar) and two.tag == yamltree.STR and two.style == "'"
    assert isinstance(three, yamltree.Scalar) and three.tag == yamltree.STR and three.explicit
    assert isinstance(b, yamltree.Mapping) and b.line == 2
    value = b.value[0][1]
    assert isinstance(value, yamltree.Scalar) and value.tag == yamltree.BOOL


def test_node_limit_is_refused_as_the_events_arrive(
    parser: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "MAX_NODES", 100)
    text = "input: [" + "1, " * 200 + "1]\nlayers: [relu]\n"
    with pytest.raises(ConvcostError) as caught:
        spec.loads(text, path="x.yaml")
    assert (
        str(caught.value)
        == "x.yaml:1: the spec holds more than 100 YAML values, lists and mappings"
    )


def test_nesting_limit(parser: str) -> None:
    text = "input: [8, 8, 3]\nlayers: " + "[" * 1500 + "]" * 1500 + "\n"
    with pytest.raises(ConvcostError) as caught:
        spec.loads(text, path="x.yaml")
    assert str(caught.value) == "x.yaml:2: YAML nested too deeply"


def test_an_ampersand_in_a_comment_or_a_string_is_no_anchor(parser: str) -> None:
    text = "# R&D: *not* an alias\nname: 'A&B *x'\ninput: [8, 8, 3]\nlayers: [relu]\n"
    assert spec.loads(text).name == "A&B *x"


def test_syntax_error_far_into_a_file_keeps_libyaml_wording() -> None:
    """Past 1 MiB the pure-Python parser is not asked to word the error again (it reads about
    1 MB a second); the message is still one located line."""
    if not yaml.__with_libyaml__:
        pytest.skip("PyYAML was built without libyaml")
    text = "input: [8, 8, 3]\nlayers:\n" + "  - relu\n" * 150_000 + "  - conv: {c: 8\n"
    with pytest.raises(ConvcostError) as caught:
        spec.loads(text, path="x.yaml")
    message = str(caught.value)
    assert message.startswith("x.yaml:150004: YAML syntax error: ")
    assert "\n" not in message
