"""The catalogue of entry types is the one source: the loader, blocks.py's expansion rules,
the docs' tables and the defaults the expansions apply all agree with it, and one function
names entries for the loader's messages and the walker's rows."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from convcost import blocks, network, spec
from convcost.errors import ConvcostError
from convcost.spec import CATALOGUE, Computed, EntryType, SameAs

DOC = Path(__file__).resolve().parent.parent / "docs" / "spec.md"
SECTIONS = {"Layers": "layer", "Paper blocks": "block", "Containers": "container"}


# --- blocks.py ------------------------------------------------------------------------------


def test_every_catalogued_type_has_its_named_expansion_rule() -> None:
    assert set(blocks._EXPAND) == set(CATALOGUE)
    for name, entry in CATALOGUE.items():
        assert blocks._EXPAND[name].__name__ == f"_expand_{entry.rule}", name


def test_the_views_are_the_catalogue() -> None:
    assert spec.FIELDS == {
        name: {key: f.kind for key, f in entry.fields.items()} for name, entry in CATALOGUE.items()
    }
    assert spec.REQUIRED == {name: e.required for name, e in CATALOGUE.items() if e.required}
    assert spec.PREFIX == {name: entry.prefix for name, entry in CATALOGUE.items()}
    for name, entry in CATALOGUE.items():
        assert entry.name == name
        assert set(entry.required) <= set(entry.fields), name
        assert entry.group in SECTIONS.values(), name
        for key, f in entry.fields.items():
            if isinstance(f.default, SameAs):
                assert f.default.field in entry.fields, (name, key)


# Each type with its required fields filled, on an input of [16, 16, 8].
_BASE: dict[str, dict[str, Any]] = {
    "conv": {"c": 8},
    "pointwise": {"c": 8},
    "separable": {"c": 8},
    "fc": {"c": 10},
    "inverted_residual": {"t": 6, "c": 8, "se": 0.25},
    "basic": {"c": 8},
    "bottleneck": {"c": 8},
    "squeeze_excite": {"ratio": 0.25},
    "groupnorm": {"groups": 2},
    "shuffle_unit": {"c": 8},
    "conv_transpose": {"c": 8},
    "upsample": {"scale_factor": 2},
    "pixel_shuffle": {"upscale_factor": 2},
    "pixel_unshuffle": {"downscale_factor": 2},
    "sequence": {"layers": ["relu"]},
    "residual": {"layers": [{"conv": {"c": 8}}]},
    "concat": {"branches": [[], [{"conv": {"c": 8}}]]},
}
# A value other than the default for each field that another field's default follows.
_OTHER = {"bn": False, "act": "relu6", "k": [3, 3]}


def _yaml_value(value: Any) -> Any:
    """A pair as a fresh list: PyYAML writes a list it meets twice as an anchor and alias."""
    return list(value) if isinstance(value, tuple | list) else value


def _rows(kind: str, fields: dict[str, Any]) -> tuple[network.LayerCost, ...]:
    text = yaml.safe_dump({"input": [16, 16, 8], "layers": [{kind: fields}]}, sort_keys=False)
    return network.walk(spec.loads(text)).rows


_DEFAULTS = [
    (name, key)
    for name, entry in CATALOGUE.items()
    for key, f in entry.fields.items()
    if not isinstance(f.default, Computed) and key not in entry.required
    if f.default is not None or f.kind == spec.ACT
]


@pytest.mark.parametrize(("kind", "key"), _DEFAULTS, ids=[f"{k}.{f}" for k, f in _DEFAULTS])
def test_a_field_left_out_costs_as_its_catalogued_default(kind: str, key: str) -> None:
    """What blocks.py does without the field is what it does with the catalogue's default."""
    default = CATALOGUE[kind].fields[key].default
    base = {k: v for k, v in _BASE.get(kind, {}).items() if spec.ALIASES.get(k, k) != key}
    if isinstance(default, SameAs):
        base[default.field] = _OTHER[default.field]
        value = _yaml_value(base[default.field])
    else:
        value = _yaml_value(default)
    assert _rows(kind, {**base, key: value}) == _rows(kind, base)


def test_the_defaults_cover_every_optional_field_but_the_computed_ones() -> None:
    computed = {
        (name, key)
        for name, entry in CATALOGUE.items()
        for key, f in entry.fields.items()
        if isinstance(f.default, Computed)
    }
    assert computed == {("inverted_residual", "se_divisor")}


# --- docs/spec.md ---------------------------------------------------------------------------


def _without_parentheses(text: str) -> str:
    out, depth = [], 0
    for ch in text:
        depth += ch == "("
        if not depth:
            out.append(ch)
        depth -= ch == ")" and depth > 0
    return "".join(out)


def _doc_tables() -> dict[str, dict[str, set[str]]]:
    """Section -> type -> the fields its row names (first word of each item, long names)."""
    tables: dict[str, dict[str, set[str]]] = {}
    section = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            section = line.lstrip("#").strip()
            continue
        if section not in SECTIONS or not line.startswith("| `"):
            continue
        types_cell, fields_cell = line.split("|")[1:3]
        fields = set()
        for item in re.split(r",| or ", _without_parentheses(fields_cell)):
            word = item.strip()
            if word:
                assert re.fullmatch(r"`\w+`", word), (section, line, word)
                fields.add(spec.ALIASES.get(word.strip("`"), word.strip("`")))
        for kind in types_cell.split(","):
            name = kind.strip().strip("`")
            assert name not in tables.get(section, {}), (section, name)
            tables.setdefault(section, {})[name] = fields - set(spec.COMMON)
    return tables


def test_docs_tables_list_exactly_the_catalogue() -> None:
    """Layers, Paper blocks and Containers in docs/spec.md: each catalogued type once, in the
    table of its group, with exactly its fields (``n`` and the other common fields aside)."""
    tables = _doc_tables()
    assert set(tables) == set(SECTIONS)
    documented = {
        name: (SECTIONS[section], fields)
        for section, rows in tables.items()
        for name, fields in rows.items()
    }
    assert documented == {
        name: (entry.group, set(entry.fields)) for name, entry in CATALOGUE.items()
    }


# --- names ----------------------------------------------------------------------------------


def test_entry_name_numbers_by_prefix_within_a_scope() -> None:
    counters: dict[str, int] = {}
    assert spec.entry_name("", counters, "conv", None, 1) == "conv1"
    assert [spec.entry_name("", counters, "block", None, 3, i) for i in range(3)] == [
        "block1",
        "block2",
        "block3",
    ]
    assert spec.entry_name("", counters, "conv", None, 1) == "conv2"
    assert counters == {"conv": 2, "block": 3}
    assert spec.entry_name("stage1", counters, "x", "head", 1) == "stage1.head"
    assert spec.entry_name("stage1", counters, "x", "head", 2, 1) == "stage1.head.2"
    assert counters == {"conv": 2, "block": 3}  # written names take no number


_NAMED = """\
input: [16, 16, 8]
layers:
  - conv: {c: 8, n: 2}
  - sequence:
      n: 2
      layers:
        - separable: {c: 8, n: 2}
        - residual: {layers: [conv: {c: 8}], shortcut: [conv: {c: 8, k: 1}]}
  - concat: {branches: [[conv: {c: 4}], [conv: {c: 4}]]}
  - conv: {name: head, c: 8, n: 2}
  - conv: {c: 8}
"""


def test_the_loader_names_an_entry_as_the_walker_does() -> None:
    """An error the loader finds in an entry names it as the report names that entry's rows."""
    walked = {name for row in network.walk(spec.loads(_NAMED)).rows for name in row.scope}
    labels = []
    for found in re.finditer(r"\w+: \{", _NAMED):
        broken = f"{_NAMED[: found.end()]}bogus: 1, {_NAMED[found.end() :]}"
        with pytest.raises(ConvcostError) as caught:
            spec.loads(broken)
        assert caught.value.field == "bogus"
        labels.append(caught.value.layer)
    assert labels == [
        "conv1",
        "stage1.block1",
        "stage1.block3",
        "stage1.block3.conv1",
        "stage1.block3.shortcut.conv1",
        "block1",
        "block1.branch1.conv1",
        "block1.branch2.conv1",
        "head.1",
        "conv3",
    ]
    assert set(labels) <= walked


def test_a_catalogued_type_is_named_by_its_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    mystery = EntryType("mystery", {}, prefix="m", rule="simple", group="layer")
    monkeypatch.setitem(CATALOGUE, "mystery", mystery)
    with pytest.raises(ConvcostError) as caught:
        spec.loads("input: [8, 8, 8]\nlayers:\n  - mystery\n  - mystery: {n: 2, x: 1}\n")
    assert caught.value.layer == "m2"
