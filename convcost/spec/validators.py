"""Field validators: one YAML node in, one checked Python value out, or a located error.

Each converter takes the node, the :class:`Context` (the file) and the layer and field it
belongs to, and raises :class:`ConvcostError` naming all three. They refuse what YAML 1.1 would
turn silently into surprises: ``yes``/``no``/``on``/``off`` where a number belongs (booleans),
``1e3`` (a string), ``017`` (octal), ``1:20`` (base 60), a date or a merge key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from convcost.errors import ConvcostError
from convcost.limits import MAX_INT_TEXT, MAX_NAME, MAX_SIZE
from convcost.spec import yamltree as Y
from convcost.spec.catalogue import ACTIVATIONS, NOT_YET, TYPE_NAMES
from convcost.spec.wording import clip, normal, suggest


class Context:
    """Where we are, for error messages."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        # The input's spatial axes (issue 14): 1 for [L, C], 2 for [H, W, C], 3 for
        # [D, H, W, C]. Set once the input is read; a per-axis field takes as many values.
        self.axes = 2

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


def _line(node: Y.Node) -> int:
    return node.line


# --- scalars as YAML 1.1 reads them ---------------------------------------------------------


_INT_TAG = Y.INT
_FLOAT_TAG = Y.FLOAT
_BOOL_TAG = Y.BOOL
_STR_TAG = Y.STR
_NULL_TAG = Y.NULL


def _scalar(node: Y.Scalar, ctx: Context, layer: str | None = None, name: str | None = None) -> Any:
    """The Python value of a scalar node under YAML 1.1 safe rules.

    A date, ``<<`` or ``=`` (which YAML 1.1 reads as a timestamp, a merge key or a value key)
    stays its text, so that the field that wanted a number says what it got.
    """
    if node.tag == _STR_TAG:
        return node.value
    if node.tag == _NULL_TAG:
        return None
    if node.tag not in Y.CONSTRUCTED:
        return node.value
    text = node.value
    if node.tag == _INT_TAG:
        if len(text) > MAX_INT_TEXT:
            raise ctx.error(
                f"'{clip(text)}' has {len(text):,} characters, too large for any count",
                node,
                layer=layer,
                field=name,
            )
        if text.isascii() and text.isdigit() and text[0] != "0":
            return int(text)  # the common case, without PyYAML's sign, base and '_' handling
    try:
        return Y.construct(node.tag, text)
    except (ArithmeticError, LookupError, ValueError, TypeError):  # whatever the text holds
        what = {_INT_TAG: "an integer", _FLOAT_TAG: "a number", _BOOL_TAG: "true or false"}
        raise ctx.error(
            f"'{clip(text)}' is tagged {Y.shown_tag(node.tag)} but is not {what[node.tag]}",
            node,
            layer=layer,
            field=name,
        ) from None


def describe(node: Y.Node) -> str:
    """How a value reads in an error message: its text and, if surprising, what YAML made of it."""
    if isinstance(node, Y.Mapping):
        return "a mapping"
    if isinstance(node, Y.Sequence):
        count = len(node.value)
        return "an empty list" if not count else f"a list of {count}"
    text = node.value
    if getattr(node, "style", None) in ("'", '"'):
        return f"'{clip(text)}' (quoted, so a string)"
    if node.tag == _BOOL_TAG:
        return f"'{clip(text)}' (a boolean in YAML 1.1)"
    if node.tag == _NULL_TAG:
        return "an empty value" if text in ("", "~") else f"'{clip(text)}' (null)"
    if node.tag in _READ_AS:
        return f"'{clip(text)}' ({_READ_AS[node.tag]} in YAML 1.1)"
    if node.tag == _STR_TAG and _looks_numeric(text):
        return f"'{clip(text)}' (a string in YAML 1.1; write it as a plain integer or with a '.')"
    if node.tag == _STR_TAG:
        return f"'{clip(text)}' (a string)"
    return clip(text)


_READ_AS = {Y.TIMESTAMP: "a date", Y.MERGE: "a merge key", Y.VALUE: "a value key"}


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# --- field values ---------------------------------------------------------------------------

_OCTAL = re.compile(r"[-+]?0[0-7_]+")


def _surprising_number(node: Y.Node, ctx: Context, layer: str | None, name: str) -> None:
    """Refuse YAML 1.1 numbers that read differently than they look: ``017`` is octal (15)
    and ``1:20`` is base 60 (80). YAML 1.2 reads both as other things; neither is a typo we
    should turn silently into a count."""
    if not isinstance(node, Y.Scalar) or node.tag not in (_INT_TAG, _FLOAT_TAG):
        return
    text = node.value
    value = _scalar(node, ctx, layer, name)
    if ":" in text:
        raise ctx.error(
            f"'{clip(text)}' is a base-60 number in YAML 1.1 (= {value}); write the number itself",
            node,
            layer=layer,
            field=name,
        )
    if node.tag == _INT_TAG and _OCTAL.fullmatch(text):
        raise ctx.error(
            f"'{clip(text)}' is octal in YAML 1.1 (= {value}); write it without the leading zero",
            node,
            layer=layer,
            field=name,
        )


def integer(
    node: Y.Node,
    ctx: Context,
    layer: str | None,
    name: str,
    minimum: int,
    maximum: int = MAX_SIZE,
    what: str = "",
) -> int:
    _surprising_number(node, ctx, layer, name)
    value = _scalar(node, ctx, layer, name) if isinstance(node, Y.Scalar) else None
    if isinstance(value, bool) or value is None or not isinstance(value, int | float):
        raise ctx.error(f"expected an integer, got {describe(node)}", node, layer=layer, field=name)
    if isinstance(value, float):
        if not value.is_integer():
            raise ctx.error(
                f"expected an integer, got {clip(str(node.value))}", node, layer=layer, field=name
            )
        value = int(value)
    if value < minimum:
        bound = "positive" if minimum == 1 else f"at least {minimum}"
        raise ctx.error(f"must be {bound}, got {value}", node, layer=layer, field=name)
    if value > maximum:
        shown = clip(f"{value:,}")
        problem = f"{shown} {what} is too many" if what else f"{shown} is too large"
        raise ctx.error(f"{problem} (at most {maximum:,})", node, layer=layer, field=name)
    return int(value)


def number(
    node: Y.Node,
    ctx: Context,
    layer: str | None,
    name: str,
    minimum: float,
    strict: bool,
    maximum: float | None = None,
) -> float | int:
    _surprising_number(node, ctx, layer, name)
    value = _scalar(node, ctx, layer, name) if isinstance(node, Y.Scalar) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ctx.error(f"expected a number, got {describe(node)}", node, layer=layer, field=name)
    if value != value or value in (float("inf"), float("-inf")):
        raise ctx.error(
            f"expected a finite number, got {clip(str(node.value))}", node, layer=layer, field=name
        )
    if value < minimum or (strict and value == minimum):
        bound = f"greater than {minimum:g}" if strict else f"at least {minimum:g}"
        raise ctx.error(
            f"must be {bound}, got {clip(str(node.value))}", node, layer=layer, field=name
        )
    if maximum is not None and value >= maximum:
        raise ctx.error(
            f"must be less than {maximum:g}, got {clip(str(node.value))}",
            node,
            layer=layer,
            field=name,
        )
    if value > MAX_SIZE:
        raise ctx.error(f"{clip(str(node.value))} is too large", node, layer=layer, field=name)
    return value


# What a per-axis list holds, by the input's spatial axes.
_PER_AXIS = {1: "a list [l]", 2: "a pair [h, w]", 3: "a list [d, h, w]"}


def pair(
    node: Y.Node, ctx: Context, layer: str | None, name: str, minimum: int = 1
) -> tuple[int, ...]:
    """One integer for every spatial axis, or one per axis: [h, w] in 2-D, [l] in 1-D and
    [d, h, w] in 3-D (the input says which)."""
    axes = ctx.axes
    if isinstance(node, Y.Sequence):
        if len(node.value) != axes:
            where = "" if axes == 2 else f" for the {axes}-D input"
            raise ctx.error(
                f"expected one integer or {_PER_AXIS[axes]}{where}, got {len(node.value)} values",
                node,
                layer=layer,
                field=name,
            )
        return tuple(integer(v, ctx, layer, name, minimum) for v in node.value)
    value = integer(node, ctx, layer, name, minimum)
    return (value,) * axes


def padding(node: Y.Node, ctx: Context, layer: str | None, name: str) -> Any:
    if isinstance(node, Y.Scalar) and node.tag == _STR_TAG:
        if node.value in ("same", "valid"):
            return node.value
        if not _looks_numeric(node.value):
            raise ctx.error(
                f"expected an integer, {_PER_AXIS[ctx.axes].split(' ', 2)[-1]}, 'same' or "
                "'valid', got "
                f"'{clip(str(node.value))}'{suggest(node.value, ['same', 'valid'])}",
                node,
                layer=layer,
                field=name,
            )
    return pair(node, ctx, layer, name, minimum=0)


def boolean(node: Y.Node, ctx: Context, layer: str | None, name: str) -> bool:
    value = _scalar(node, ctx, layer, name) if isinstance(node, Y.Scalar) else None
    if not isinstance(value, bool):
        raise ctx.error(
            f"expected true or false, got {describe(node)}", node, layer=layer, field=name
        )
    return value


def not_yet(word: str) -> list[str]:
    """What the catalogue says of a layer it does not have (``NOT_YET``), one note a match;
    a word with notes names another layer, so it is never read as a misspelling."""
    name = normal(word).replace("2d", "")
    return [note for pattern, note in NOT_YET if re.search(pattern, name)]


def choice(
    node: Y.Node,
    ctx: Context,
    layer: str | None,
    name: str,
    choices: Sequence[str],
    others: Mapping[str, tuple[str, ...]] | None = None,
) -> str:
    """One of ``choices``; ``others`` maps other names (normal) to the choices they mean."""
    value = _scalar(node, ctx, layer, name) if isinstance(node, Y.Scalar) else None
    if not isinstance(value, str) or value not in choices:
        shown = node.value if isinstance(node, Y.Scalar) else describe(node)
        hint = ""
        if isinstance(shown, str):
            notes = not_yet(shown) if others is not None else []
            hint = suggest(shown, choices, others, [normal(shown)] if notes else [])
            hint += "".join(f"; {note}" for note in notes if note and not hint)
        raise ctx.error(
            f"expected one of {', '.join(choices)}, got '{clip(str(shown))}'{hint}",
            node,
            layer=layer,
            field=name,
        )
    return value


def activation(node: Y.Node, ctx: Context, layer: str | None, name: str) -> str | None:
    if isinstance(node, Y.Scalar) and node.tag == _NULL_TAG:
        return None
    if isinstance(node, Y.Scalar) and node.value == "none":
        return None
    if isinstance(node, Y.Scalar) and node.tag == _BOOL_TAG:
        raise ctx.error(
            f"expected an activation name or none, got {describe(node)}",
            node,
            layer=layer,
            field=name,
        )
    if isinstance(node, Y.Scalar) and node.value == "prelu":
        # PReLU has parameters (1 or C slopes), so it is an entry of its own (issue 14).
        raise ctx.error(
            f"expected one of {', '.join(ACTIVATIONS)}, none, got 'prelu'; PReLU has "
            "parameters, so it is an entry of its own: write act: none and a 'prelu' entry "
            "after this one",
            node,
            layer=layer,
            field=name,
        )
    return choice(node, ctx, layer, name, (*ACTIVATIONS, "none"), _ACTIVATION_NAMES)


# Other names for the activations (``hardswish`` for ``hswish``), as ``choice`` takes them.
_ACTIVATION_NAMES = {
    other: (ours,) for ours, theirs in TYPE_NAMES.items() if ours in ACTIVATIONS for other in theirs
}


def scale(node: Y.Node, ctx: Context, layer: str | None, name: str) -> bool | str:
    if isinstance(node, Y.Scalar) and node.tag == _STR_TAG and node.value == "up":
        return "up"
    value = _scalar(node, ctx, layer, name) if isinstance(node, Y.Scalar) else None
    if not isinstance(value, bool):
        raise ctx.error(
            f"expected true, false or up, got {describe(node)}", node, layer=layer, field=name
        )
    return value


# A shape, by its spatial axes.
_SHAPES = {1: "[L, C]", 2: "[H, W, C]", 3: "[D, H, W, C]"}


def shape(node: Y.Node, ctx: Context, layer: str | None, name: str) -> tuple[int, ...]:
    """A declared output shape, with as many spatial axes as the input."""
    if not isinstance(node, Y.Sequence) or len(node.value) != ctx.axes + 1:
        raise ctx.error(
            f"expected {_SHAPES[ctx.axes]}, got {describe(node)}", node, layer=layer, field=name
        )
    return tuple(integer(v, ctx, layer, name, 1) for v in node.value)


def input_shape(node: Y.Node, ctx: Context) -> tuple[int, ...]:
    """The spec's input: [H, W, C], or [L, C] (1-D) or [D, H, W, C] (3-D); sets ``ctx.axes``."""
    if not isinstance(node, Y.Sequence) or len(node.value) not in (2, 3, 4):
        raise ctx.error(
            f"expected [H, W, C], or [L, C] or [D, H, W, C], got {describe(node)}",
            node,
            field="input",
        )
    ctx.axes = len(node.value) - 1
    return shape(node, ctx, None, "input")


def counts(node: Y.Node, ctx: Context, layer: str | None, name: str) -> tuple[int, ...]:
    if not isinstance(node, Y.Sequence) or not node.value:
        raise ctx.error(
            f"expected a list of channel counts, got {describe(node)}",
            node,
            layer=layer,
            field=name,
        )
    return tuple(integer(v, ctx, layer, name, 1) for v in node.value)


def written_name(node: Y.Node, ctx: Context, layer: str | None, name: str) -> str:
    if not isinstance(node, Y.Scalar) or node.tag != _STR_TAG or not node.value:
        raise ctx.error(
            f"expected a non-empty string, got {describe(node)}", node, layer=layer, field=name
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


def source_text(node: Y.Node, ctx: Context) -> str:
    if not isinstance(node, Y.Scalar) or node.tag != _STR_TAG:
        raise ctx.error(f"expected text, got {describe(node)}", node, field="source")
    _printable(node, ctx, None, "source", allowed="\n")
    return str(node.value)


def _printable(node: Y.Scalar, ctx: Context, layer: str | None, name: str, allowed: str) -> None:
    """Names and the source are printed in every report, so they hold printable characters
    only (``str.isprintable``: no control, format or bidirectional-override characters, no
    line or paragraph separators), apart from the line breaks in ``allowed``."""
    text = node.value
    if text.isprintable():
        return
    for index, ch in enumerate(text):
        if not ch.isprintable() and ch not in allowed:
            import unicodedata  # only to name the character refused

            what = unicodedata.name(ch, "a control character")
            text_kind = "printable text" if allowed else "one line of printable text"
            raise ctx.error(
                f"must be {text_kind}, but character {index + 1} is U+{ord(ch):04X} ({what})",
                node,
                layer=layer,
                field=name,
            )


# --- mappings -------------------------------------------------------------------------------


def mapping_items(
    node: Y.Mapping, ctx: Context, layer: str | None
) -> list[tuple[str, Y.Node, Y.Node]]:
    """(key, key node, value node) in order; duplicate and non-string keys are errors."""
    seen: dict[str, int] = {}
    items: list[tuple[str, Y.Node, Y.Node]] = []
    for key_node, value_node in node.value:
        if isinstance(key_node, Y.Scalar) and key_node.tag == Y.MERGE:
            raise ctx.error("merge keys (<<) are not allowed in a spec", key_node, layer=layer)
        if not isinstance(key_node, Y.Scalar) or key_node.tag != _STR_TAG:
            raise ctx.error(f"keys must be names, got {describe(key_node)}", key_node, layer=layer)
        key = str(key_node.value)
        if key in seen:
            raise ctx.error(
                f"duplicate key (first given on line {seen[key]})", key_node, layer=layer, field=key
            )
        seen[key] = _line(key_node)
        items.append((key, key_node, value_node))
    return items
