"""The parser: a composed YAML tree -> a validated :class:`Spec`, every entry checked and named.

It walks the node tree of ``spec.yamltree`` against the catalogue (``spec.catalogue``): each
entry is a known type whose fields are known and converted by ``spec.validators``, required
fields are present, ``defaults`` are checked like the fields they stand for, and the entries a
spec expands to (repetitions multiplied out, nesting, branches) are bounded before anything is
built. Entries are named in messages as the walker names them in reports (``entry_name``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from convcost.errors import ConvcostError
from convcost.gcpause import paused_gc
from convcost.limits import MAX_DEPTH, MAX_ENTRIES, MAX_PATH_NAME, MAX_REPEAT
from convcost.spec import validators as V
from convcost.spec import yamltree as Y
from convcost.spec.catalogue import (
    ACT,
    ALIASES,
    BOOL,
    BRANCHES,
    CALL,
    CALL_OR_MEAN,
    CATALOGUE,
    CHOICE_SE_BASE,
    CHOICE_SQUEEZE_BASE,
    CHOICE_UPSAMPLE_MODE,
    COMMON,
    COUNT,
    COUNTS,
    FAMILIES,
    FIELD_NAMES,
    LAYERS,
    NUMBER,
    OFFSET,
    OFFSETS,
    PADDING,
    PAIR,
    PROB,
    RATIO,
    SCALE,
    TOP_LEVEL,
    TOP_LEVEL_NAMES,
    TYPE_NAMES,
    WIDTH_RULES,
    Family,
    LayerSpec,
    OneOf,
    Spec,
    entry_name,
)
from convcost.spec.wording import clip, normal, suggest


class Parser:
    """Converts entries, naming each as the walker will (``conv1``, ``block3``) for messages."""

    def __init__(
        self, ctx: V.Context, defaults: Mapping[str, Mapping[str, tuple[Any, Y.Node]]]
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
                f"expected a list of layers, got {V.describe(node)}",
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
        return entry_name(scope, counters, CATALOGUE[kind].prefix, name, repeat)

    def entry(self, node: Y.Node, depth: int) -> LayerSpec:
        ctx = self.ctx
        if isinstance(node, Y.Scalar) and node.tag == Y.STR:
            kind, body = self._type(node.value, node), None
        elif isinstance(node, Y.Mapping):
            items = V.mapping_items(node, ctx, None)
            if len(items) != 1:
                keys = ", ".join(k for k, _, _ in items) or "none"
                raise ctx.error(
                    f"a layer is a one-key mapping 'type: {{fields}}', got keys: {keys}", node
                )
            key, key_node, body = items[0]
            kind = self._type(key, key_node)
        else:
            raise ctx.error(
                f"expected a layer such as 'conv: {{c: 32}}', got {V.describe(node)}", node
            )
        return self.fields(kind, body, node.line, depth)

    def _type(self, word: str, node: Y.Node) -> str:
        if word not in CATALOGUE:
            raise self.ctx.error(f"unknown layer type '{clip(word)}'{_type_hint(word)}", node)
        return word

    def fields(self, kind: str, body: Y.Node | None, line: int, depth: int) -> LayerSpec:
        ctx = self.ctx
        values: dict[str, Any] = {}
        common: dict[str, Any] = {}
        for key, (value, _) in self.defaults.get(kind, {}).items():
            (common if key in COMMON else values)[key] = value
        items: list[tuple[str, Y.Node, Y.Node]] = []
        if body is not None and not (isinstance(body, Y.Scalar) and body.tag == Y.NULL):
            if not isinstance(body, Y.Mapping):
                raise ctx.error(
                    f"the fields of '{kind}' must be a mapping, got {V.describe(body)}", body
                )
            items = V.mapping_items(body, ctx, None)
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
        allowed = CATALOGUE[kind].fields
        nested = sum(  # entries that a default 'layers' or 'branches' brings in
            _weight(value, allowed[key].kind)
            for key, (value, _) in self.defaults.get(kind, {}).items()
            if key in allowed and allowed[key].kind in (LAYERS, BRANCHES) and key not in written
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
        entry_type = CATALOGUE[kind]
        allowed = entry_type.fields
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
                values[name] = self.value(allowed[name].kind, value_node, layer, key, depth)
            else:
                raise ctx.error(
                    f"unknown field for '{kind}'{_field_hint(kind, key, defaults=False)}",
                    key_node,
                    layer=layer,
                    field=key,
                )
        for name in entry_type.required:
            if name not in values:
                short = {v: k for k, v in ALIASES.items()}.get(name)
                also = f" (or '{short}')" if short else ""
                raise ctx.error(
                    f"'{kind}' needs '{name}'{also}", line=line, layer=layer, field=name
                )
        if entry_type.one_of is not None:
            self._one_of(entry_type.one_of, values, given, layer, line)
        return LayerSpec(
            type=kind,
            fields=values,
            name=common.get("name"),
            repeat=common.get("repeat", 1),
            output=common.get("output"),
            scale=common.get("scale"),
            line=line,
        )

    def _one_of(
        self,
        one_of: OneOf,
        values: dict[str, Any],
        given: Mapping[str, Y.Node],
        layer: str,
        line: int,
    ) -> None:
        """Exactly one of ``one_of``'s fields (``c`` or ``t``); one written in the entry
        replaces the others' defaults. A count relative to the input is not scaled again."""
        names = [name for name, _ in one_of.fields]
        if any(name in given for name in names):
            for name in names:
                if name not in given:
                    values.pop(name, None)
        first = names[0]
        if sum(name in values for name in names) != 1:
            short = {v: k for k, v in ALIASES.items()}
            ways = " or ".join(f"'{short.get(n, n)}' ({meaning})" for n, meaning in one_of.fields)
            raise self.ctx.error(
                f"give {one_of.what} as {ways}, one of them",
                line=line,
                layer=layer,
                field=_original(given, first) if first in given else first,
            )
        if first == "cout" and "t" in values and "scale" in given:
            raise self.ctx.error(
                f"'t: {values['t']:g}' sizes the output from the input channels, which "
                "--alpha already scales; remove 'scale'",
                given["scale"],
                layer=layer,
                field=_original(given, "scale"),
            )

    def common(self, name: str, node: Y.Node, layer: str | None, key: str) -> Any:
        ctx = self.ctx
        if name == "name":
            return V.written_name(node, ctx, layer, key)
        if name == "repeat":
            return V.integer(node, ctx, layer, key, 1, MAX_REPEAT, "repetitions")
        if name == "output":
            return V.shape(node, ctx, layer, key)
        return V.scale(node, ctx, layer, key)

    def value(self, kind: str, node: Y.Node, layer: str | None, key: str, depth: int) -> Any:
        ctx = self.ctx
        if kind == COUNT:
            return V.integer(node, ctx, layer, key, 1)
        if kind == PAIR:
            return V.pair(node, ctx, layer, key)
        if kind == PADDING:
            return V.padding(node, ctx, layer, key)
        if kind == BOOL:
            return V.boolean(node, ctx, layer, key)
        if kind == ACT:
            return V.activation(node, ctx, layer, key)
        if kind == NUMBER:
            return V.number(node, ctx, layer, key, 0, strict=True)
        if kind == RATIO:
            return V.number(node, ctx, layer, key, 0, strict=False)
        if kind == PROB:
            return V.number(node, ctx, layer, key, 0, strict=False, maximum=1)
        if kind == SCALE:
            return V.scale(node, ctx, layer, key)
        if kind == CHOICE_SE_BASE:
            return V.choice(node, ctx, layer, key, ("expanded", "input"))
        if kind == CHOICE_SQUEEZE_BASE:
            return V.choice(node, ctx, layer, key, ("channels", "input"))
        if kind == OFFSET:
            return V.integer(node, ctx, layer, key, 0)
        if kind == OFFSETS:
            return V.pair(node, ctx, layer, key, minimum=0)
        if kind == CHOICE_UPSAMPLE_MODE:
            return V.choice(node, ctx, layer, key, ("nearest", "bilinear"))
        if kind == LAYERS:
            scope = f"{layer}.shortcut" if key == "shortcut" else layer
            return self.entries(node, key, depth + 1, layer, scope)
        if kind == BRANCHES:
            if not isinstance(node, Y.Sequence) or not node.value:
                raise ctx.error(
                    f"expected a list of branches (each a list of layers), got {V.describe(node)}",
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
            return V.counts(node, ctx, layer, key)
        if kind == CALL:
            return V.choice(node, ctx, layer, key, ("module", "functional"))
        if kind == CALL_OR_MEAN:
            return V.choice(node, ctx, layer, key, ("module", "functional", "mean"))
        raise AssertionError(f"field kind {kind} has no converter")


def _weight(value: Any, kind: str) -> int:
    """How many entries a parsed ``layers`` (or ``branches``) value stands for after
    repetition, counting each branch as one: what one use of it costs the walker."""
    lists = value if kind == BRANCHES else (value,)
    total = len(lists) if kind == BRANCHES else 0
    for entries in lists:
        for entry in entries:
            inner = 1
            catalogued = CATALOGUE[entry.type].fields
            for name, field_value in entry.fields.items():
                field_kind = catalogued[name].kind if name in catalogued else None
                if field_kind in (LAYERS, BRANCHES):
                    inner += _weight(field_value, field_kind)
            total += entry.repeat * inner
    return total


def _original(given: Mapping[str, Y.Node], name: str) -> str:
    return str(given[name].value)


# --- what an unknown name is told (issue 13) ------------------------------------------------
# "Did you mean" names the same thing or nothing (spec.wording's rule). Otherwise the message
# says what the catalogue knows of the name (NOT_YET) and lists what the user can write
# instead: the types of the name's family, or an entry's own fields.


def _type_hint(word: str) -> str:
    """``; did you mean 'depthwise'?`` for ``dwconv``; for ``deconv``, ``; transposed
    convolutions are not supported yet; convolution types: conv, ...``."""
    name = normal(word).replace("2d", "")  # PyTorch's Conv2d is our conv
    notes = V.not_yet(word)
    hint = suggest(name, CATALOGUE, _other_names(TYPE_NAMES, CATALOGUE), [name] if notes else [])
    if hint:
        return hint
    family = _family(name)
    listed = (
        f"{family.name} types: {', '.join(family.types)}"
        if family is not None
        else "the types are " + "; ".join(f"{f.name}: {', '.join(f.types)}" for f in FAMILIES)
    )
    return "".join(f"; {note}" for note in notes if note) + f"; {listed}"


def _other_names(
    table: Mapping[str, tuple[str, ...]], present: Iterable[str]
) -> dict[str, tuple[str, ...]]:
    """A catalogue table of other names (ours -> theirs) turned round for ``suggest``: each
    other name -> those of ours, among ``present``, that it means."""
    present = set(present)
    others: dict[str, tuple[str, ...]] = {}
    for ours, theirs in table.items():
        if ours in present:
            for other in theirs:
                others[other] = (*others.get(other, ()), ours)
    return others


def _family(name: str) -> Family | None:
    """The family whose marks match most of ``name`` (``fusedmbconv``: a block, not a
    convolution); None when no family's marks are in it."""
    best: tuple[int, int] = (0, 0)
    for index, family in enumerate(FAMILIES):
        for match in re.finditer(family.marks, name):
            best = max(best, (len(match.group()), -index))
    return FAMILIES[-best[1]] if best[0] else None


def _field_hint(kind: str, key: str, *, defaults: bool) -> str:
    """``; did you mean 'k'?`` for ``kernel_size`` on a conv; else where the field belongs,
    and the fields ``kind`` takes (as a default, with ``defaults``)."""
    allowed = CATALOGUE[kind].fields
    common = ["scale"] if defaults else list(COMMON)
    choices = [
        *allowed,
        *common,
        *(a for a, b in ALIASES.items() if b in allowed or b in common),
    ]
    hint = suggest(key, choices, _other_names(FIELD_NAMES, choices))
    if hint:
        return hint
    name = ALIASES.get(key, key)
    elsewhere = [t for t, entry in CATALOGUE.items() if name in entry.fields]
    where = ""
    if elsewhere:
        shown = elsewhere if len(elsewhere) <= 3 else [*elsewhere[:3], f"{len(elsewhere) - 3} more"]
        few = ", ".join(shown[:-1]) + " and " + shown[-1] if len(shown) > 1 else shown[0]
        where = f"; '{clip(key)}' is a field of {few}"
    short = {b: a for a, b in ALIASES.items()}
    own = ", ".join(f"{f} ({short[f]})" if f in short else f for f in allowed) or "no fields"
    if defaults:
        return f"{where}; defaults of '{kind}' can set {own}, scale"
    every = ", ".join(f"{f} ({short[f]})" if f in short else f for f in COMMON)
    return f"{where}; '{kind}' takes {own}; every entry takes {every}"


def convert(root: Y.Node, ctx: V.Context, default_name: str) -> Spec:
    path = ctx.path
    if not isinstance(root, Y.Mapping):
        raise ctx.error(
            f"a spec is a mapping with 'input' and 'layers', got {V.describe(root)}", root
        )
    top = {key: (key_node, value) for key, key_node, value in V.mapping_items(root, ctx, None)}
    for key, (key_node, _) in top.items():
        if key not in TOP_LEVEL:
            hint = suggest(key, TOP_LEVEL, _other_names(TOP_LEVEL_NAMES, TOP_LEVEL)) or (
                f"; a spec has {', '.join(TOP_LEVEL)}"
            )
            raise ctx.error(f"unknown top-level key{hint}", key_node, field=key)
    for key in ("input", "layers"):
        if key not in top:
            raise ctx.error(f"the spec needs '{key}'", root, field=key)
    name = V.written_name(top["name"][1], ctx, None, "name") if "name" in top else default_name
    source = V.source_text(top["source"][1], ctx) if "source" in top else None
    width_rule = (
        V.choice(top["width_rule"][1], ctx, None, "width_rule", WIDTH_RULES)
        if "width_rule" in top
        else "int"
    )
    shape = V.input_shape(top["input"][1], ctx)
    defaults = _defaults(top["defaults"][1], ctx) if "defaults" in top else {}
    parser = Parser(ctx, defaults)
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


def _defaults(node: Y.Node, ctx: V.Context) -> dict[str, dict[str, tuple[Any, Y.Node]]]:
    """``defaults: {type: {field: value}}``: each value is checked like a field of that type."""
    if not isinstance(node, Y.Mapping):
        raise ctx.error(
            f"expected a mapping of layer types to fields, got {V.describe(node)}",
            node,
            field="defaults",
        )
    parser = Parser(ctx, {})
    result: dict[str, dict[str, tuple[Any, Y.Node]]] = {}
    for kind, key_node, body in V.mapping_items(node, ctx, None):
        parser._type(kind, key_node)
        if not isinstance(body, Y.Mapping):
            raise ctx.error(
                f"expected the default fields of '{kind}', got {V.describe(body)}",
                body,
                field="defaults",
            )
        fields: dict[str, tuple[Any, Y.Node]] = {}
        for key, field_key, value_node in V.mapping_items(body, ctx, None):
            name = ALIASES.get(key, key)
            allowed = CATALOGUE[kind].fields
            if name in ("name", "output", "repeat") or (name not in allowed and name not in COMMON):
                hint = "" if name in COMMON else _field_hint(kind, key, defaults=True)
                raise ctx.error(
                    f"'{clip(key)}' cannot be a default of '{kind}'{hint}",
                    field_key,
                    field="defaults",
                )
            if name == "scale":
                fields[name] = (V.scale(value_node, ctx, None, key), value_node)
            else:
                fields[name] = (
                    parser.value(allowed[name].kind, value_node, None, key, 0),
                    value_node,
                )
        result[kind] = fields
    return result
