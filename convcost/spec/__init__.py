"""The spec language: YAML layer tables -> validated :class:`Spec` objects that remember lines.

One job per module, imported in one direction (tests/test_layering.py holds it):

- ``catalogue``: the language: every entry type once (fields with kinds and defaults, name
  prefix, required fields, expansion rule), aliases, common fields, ``LayerSpec`` and ``Spec``,
  and ``entry_name``, the one function that names entries for the loader and the walker;
- ``yamltree``: hardened YAML, a lean node tree that refuses anchors, tags and oversize input
  as the parser's events arrive (the only module that imports PyYAML);
- ``validators``: one YAML node -> one checked field value, or a located error;
- ``parser``: the node tree -> ``Spec``, checked against the catalogue;
- ``reader``: I/O: a path, a stream or a text, read within the limits (``load``, ``loads``);
- ``zoo``: the shipped specs and what a ``SPEC`` argument names;
- ``schema``: the JSON Schema, generated from the catalogue.

The bounds live in :mod:`convcost.limits`, which the command line imports without this package.
"""

from __future__ import annotations

import os
from typing import Any

from convcost.errors import ConvcostError
from convcost.gcpause import paused_gc
from convcost.limits import (
    MAX_DEPTH,
    MAX_ENTRIES,
    MAX_FILE_BYTES,
    MAX_INT_TEXT,
    MAX_NAME,
    MAX_PATH_NAME,
    MAX_REPEAT,
    MAX_SIZE,
)
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
    COMMON,
    COUNT,
    COUNTS,
    FIELDS,
    LAYERS,
    NUMBER,
    PADDING,
    PAIR,
    PREFIX,
    PROB,
    RATIO,
    REQUIRED,
    SCALE,
    TOP_LEVEL,
    WIDTH_RULES,
    Computed,
    EntryType,
    Field,
    LayerSpec,
    OneOf,
    SameAs,
    Spec,
    entry_name,
)
from convcost.spec.reader import load as _load_file
from convcost.spec.reader import load_stream, loads
from convcost.spec.zoo import resolve, shipped, zoo_names


def load(path: str | os.PathLike[str], *, shown: str | None = None) -> Spec:
    """Read and validate a spec: a file, or a shipped spec by name, as ``convcost net SPEC``
    finds it (:func:`resolve`): ``path`` is that path when it has a folder part or something
    is there; only a bare name that is nowhere on disk (``mobilenet_v1``,
    ``mobilenet_v1.yaml``) is the shipped spec. ``shown`` names the spec in messages (the path
    as given, or ``mobilenet_v1.yaml`` for a shipped one)."""
    if isinstance(path, os.PathLike):
        path = os.fspath(path)
    if not isinstance(path, str):
        raise ConvcostError(
            f"expected a path or the name of a shipped spec, got {type(path).__name__}",
            field="path",
        )
    if not path.strip():
        raise ConvcostError(
            "empty; give a spec file or the name of a shipped spec (convcost zoo)", field="path"
        )
    if shown is not None and not isinstance(shown, str):
        raise ConvcostError(f"expected a string, got {type(shown).__name__}", field="shown")
    file, where = resolve(path)
    return _load_file(file, shown=where if shown is None else shown)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the spec format (``convcost.spec.schema``, imported on demand:
    only ``convcost schema`` and editors need it)."""
    from convcost.spec.schema import json_schema as generate

    return generate()


__all__ = [
    "ACT",
    "ACTIVATIONS",
    "ALIASES",
    "BOOL",
    "BRANCHES",
    "CALL",
    "CALL_OR_MEAN",
    "CATALOGUE",
    "CHOICE_SE_BASE",
    "CHOICE_SQUEEZE_BASE",
    "COMMON",
    "COUNT",
    "COUNTS",
    "FIELDS",
    "LAYERS",
    "MAX_DEPTH",
    "MAX_ENTRIES",
    "MAX_FILE_BYTES",
    "MAX_INT_TEXT",
    "MAX_NAME",
    "MAX_PATH_NAME",
    "MAX_REPEAT",
    "MAX_SIZE",
    "NUMBER",
    "PADDING",
    "PAIR",
    "PREFIX",
    "PROB",
    "RATIO",
    "REQUIRED",
    "SCALE",
    "TOP_LEVEL",
    "WIDTH_RULES",
    "Computed",
    "EntryType",
    "Field",
    "LayerSpec",
    "OneOf",
    "SameAs",
    "Spec",
    "entry_name",
    "json_schema",
    "load",
    "load_stream",
    "loads",
    "paused_gc",
    "resolve",
    "shipped",
    "zoo_names",
]
