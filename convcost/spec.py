"""YAML layer tables -> validated :class:`Spec` objects that remember file and line.

The loader composes the YAML with PyYAML's safe loader (``yaml.compose``, so every node keeps
its ``start_mark``) and converts nodes itself, so that each problem is reported on one line
naming the file, line, layer and field. It refuses what YAML would otherwise turn silently
into surprises: ``yes``/``no``/``on``/``off`` where a number belongs (booleans in YAML 1.1),
``1e3`` (a string in YAML 1.1), duplicate keys (PyYAML keeps the last), anchors, aliases and
merge keys (which can blow a few lines up into billions of entries).

The fields each type accepts are declared once in ``FIELDS``; the JSON Schema printed by
``convcost schema`` is generated from the same table.
"""

from __future__ import annotations

import difflib
import gc
import os
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import yaml

from convcost import yamltree as Y
from convcost.errors import ConvcostError
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

ACTIVATIONS = (
    "relu",
    "relu6",
    "hswish",
    "hsigmoid",
    "sigmoid",
    "swish",
    "silu",
    "tanh",
    "gelu",
    "leaky_relu",
)
WIDTH_RULES = ("int", "divisible_by_8")

# Field kinds: how a value is checked and normalised.
COUNT = "count"  # positive integer
PAIR = "pair"  # positive integer or [h, w]
PADDING = "padding"  # integer >= 0, [h, w], "same" or "valid"
BOOL = "bool"
ACT = "act"  # activation name or none
NUMBER = "number"  # positive number (int or float)
RATIO = "ratio"  # number >= 0
PROB = "prob"  # number in [0, 1)
SCALE = "scale"  # true, false or "up"
CHOICE_SE_BASE = "se_base"
LAYERS = "layers"  # list of entries
BRANCHES = "branches"  # list of entry lists
COUNTS = "counts"  # list of positive integers
CALL = "call"  # how the model's code calls it: module or functional
CALL_OR_MEAN = "call_or_mean"  # ... or x.mean([2, 3]), for a global average pool

_CONV = {
    "cout": COUNT,
    "k": PAIR,
    "stride": PAIR,
    "padding": PADDING,
    "dilation": PAIR,
    "groups": COUNT,
    "bias": BOOL,
    "bn": BOOL,
    "act": ACT,
}
_SE = {"se": RATIO, "se_base": CHOICE_SE_BASE, "se_divisor": COUNT, "se_act": ACT, "se_gate": ACT}

# type -> {field: kind}. Every entry also takes name, repeat, output and scale.
FIELDS: dict[str, dict[str, str]] = {
    "conv": _CONV,
    "depthwise": {
        "k": PAIR,
        "stride": PAIR,
        "padding": PADDING,
        "dilation": PAIR,
        "multiplier": COUNT,
        "bias": BOOL,
        "bn": BOOL,
        "act": ACT,
    },
    "pointwise": {"cout": COUNT, "stride": PAIR, "bias": BOOL, "bn": BOOL, "act": ACT},
    "separable": {
        "cout": COUNT,
        "k": PAIR,
        "stride": PAIR,
        "padding": PADDING,
        "dilation": PAIR,
        "bias": BOOL,
        "bn": BOOL,
        "act": ACT,
        "dw_bn": BOOL,
        "dw_act": ACT,
    },
    "fc": {"cout": COUNT, "bias": BOOL},
    "batchnorm": {},
    **{name: {"call": CALL} for name in ACTIVATIONS},
    "maxpool": {"k": PAIR, "stride": PAIR, "padding": PADDING, "call": CALL},
    "avgpool": {"k": PAIR, "stride": PAIR, "padding": PADDING, "call": CALL},
    "global_avgpool": {"call": CALL_OR_MEAN},
    "global_maxpool": {"call": CALL},
    "adaptive_avgpool": {"size": PAIR, "call": CALL},
    "flatten": {},
    "dropout": {"p": PROB},
    "channel_shuffle": {"groups": COUNT},
    "inverted_residual": {
        "t": NUMBER,
        "exp": COUNT,
        "cout": COUNT,
        "stride": PAIR,
        "k": PAIR,
        "act": ACT,
        "always_expand": BOOL,
        "project_shortcut": BOOL,
        **_SE,
    },
    "basic": {"cout": COUNT, "stride": PAIR},
    "bottleneck": {"cout": COUNT, "stride": PAIR, "expansion": COUNT},
    "shuffle_unit": {"cout": COUNT, "stride": PAIR},
    "sequence": {"layers": LAYERS},
    "residual": {"layers": LAYERS, "shortcut": LAYERS, "act": ACT},
    "concat": {"branches": BRANCHES, "split": COUNTS},
}

REQUIRED: dict[str, tuple[str, ...]] = {
    "conv": ("cout",),
    "pointwise": ("cout",),
    "separable": ("cout",),
    "fc": ("cout",),
    "inverted_residual": ("cout",),
    "basic": ("cout",),
    "bottleneck": ("cout",),
    "shuffle_unit": ("cout",),
    "sequence": ("layers",),
    "residual": ("layers",),
    "concat": ("branches",),
}

# The paper's short names (MobileNetV2's table columns t, c, n, s) and their long forms.
ALIASES = {"c": "cout", "s": "stride", "n": "repeat"}
COMMON = {"name": "name", "repeat": COUNT, "output": "shape", "scale": SCALE}

# Generated names: conv1, block3, pool1, fc1, ...
PREFIX = {
    "conv": "conv",
    "depthwise": "dw",
    "pointwise": "pw",
    "separable": "block",
    "fc": "fc",
    "batchnorm": "bn",
    "maxpool": "pool",
    "avgpool": "pool",
    "global_avgpool": "pool",
    "global_maxpool": "pool",
    "adaptive_avgpool": "pool",
    "flatten": "flatten",
    "dropout": "dropout",
    "channel_shuffle": "shuffle",
    "inverted_residual": "block",
    "basic": "block",
    "bottleneck": "block",
    "shuffle_unit": "block",
    "sequence": "stage",
    "residual": "block",
    "concat": "block",
    **{name: name for name in ACTIVATIONS},
}

TOP_LEVEL = ("name", "source", "input", "width_rule", "defaults", "layers")


@dataclass(frozen=True, slots=True)
class LayerSpec:
    """One entry of a spec: a layer, block or container, with where it was written."""

    type: str
    fields: Mapping[str, Any]
    name: str | None = None
    repeat: int = 1
    output: tuple[int, int, int] | None = None
    scale: bool | str | None = None
    line: int | None = None

    @property
    def prefix(self) -> str:
        return PREFIX[self.type]


@dataclass(frozen=True, slots=True)
class Spec:
    """A whole network as written: input shape, width rule and the ordered entries."""

    name: str
    input: tuple[int, int, int]
    layers: tuple[LayerSpec, ...]
    width_rule: str = "int"
    source: str | None = None
    path: str | None = None
    defaults: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


# --- YAML with positions --------------------------------------------------------------------


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many acyclic objects.

    Loading a 100,000-layer spec creates about a million YAML nodes; with the collector
    running the time grows faster than the size (4.6 s instead of 1.5 s, benchmarks/).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _line(node: Y.Node) -> int:
    return node.line


def _suggest(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


_INT_TAG = Y.INT
_FLOAT_TAG = Y.FLOAT
_BOOL_TAG = Y.BOOL
_STR_TAG = Y.STR
_NULL_TAG = Y.NULL


def _scalar(
    node: Y.Scalar, ctx: _Context, layer: str | None = None, name: str | None = None
) -> Any:
    """The Python value of a scalar node under YAML 1.1 safe rules.

    A date, ``<<`` or ``=`` (which YAML 1.1 reads as a timestamp, a merge key or a value key)
    stays its text, so that the field that wanted a number says what it got.
    """
    if node.tag == _STR_TAG:
        return node.value
    if node.tag == _NULL_TAG:
        return None
    construct = _CONSTRUCT.get(node.tag)
    if construct is None:
        return node.value
    text = node.value
    if node.tag == _INT_TAG:
        if len(text) > MAX_INT_TEXT:
            raise ctx.error(
                f"'{_clip(text)}' has {len(text):,} characters, too large for any count",
                node,
                layer=layer,
                field=name,
            )
        if text.isascii() and text.isdigit() and text[0] != "0":
            return int(text)  # the common case, without PyYAML's sign, base and '_' handling
    try:
        return construct(_CONSTRUCTOR, yaml.ScalarNode(node.tag, text))
    except (ArithmeticError, LookupError, ValueError, TypeError):  # whatever the text holds
        what = {_INT_TAG: "an integer", _FLOAT_TAG: "a number", _BOOL_TAG: "true or false"}
        raise ctx.error(
            f"'{_clip(text)}' is tagged {Y.shown_tag(node.tag)} but is not {what[node.tag]}",
            node,
            layer=layer,
            field=name,
        ) from None


_CONSTRUCTOR = yaml.SafeLoader("")
_CONSTRUCT = {
    _INT_TAG: yaml.SafeLoader.construct_yaml_int,
    _FLOAT_TAG: yaml.SafeLoader.construct_yaml_float,
    _BOOL_TAG: yaml.SafeLoader.construct_yaml_bool,
}


def _describe(node: Y.Node) -> str:
    """How a value reads in an error message: its text and, if surprising, what YAML made of it."""
    if isinstance(node, Y.Mapping):
        return "a mapping"
    if isinstance(node, Y.Sequence):
        count = len(node.value)
        return "an empty list" if not count else f"a list of {count}"
    text = node.value
    if getattr(node, "style", None) in ("'", '"'):
        return f"'{_clip(text)}' (quoted, so a string)"
    if node.tag == _BOOL_TAG:
        return f"'{_clip(text)}' (a boolean in YAML 1.1)"
    if node.tag == _NULL_TAG:
        return "an empty value" if text in ("", "~") else f"'{_clip(text)}' (null)"
    if node.tag in _READ_AS:
        return f"'{_clip(text)}' ({_READ_AS[node.tag]} in YAML 1.1)"
    if node.tag == _STR_TAG and _looks_numeric(text):
        return f"'{_clip(text)}' (a string in YAML 1.1; write it as a plain integer or with a '.')"
    if node.tag == _STR_TAG:
        return f"'{_clip(text)}' (a string)"
    return _clip(text)


_READ_AS = {Y.TIMESTAMP: "a date", Y.MERGE: "a merge key", Y.VALUE: "a value key"}


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# --- field conversion -----------------------------------------------------------------------


class _Context:
    """Where we are, for error messages."""

    def __init__(self, path: str | None) -> None:
        self.path = path

    def error(
        self,
        message: str,
        node: Y.Node | None = None,
        *,
        layer: str | None = None,
        field: str | None = None,
        line: int | None = None,
    ) -> ConvcostError:
        return ConvcostError(
            message,
            path=self.path,
            line=line if node is None else _line(node),
            layer=layer,
            field=field,
        )


_OCTAL = re.compile(r"[-+]?0[0-7_]+")


def _surprising_number(node: Y.Node, ctx: _Context, layer: str | None, name: str) -> None:
    """Refuse YAML 1.1 numbers that read differently than they look: ``017`` is octal (15)
    and ``1:20`` is base 60 (80). YAML 1.2 reads both as other things; neither is a typo we
    should turn silently into a count."""
    if not isinstance(node, Y.Scalar) or node.tag not in (_INT_TAG, _FLOAT_TAG):
        return
    text = node.value
    value = _scalar(node, ctx, layer, name)
    if ":" in text:
        raise ctx.error(
            f"'{_clip(text)}' is a base-60 number in YAML 1.1 (= {value}); write the number itself",
            node,
            layer=layer,
            field=name,
        )
    if node.tag == _INT_TAG and _OCTAL.fullmatch(text):
        raise ctx.error(
            f"'{_clip(text)}' is octal in YAML 1.1 (= {value}); write it without the leading zero",
            node,
            layer=layer,
            field=name,
        )


def _integer(
    node: Y.Node,
    ctx: _Context,
    layer: str | None,
    name: str,
    minimum: int,
    maximum: int = MAX_SIZE,
    what: str = "",
) -> int:
    _surprising_number(node, ctx, layer, name)
    value = _scalar(node, ctx, layer, name) if isinstance(node, Y.Scalar) else None
    if isinstance(value, bool) or value is None or not isinstance(value, int | float):
        raise ctx.error(
            f"expected an integer, got {_describe(node)}", node, layer=layer, field=name
        )
    if isinstance(value, float):
        if not value.is_integer():
            raise ctx.error(
                f"expected an integer, got {_clip(str(node.value))}", node, layer=layer, field=name
            )
        value = int(value)
    if value < minimum:
        bound = "positive" if minimum == 1 else f"at least {minimum}"
        raise ctx.error(f"must be {bound}, got {value}", node, layer=layer, field=name)
    if value > maximum:
        shown = _clip(f"{value:,}")
        problem = f"{shown} {what} is too many" if what else f"{shown} is too large"
        raise ctx.error(f"{problem} (at most {maximum:,})", node, layer=layer, field=name)
    return int(value)


def _number(
    node: Y.Node,
    ctx: _Context,
    layer: str | None,
    name: str,
    minimum: float,
    strict: bool,
    maximum: float | None = None,
) -> float | int:
    _surprising_number(node, ctx, layer, name)
    value = _scalar(node, ctx, layer, name) if isinstance(node, Y.Scalar) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ctx.error(f"expected a number, got {_describe(node)}", node, layer=layer, field=name)
    if value != value or value in (float("inf"), float("-inf")):
        raise ctx.error(
            f"expected a finite number, got {_clip(str(node.value))}", node, layer=layer, field=name
        )
    if value < minimum or (strict and value == minimum):
        bound = f"greater than {minimum:g}" if strict else f"at least {minimum:g}"
        raise ctx.error(
            f"must be {bound}, got {_clip(str(node.value))}", node, layer=layer, field=name
        )
    if maximum is not None and value >= maximum:
        raise ctx.error(
            f"must be less than {maximum:g}, got {_clip(str(node.value))}",
            node,
            layer=layer,
            field=name,
        )
    if value > MAX_SIZE:
        raise ctx.error(f"{_clip(str(node.value))} is too large", node, layer=layer, field=name)
    return value


def _pair(
    node: Y.Node, ctx: _Context, layer: str | None, name: str, minimum: int = 1
) -> tuple[int, int]:
    if isinstance(node, Y.Sequence):
        if len(node.value) != 2:
            raise ctx.error(
                f"expected one integer or a pair [h, w], got {len(node.value)} values",
                node,
                layer=layer,
                field=name,
            )
        h, w = (_integer(v, ctx, layer, name, minimum) for v in node.value)
        return (h, w)
    value = _integer(node, ctx, layer, name, minimum)
    return (value, value)


def _padding(node: Y.Node, ctx: _Context, layer: str | None, name: str) -> Any:
    if isinstance(node, Y.Scalar) and node.tag == _STR_TAG:
        if node.value in ("same", "valid"):
            return node.value
        if not _looks_numeric(node.value):
            raise ctx.error(
                f"expected an integer, [h, w], 'same' or 'valid', got "
                f"'{_clip(str(node.value))}'{_suggest(node.value, ['same', 'valid'])}",
                node,
                layer=layer,
                field=name,
            )
    return _pair(node, ctx, layer, name, minimum=0)


def _bool(node: Y.Node, ctx: _Context, layer: str | None, name: str) -> bool:
    value = _scalar(node, ctx, layer, name) if isinstance(node, Y.Scalar) else None
    if not isinstance(value, bool):
        raise ctx.error(
            f"expected true or false, got {_describe(node)}", node, layer=layer, field=name
        )
    return value


def _choice(
    node: Y.Node, ctx: _Context, layer: str | None, name: str, choices: Sequence[str]
) -> str:
    value = _scalar(node, ctx, layer, name) if isinstance(node, Y.Scalar) else None
    if not isinstance(value, str) or value not in choices:
        shown = node.value if isinstance(node, Y.Scalar) else _describe(node)
        hint = _suggest(shown, choices) if isinstance(shown, str) else ""
        raise ctx.error(
            f"expected one of {', '.join(choices)}, got '{_clip(str(shown))}'{hint}",
            node,
            layer=layer,
            field=name,
        )
    return value


def _act(node: Y.Node, ctx: _Context, layer: str | None, name: str) -> str | None:
    if isinstance(node, Y.Scalar) and node.tag == _NULL_TAG:
        return None
    if isinstance(node, Y.Scalar) and node.value == "none":
        return None
    if isinstance(node, Y.Scalar) and node.tag == _BOOL_TAG:
        raise ctx.error(
            f"expected an activation name or none, got {_describe(node)}",
            node,
            layer=layer,
            field=name,
        )
    return _choice(node, ctx, layer, name, (*ACTIVATIONS, "none"))


def _scale(node: Y.Node, ctx: _Context, layer: str | None, name: str) -> bool | str:
    if isinstance(node, Y.Scalar) and node.tag == _STR_TAG and node.value == "up":
        return "up"
    value = _scalar(node, ctx, layer, name) if isinstance(node, Y.Scalar) else None
    if not isinstance(value, bool):
        raise ctx.error(
            f"expected true, false or up, got {_describe(node)}", node, layer=layer, field=name
        )
    return value


def _shape(node: Y.Node, ctx: _Context, layer: str | None, name: str) -> tuple[int, int, int]:
    if not isinstance(node, Y.Sequence) or len(node.value) != 3:
        raise ctx.error(f"expected [H, W, C], got {_describe(node)}", node, layer=layer, field=name)
    h, w, c = (_integer(v, ctx, layer, name, 1) for v in node.value)
    return (h, w, c)


def _counts(node: Y.Node, ctx: _Context, layer: str | None, name: str) -> tuple[int, ...]:
    if not isinstance(node, Y.Sequence) or not node.value:
        raise ctx.error(
            f"expected a list of channel counts, got {_describe(node)}",
            node,
            layer=layer,
            field=name,
        )
    return tuple(_integer(v, ctx, layer, name, 1) for v in node.value)


def _text(node: Y.Node, ctx: _Context, layer: str | None, name: str) -> str:
    if not isinstance(node, Y.Scalar) or node.tag != _STR_TAG or not node.value:
        raise ctx.error(
            f"expected a non-empty string, got {_describe(node)}", node, layer=layer, field=name
        )
    if len(node.value) > MAX_NAME:
        raise ctx.error(
            f"is {len(node.value)} characters long (at most {MAX_NAME})",
            node,
            layer=layer,
            field=name,
        )
    _printable(node, ctx, layer, name, allowed="")
    return str(node.value)


def _printable(node: Y.Scalar, ctx: _Context, layer: str | None, name: str, allowed: str) -> None:
    """Names and the source are printed in every report, so they hold printable characters
    only (``str.isprintable``: no control, format or bidirectional-override characters, no
    line or paragraph separators), apart from the line breaks in ``allowed``."""
    text = node.value
    if text.isprintable():
        return
    for index, ch in enumerate(text):
        if not ch.isprintable() and ch not in allowed:
            what = unicodedata.name(ch, "a control character")
            text_kind = "printable text" if allowed else "one line of printable text"
            raise ctx.error(
                f"must be {text_kind}, but character {index + 1} is U+{ord(ch):04X} ({what})",
                node,
                layer=layer,
                field=name,
            )


# --- entries --------------------------------------------------------------------------------


def _mapping_items(
    node: Y.Mapping, ctx: _Context, layer: str | None
) -> list[tuple[str, Y.Node, Y.Node]]:
    """(key, key node, value node) in order; duplicate and non-string keys are errors."""
    seen: dict[str, int] = {}
    items: list[tuple[str, Y.Node, Y.Node]] = []
    for key_node, value_node in node.value:
        if isinstance(key_node, Y.Scalar) and key_node.tag == Y.MERGE:
            raise ctx.error("merge keys (<<) are not allowed in a spec", key_node, layer=layer)
        if not isinstance(key_node, Y.Scalar) or key_node.tag != _STR_TAG:
            raise ctx.error(f"keys must be names, got {_describe(key_node)}", key_node, layer=layer)
        key = str(key_node.value)
        if key in seen:
            raise ctx.error(
                f"duplicate key (first given on line {seen[key]})", key_node, layer=layer, field=key
            )
        seen[key] = _line(key_node)
        items.append((key, key_node, value_node))
    return items


class _Parser:
    """Converts entries, naming each as the walker will (``conv1``, ``block3``) for messages."""

    def __init__(
        self, ctx: _Context, defaults: Mapping[str, Mapping[str, tuple[Any, Y.Node]]]
    ) -> None:
        self.ctx = ctx
        self.defaults = defaults
        self.scopes: list[tuple[str, dict[str, int]]] = [("", {})]
        self.expanded = 0  # entries after repetition, to refuse a spec that explodes
        self._multipliers: list[int] = []

    def entries(
        self,
        node: Y.Node,
        field_name: str,
        depth: int,
        layer: str | None = None,
        scope: str | None = None,
    ) -> tuple[LayerSpec, ...]:
        if depth > MAX_DEPTH:
            raise self.ctx.error(
                f"blocks are nested more than {MAX_DEPTH} deep", node, layer=layer, field=field_name
            )
        if not isinstance(node, Y.Sequence):
            raise self.ctx.error(
                f"expected a list of layers, got {_describe(node)}",
                node,
                layer=layer,
                field=field_name,
            )
        if depth == 0:
            return tuple(self.entry(item, depth) for item in node.value)
        self.scopes.append((scope if scope is not None else layer or "", {}))
        try:
            return tuple(self.entry(item, depth) for item in node.value)
        finally:
            self.scopes.pop()

    def label(self, kind: str, name: str | None, repeat: int) -> str:
        """The name the walker gives this entry's first repetition."""
        scope, counters = self.scopes[-1]
        if name is None:
            prefix = PREFIX[kind]
            counters[prefix] = counters.get(prefix, 0) + repeat
            name = f"{prefix}{counters[prefix] - repeat + 1}"
        elif repeat > 1:
            name = f"{name}.1"
        return f"{scope}.{name}" if scope else name

    def entry(self, node: Y.Node, depth: int) -> LayerSpec:
        ctx = self.ctx
        if isinstance(node, Y.Scalar) and node.tag == _STR_TAG:
            kind, body = self._type(node.value, node), None
        elif isinstance(node, Y.Mapping):
            items = _mapping_items(node, ctx, None)
            if len(items) != 1:
                keys = ", ".join(k for k, _, _ in items) or "none"
                raise ctx.error(
                    f"a layer is a one-key mapping 'type: {{fields}}', got keys: {keys}", node
                )
            key, key_node, body = items[0]
            kind = self._type(key, key_node)
        else:
            raise ctx.error(
                f"expected a layer such as 'conv: {{c: 32}}', got {_describe(node)}", node
            )
        return self.fields(kind, body, _line(node), depth)

    def _type(self, word: str, node: Y.Node) -> str:
        if word not in FIELDS:
            hint = _suggest(word, list(FIELDS))
            raise self.ctx.error(f"unknown layer type '{_clip(word)}'{hint}", node)
        return word

    def fields(self, kind: str, body: Y.Node | None, line: int, depth: int) -> LayerSpec:
        ctx = self.ctx
        values: dict[str, Any] = {}
        common: dict[str, Any] = {}
        for key, (value, _) in self.defaults.get(kind, {}).items():
            (common if key in COMMON else values)[key] = value
        items: list[tuple[str, Y.Node, Y.Node]] = []
        if body is not None and not (isinstance(body, Y.Scalar) and body.tag == _NULL_TAG):
            if not isinstance(body, Y.Mapping):
                raise ctx.error(
                    f"the fields of '{kind}' must be a mapping, got {_describe(body)}", body
                )
            items = _mapping_items(body, ctx, None)
        for key, _, value_node in items:
            if ALIASES.get(key, key) in ("name", "repeat"):
                try:
                    common[ALIASES.get(key, key)] = self.common(
                        ALIASES.get(key, key), value_node, None, key
                    )
                except ConvcostError as error:
                    raise error.located(layer=self.label(kind, common.get("name"), 1)) from None
        layer = self.label(kind, common.get("name"), common.get("repeat", 1))
        written = {ALIASES.get(key, key) for key, _, _ in items}
        nested = sum(  # entries that a default 'layers' or 'branches' brings in
            _weight(value, FIELDS[kind][key])
            for key, (value, _) in self.defaults.get(kind, {}).items()
            if FIELDS[kind].get(key) in (LAYERS, BRANCHES) and key not in written
        )
        if len(layer) > MAX_PATH_NAME:
            raise ctx.error(
                f"its full name is {len(layer):,} characters long (at most {MAX_PATH_NAME:,}); "
                "shorten the names of the blocks around it",
                line=line,
                layer=layer,
                field="name",
            )
        multiplier = self._multiplier * common.get("repeat", 1)
        self.count(multiplier * (1 + nested), line, layer, "repeat")
        self._multipliers.append(multiplier)
        try:
            return self._fields(kind, items, common, values, layer, line, depth)
        finally:
            self._multipliers.pop()

    def count(self, entries: int, line: int, layer: str, field: str) -> None:
        """Add ``entries`` (already multiplied by the repetitions around them) to the total
        the spec expands to, refusing it past MAX_ENTRIES before anything is built."""
        self.expanded += entries
        if self.expanded > MAX_ENTRIES:
            raise self.ctx.error(
                f"the spec expands to more than {MAX_ENTRIES:,} entries",
                line=line,
                layer=layer,
                field=field,
            )

    @property
    def _multiplier(self) -> int:
        return self._multipliers[-1] if self._multipliers else 1

    def _fields(
        self,
        kind: str,
        items: list[tuple[str, Y.Node, Y.Node]],
        common: dict[str, Any],
        values: dict[str, Any],
        layer: str,
        line: int,
        depth: int,
    ) -> LayerSpec:
        ctx = self.ctx
        given: dict[str, Y.Node] = {}  # fields written in this entry, by long name
        allowed = FIELDS[kind]
        for key, key_node, value_node in items:
            name = ALIASES.get(key, key)
            if name in given:
                raise ctx.error(
                    f"given twice (as '{_original(given, name)}' and '{key}')",
                    key_node,
                    layer=layer,
                    field=key,
                )
            given[name] = key_node
            if name in COMMON:
                common[name] = self.common(name, value_node, layer, key)
            elif name in allowed:
                values[name] = self.value(allowed[name], value_node, layer, key, depth)
            else:
                choices = [
                    *allowed,
                    *COMMON,
                    *(a for a, b in ALIASES.items() if b in allowed or b in COMMON),
                ]
                raise ctx.error(
                    f"unknown field for '{kind}'{_suggest(key, choices)}",
                    key_node,
                    layer=layer,
                    field=key,
                )
        for name in REQUIRED.get(kind, ()):
            if name not in values:
                short = {v: k for k, v in ALIASES.items()}.get(name)
                also = f" (or '{short}')" if short else ""
                raise ctx.error(
                    f"'{kind}' needs '{name}'{also}", line=line, layer=layer, field=name
                )
        if kind == "inverted_residual" and ("t" in values) == ("exp" in values):
            raise ctx.error(
                "give the expansion as 't' (a ratio) or 'exp' (channels), one of them",
                line=line,
                layer=layer,
                field="t",
            )
        return LayerSpec(
            type=kind,
            fields=values,
            name=common.get("name"),
            repeat=common.get("repeat", 1),
            output=common.get("output"),
            scale=common.get("scale"),
            line=line,
        )

    def common(self, name: str, node: Y.Node, layer: str | None, key: str) -> Any:
        ctx = self.ctx
        if name == "name":
            return _text(node, ctx, layer, key)
        if name == "repeat":
            return _integer(node, ctx, layer, key, 1, MAX_REPEAT, "repetitions")
        if name == "output":
            return _shape(node, ctx, layer, key)
        return _scale(node, ctx, layer, key)

    def value(self, kind: str, node: Y.Node, layer: str | None, key: str, depth: int) -> Any:
        ctx = self.ctx
        if kind == COUNT:
            return _integer(node, ctx, layer, key, 1)
        if kind == PAIR:
            return _pair(node, ctx, layer, key)
        if kind == PADDING:
            return _padding(node, ctx, layer, key)
        if kind == BOOL:
            return _bool(node, ctx, layer, key)
        if kind == ACT:
            return _act(node, ctx, layer, key)
        if kind == NUMBER:
            return _number(node, ctx, layer, key, 0, strict=True)
        if kind == RATIO:
            return _number(node, ctx, layer, key, 0, strict=False)
        if kind == PROB:
            return _number(node, ctx, layer, key, 0, strict=False, maximum=1)
        if kind == SCALE:
            return _scale(node, ctx, layer, key)
        if kind == CHOICE_SE_BASE:
            return _choice(node, ctx, layer, key, ("expanded", "input"))
        if kind == LAYERS:
            scope = f"{layer}.shortcut" if key == "shortcut" else layer
            return self.entries(node, key, depth + 1, layer, scope)
        if kind == BRANCHES:
            if not isinstance(node, Y.Sequence) or not node.value:
                raise ctx.error(
                    f"expected a list of branches (each a list of layers), got {_describe(node)}",
                    node,
                    layer=layer,
                    field=key,
                )
            # Each branch is walked once per repetition, even an empty one.
            self.count(len(node.value) * self._multiplier, node.line, layer or "", key)
            many = len(node.value) > 1
            return tuple(
                self.entries(b, key, depth + 1, layer, f"{layer}.branch{i + 1}" if many else layer)
                for i, b in enumerate(node.value)
            )
        if kind == COUNTS:
            return _counts(node, ctx, layer, key)
        if kind == CALL:
            return _choice(node, ctx, layer, key, ("module", "functional"))
        if kind == CALL_OR_MEAN:
            return _choice(node, ctx, layer, key, ("module", "functional", "mean"))
        raise AssertionError(f"field kind {kind} has no converter")


def _weight(value: Any, kind: str) -> int:
    """How many entries a parsed ``layers`` (or ``branches``) value stands for after
    repetition, counting each branch as one: what one use of it costs the walker."""
    lists = value if kind == BRANCHES else (value,)
    total = len(lists) if kind == BRANCHES else 0
    for entries in lists:
        for entry in entries:
            inner = 1
            for name, field_value in entry.fields.items():
                field_kind = FIELDS[entry.type].get(name)
                if field_kind in (LAYERS, BRANCHES):
                    inner += _weight(field_value, field_kind)
            total += entry.repeat * inner
    return total


def _original(given: Mapping[str, Y.Node], name: str) -> str:
    return str(given[name].value)


# --- loading --------------------------------------------------------------------------------


def _read_bounded(file: BinaryIO, shown: str) -> bytes:
    """At most MAX_FILE_BYTES; one byte more means too large (st_size lies for /dev/zero)."""
    data = file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ConvcostError(
            f"is larger than {MAX_FILE_BYTES:,} bytes, too large for a spec", path=shown
        )
    return data


def _read(path: Path, shown: str) -> str:
    """The text of the regular file at ``path``; anything else is refused, never waited on.

    A named pipe or a device is not a spec file (a FIFO waits for a writer, /dev/tty for a
    person); streams are what ``convcost net -`` is for.
    """
    try:
        _refuse_special(os.stat(path), shown)
        # O_NONBLOCK: should a FIFO take the file's place after the stat, open returns at once
        # and the fstat below refuses it, where a plain open would wait for a writer forever.
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
        with open(os.open(path, flags), "rb") as file:
            _refuse_special(os.fstat(file.fileno()), shown)
            data = _read_bounded(file, shown)
    except OSError as error:
        raise _unreadable(error, path, shown) from None
    return _decode(data, shown)


def _refuse_special(status: os.stat_result, shown: str) -> None:
    """Raise unless ``status`` is a regular file's."""
    import stat

    if stat.S_ISREG(status.st_mode):
        return
    if stat.S_ISDIR(status.st_mode):
        raise ConvcostError("is a directory, not a spec file", path=shown)
    kinds = {
        stat.S_ISFIFO: "a named pipe (FIFO)",
        stat.S_ISCHR: "a character device",
        stat.S_ISBLK: "a block device",
        stat.S_ISSOCK: "a socket",
    }
    kind = next((name for test, name in kinds.items() if test(status.st_mode)), "a special file")
    raise ConvcostError(
        f"is {kind}, not a spec file; read a stream with 'convcost net -'",
        path=shown,
    )


def _unreadable(error: OSError, path: Path, shown: str) -> ConvcostError:
    """One line for an OS error met while opening or reading ``path``."""
    import errno

    if isinstance(error, FileNotFoundError) and os.path.islink(path):
        try:
            target = f" to {os.readlink(path)!r}"
        except OSError:
            target = ""
        message = f"is a broken symbolic link{target}"
    elif isinstance(error, FileNotFoundError):
        message = "no such file"
    elif error.errno == errno.ELOOP and os.path.islink(path):  # a -> b -> a
        message = "is a symbolic link loop (too many levels of symbolic links)"
    elif error.errno == errno.ELOOP:  # a folder on the way loops
        message = "too many levels of symbolic links"
    elif isinstance(error, PermissionError):
        message = "permission denied"
    elif error.errno == errno.ENAMETOOLONG:
        message = "file name too long"
    elif isinstance(error, IsADirectoryError):
        message = "is a directory, not a spec file"
    else:
        message = f"cannot read: {error.strerror or error}"
    return ConvcostError(message, path=shown)


def _decode(data: bytes, shown: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ConvcostError(
            f"not UTF-8 text (byte 0x{data[error.start]:02x})", path=shown, line=line
        ) from None


def load(path: str | os.PathLike[str], *, shown: str | None = None) -> Spec:
    """Read and validate the spec at ``path``; ``shown`` is the path used in messages."""
    shown = shown if shown is not None else str(path)
    text = _read(Path(path), shown)
    default_name = Path(path).name.removesuffix(".yaml").removesuffix(".yml")
    # A file name that is not UTF-8 (b'\xff.yaml') arrives with surrogates, which no UTF-8
    # report can hold: the name of the network shows U+FFFD in their place.
    default_name = os.fsencode(default_name).decode("utf-8", "replace")
    return loads(text, path=shown, default_name=default_name)


def load_stream(file: BinaryIO, *, shown: str = "<stdin>") -> Spec:
    """Read and validate a spec from an open binary stream (``convcost net -`` reads stdin)."""
    try:
        data = _read_bounded(file, shown)
    except OSError as error:
        raise ConvcostError(f"cannot read: {error.strerror or error}", path=shown) from None
    return loads(_decode(data, shown), path=shown, default_name="stdin")


def loads(text: str, *, path: str | None = None, default_name: str = "network") -> Spec:
    """Validate a spec given as YAML text; ``path`` names it in error messages."""
    ctx = _Context(path)
    if "\x00" in text:
        raise ctx.error(
            "not a YAML text (contains NUL bytes)", line=text[: text.index("\x00")].count("\n") + 1
        )
    try:
        with paused_gc():
            root = Y.compose(text)
    except ConvcostError as error:
        raise error.located(path=path) from None
    if root is None:
        raise ConvcostError("empty file; a spec needs 'input' and 'layers'", path=path)
    try:
        return _convert(root, ctx, default_name)
    except ConvcostError as error:
        raise error.located(path=path) from None


def _convert(root: Y.Node, ctx: _Context, default_name: str) -> Spec:
    path = ctx.path
    if not isinstance(root, Y.Mapping):
        raise ctx.error(
            f"a spec is a mapping with 'input' and 'layers', got {_describe(root)}", root
        )
    top = {key: (key_node, value) for key, key_node, value in _mapping_items(root, ctx, None)}
    for key, (key_node, _) in top.items():
        if key not in TOP_LEVEL:
            raise ctx.error(f"unknown top-level key{_suggest(key, TOP_LEVEL)}", key_node, field=key)
    for key in ("input", "layers"):
        if key not in top:
            raise ctx.error(f"the spec needs '{key}'", root, field=key)
    name = _text(top["name"][1], ctx, None, "name") if "name" in top else default_name
    source = _text_any(top["source"][1], ctx) if "source" in top else None
    width_rule = (
        _choice(top["width_rule"][1], ctx, None, "width_rule", WIDTH_RULES)
        if "width_rule" in top
        else "int"
    )
    shape = _shape(top["input"][1], ctx, None, "input")
    defaults = _defaults(top["defaults"][1], ctx) if "defaults" in top else {}
    parser = _Parser(ctx, defaults)
    with paused_gc():
        layers = parser.entries(top["layers"][1], "layers", 0)
    if not layers:
        raise ctx.error("the spec has no layers", top["layers"][1], field="layers")
    plain = {kind: {k: v for k, (v, _) in fields.items()} for kind, fields in defaults.items()}
    return Spec(
        name=name,
        input=shape,
        layers=layers,
        width_rule=width_rule,
        source=source,
        path=path,
        defaults=plain,
    )


def _text_any(node: Y.Node, ctx: _Context) -> str:
    if not isinstance(node, Y.Scalar) or node.tag != _STR_TAG:
        raise ctx.error(f"expected text, got {_describe(node)}", node, field="source")
    _printable(node, ctx, None, "source", allowed="\n")
    return str(node.value)


def _defaults(node: Y.Node, ctx: _Context) -> dict[str, dict[str, tuple[Any, Y.Node]]]:
    """``defaults: {type: {field: value}}``: each value is checked like a field of that type."""
    if not isinstance(node, Y.Mapping):
        raise ctx.error(
            f"expected a mapping of layer types to fields, got {_describe(node)}",
            node,
            field="defaults",
        )
    parser = _Parser(ctx, {})
    result: dict[str, dict[str, tuple[Any, Y.Node]]] = {}
    for kind, key_node, body in _mapping_items(node, ctx, None):
        parser._type(kind, key_node)
        if not isinstance(body, Y.Mapping):
            raise ctx.error(
                f"expected the default fields of '{kind}', got {_describe(body)}",
                body,
                field="defaults",
            )
        fields: dict[str, tuple[Any, Y.Node]] = {}
        for key, field_key, value_node in _mapping_items(body, ctx, None):
            name = ALIASES.get(key, key)
            if name in ("name", "output", "repeat") or (
                name not in FIELDS[kind] and name not in COMMON
            ):
                choices = [*FIELDS[kind], "scale"]
                raise ctx.error(
                    f"'{key}' cannot be a default of '{kind}'{_suggest(key, choices)}",
                    field_key,
                    field="defaults",
                )
            if name == "scale":
                fields[name] = (_scale(value_node, ctx, None, key), value_node)
            else:
                fields[name] = (
                    parser.value(FIELDS[kind][name], value_node, None, key, 0),
                    value_node,
                )
        result[kind] = fields
    return result


# --- the shipped zoo ------------------------------------------------------------------------


def _zoo_dir() -> Path:
    """The shipped specs: ``configs/`` of the repository, package data ``convcost/configs``."""
    return Path(__file__).resolve().parent / "configs"


def zoo_names() -> list[str]:
    """The names of the shipped specs, sorted."""
    return sorted(p.stem for p in _zoo_dir().glob("*.yaml"))


def resolve(spec: str) -> tuple[Path, str]:
    """The file a ``SPEC`` argument means, and how to show it in messages.

    A SPEC that names a path is that path, and reading it says what is wrong with it: it has
    a folder part (``configs/mobilenet_v1.yaml``, ``./x.yaml``), or something is there in
    any form (a file, a broken or looping symbolic link, a pipe, a folder). Only a bare name
    that is nowhere on disk (``mobilenet_v1``, ``mobilenet_v1.yaml``) is looked up among the
    shipped specs, from any folder. Never a guess: a path that is missing is an error, not
    the shipped spec of the same name.
    """
    path = Path(spec)
    if _on_disk(spec):
        return path, spec
    stem = path.name.removesuffix(".yaml").removesuffix(".yml")
    known = (_zoo_dir() / f"{stem}.yaml").is_file()
    if _has_folder(spec):
        fix = f"; for the shipped spec of that name, type {stem}" if known else ""
        raise ConvcostError(f"no such file{fix}", path=spec)
    if known:
        return shipped(stem)
    names = zoo_names()
    raise ConvcostError(
        f"no such file, and no shipped spec of that name"
        f"{_suggest(stem, names)} (shipped: {', '.join(names)})",
        path=spec,
    )


def _on_disk(spec: str) -> bool:
    """Whether anything is at ``spec``, or the file system cannot say that nothing is.

    ``lstat``, not ``exists()``: a broken or looping link is something (load says which),
    and so is a name too long or behind a folder we may not search.
    """
    try:
        os.lstat(spec)
    except FileNotFoundError:
        return False
    except OSError:
        return True
    return True


def _has_folder(spec: str) -> bool:
    return os.sep in spec or (os.altsep is not None and os.altsep in spec)


def shipped(name: str) -> tuple[Path, str]:
    """The shipped spec ``name`` (as ``zoo_names`` lists it), whatever the current folder holds."""
    return _zoo_dir() / f"{name}.yaml", f"{name}.yaml"


# --- JSON Schema ----------------------------------------------------------------------------

_POSITIVE = {"type": "integer", "minimum": 1, "maximum": MAX_SIZE}
_PAIR_SCHEMA = {
    "oneOf": [_POSITIVE, {"type": "array", "items": _POSITIVE, "minItems": 2, "maxItems": 2}]
}
_NONNEG = {"type": "integer", "minimum": 0, "maximum": MAX_SIZE}
_ACT_SCHEMA = {"oneOf": [{"enum": [*ACTIVATIONS, "none"]}, {"type": "null"}]}
_KIND_SCHEMA: dict[str, Any] = {
    COUNT: _POSITIVE,
    PAIR: _PAIR_SCHEMA,
    PADDING: {
        "oneOf": [
            _NONNEG,
            {"type": "array", "items": _NONNEG, "minItems": 2, "maxItems": 2},
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
    LAYERS: {"$ref": "#/$defs/layers"},
    BRANCHES: {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/layers"}},
    COUNTS: {"type": "array", "minItems": 1, "items": _POSITIVE},
    CALL: {"enum": ["module", "functional"]},
    CALL_OR_MEAN: {"enum": ["module", "functional", "mean"]},
}
_SHAPE_SCHEMA = {
    "type": "array",
    "items": _POSITIVE,
    "minItems": 3,
    "maxItems": 3,
    "description": "[H, W, C]",
}


def _fields_schema(kind: str, *, with_common: bool) -> dict[str, Any]:
    properties: dict[str, Any] = {name: _KIND_SCHEMA[k] for name, k in FIELDS[kind].items()}
    for alias, name in ALIASES.items():
        if name in properties:
            properties[alias] = properties[name]
    if with_common:
        properties |= {
            "name": {"type": "string", "minLength": 1, "maxLength": 200},
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
        required: list[dict[str, Any]] = [
            {"anyOf": [{"required": [name]}, {"required": [short[name]]}]}
            if name in short
            else {"required": [name]}
            for name in REQUIRED.get(kind, ())
        ]
        if kind == "inverted_residual":
            required.append({"oneOf": [{"required": ["t"]}, {"required": ["exp"]}]})
        if required:
            schema["allOf"] = required
    return schema


def json_schema() -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) of the spec format, generated from ``FIELDS``.

    Editors use it to validate and complete specs; the loader remains the authority (it also
    checks shapes, channel counts and YAML 1.1 surprises, which a schema cannot).
    """
    entries: list[dict[str, Any]] = []
    for kind in FIELDS:
        entries.append(
            {
                "type": "object",
                "properties": {kind: _fields_schema(kind, with_common=True)},
                "required": [kind],
                "additionalProperties": False,
            }
        )
        if not REQUIRED.get(kind):
            entries.append({"const": kind})
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
                "properties": {kind: _fields_schema(kind, with_common=False) for kind in FIELDS},
            },
            "layers": {"$ref": "#/$defs/layers"},
        },
        "$defs": {
            "layers": {"type": "array", "items": {"$ref": "#/$defs/entry"}},
            "entry": {"oneOf": entries},
        },
    }
