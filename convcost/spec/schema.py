"""The JSON Schema of the spec format, generated from the catalogue (``convcost schema``).

Editors use it to validate and complete specs; the loader remains the authority.
"""

from __future__ import annotations

from typing import Any

from convcost.limits import MAX_NAME, MAX_REPEAT, MAX_SIZE
from convcost.spec.catalogue import (
    ACT,
    ACTIVATIONS,
    ALIASES,
    BOOL,
    BRANCHES,
    CALL,
    CALL_OR_MEAN,
    CATALOGUE,
    CHOICE_SE_BASE,
    CHOICE_SQUEEZE_BASE,
    CHOICE_UPSAMPLE_MODE,
    COUNT,
    COUNTS,
    LAYERS,
    NUMBER,
    OFFSET,
    OFFSETS,
    PADDING,
    PAIR,
    PROB,
    RATIO,
    SCALE,
    WIDTH_RULES,
    EntryType,
)

_POSITIVE = {"type": "integer", "minimum": 1, "maximum": MAX_SIZE}
_PAIR_SCHEMA = {
    "oneOf": [_POSITIVE, {"type": "array", "items": _POSITIVE, "minItems": 1, "maxItems": 3}]
}
_NONNEG = {"type": "integer", "minimum": 0, "maximum": MAX_SIZE}
_ACT_SCHEMA = {"oneOf": [{"enum": [*ACTIVATIONS, "none"]}, {"type": "null"}]}
_KIND_SCHEMA: dict[str, Any] = {
    COUNT: _POSITIVE,
    PAIR: _PAIR_SCHEMA,
    PADDING: {
        "oneOf": [
            _NONNEG,
            {"type": "array", "items": _NONNEG, "minItems": 1, "maxItems": 3},
            {"enum": ["same", "valid"]},
        ]
    },
    BOOL: {"type": "boolean"},
    ACT: _ACT_SCHEMA,
    NUMBER: {"type": "number", "exclusiveMinimum": 0},
    RATIO: {"type": "number", "minimum": 0},
    PROB: {"type": "number", "minimum": 0, "exclusiveMaximum": 1},
    SCALE: {"oneOf": [{"type": "boolean"}, {"const": "up"}]},
    CHOICE_SE_BASE: {"enum": ["expanded", "input"]},
    CHOICE_SQUEEZE_BASE: {"enum": ["channels", "input"]},
    OFFSET: _NONNEG,
    OFFSETS: {
        "oneOf": [_NONNEG, {"type": "array", "items": _NONNEG, "minItems": 1, "maxItems": 3}]
    },
    CHOICE_UPSAMPLE_MODE: {"enum": ["nearest", "bilinear"]},
    LAYERS: {"$ref": "#/$defs/layers"},
    BRANCHES: {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/layers"}},
    COUNTS: {"type": "array", "minItems": 1, "items": _POSITIVE},
    CALL: {"enum": ["module", "functional"]},
    CALL_OR_MEAN: {"enum": ["module", "functional", "mean"]},
}
_SHAPE_SCHEMA = {
    "type": "array",
    "items": _POSITIVE,
    "minItems": 2,
    "maxItems": 4,
    "description": "[H, W, C]; [L, C] in 1-D, [D, H, W, C] in 3-D (one value per spatial axis "
    "in the per-axis fields: [h, w], [l], [d, h, w])",
}


def _fields_schema(entry: EntryType, *, with_common: bool) -> dict[str, Any]:
    properties: dict[str, Any] = {name: _KIND_SCHEMA[f.kind] for name, f in entry.fields.items()}
    for alias, name in ALIASES.items():
        if name in properties:
            properties[alias] = properties[name]
    if with_common:
        properties |= {
            "name": {"type": "string", "minLength": 1, "maxLength": MAX_NAME},
            "repeat": {"type": "integer", "minimum": 1, "maximum": MAX_REPEAT},
            "n": {"type": "integer", "minimum": 1, "maximum": MAX_REPEAT},
            "output": _SHAPE_SCHEMA,
        }
    properties["scale"] = _KIND_SCHEMA[SCALE]
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if with_common:
        short = {long: alias for alias, long in ALIASES.items()}

        def present(name: str) -> dict[str, Any]:
            if name in short:
                return {"anyOf": [{"required": [name]}, {"required": [short[name]]}]}
            return {"required": [name]}

        required = [present(name) for name in entry.required]
        if entry.one_of is not None:
            required.append({"oneOf": [present(name) for name, _ in entry.one_of.fields]})
        if required:
            schema["allOf"] = required
    return schema


def json_schema() -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) of the spec format, generated from ``CATALOGUE``.

    Editors use it to validate and complete specs; the loader remains the authority (it also
    checks shapes, channel counts and YAML 1.1 surprises, which a schema cannot).
    """
    entries: list[dict[str, Any]] = []
    for entry in CATALOGUE.values():
        entries.append(
            {
                "type": "object",
                "properties": {entry.name: _fields_schema(entry, with_common=True)},
                "required": [entry.name],
                "additionalProperties": False,
            }
        )
        if not entry.required and entry.one_of is None:
            entries.append({"const": entry.name})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "convcost network spec",
        "description": "An input shape and an ordered list of layers and blocks "
        "(see docs/spec.md).",
        "type": "object",
        "required": ["input", "layers"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string"},
            "source": {"type": "string"},
            "input": _SHAPE_SCHEMA,
            "width_rule": {"enum": list(WIDTH_RULES)},
            "defaults": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    entry.name: _fields_schema(entry, with_common=False)
                    for entry in CATALOGUE.values()
                },
            },
            "layers": {"$ref": "#/$defs/layers"},
        },
        "$defs": {
            "layers": {"type": "array", "items": {"$ref": "#/$defs/entry"}},
            "entry": {"oneOf": entries},
        },
    }
