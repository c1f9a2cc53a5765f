"""The spec language: every entry type once, with its fields, defaults, name prefix and rule.

``CATALOGUE`` holds one :class:`EntryType` per type a spec may write. The loader validates
entries against it (``spec.parser``), ``convcost schema`` generates the JSON Schema from it
(``spec.schema``), tests check docs/spec.md's tables and blocks.py's expansion rules against
it, and the walker names entries with :func:`entry_name`, as the loader's messages do.

``FIELDS``, ``REQUIRED`` and ``PREFIX`` are views of the catalogue for readers that want one
aspect by type. This module reads no YAML and imports nothing of ours.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

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


class SameAs(NamedTuple):
    """A default that is another field's value (``dw_bn`` is ``bn``, a pool's stride is ``k``).

    The catalogue's own types are named tuples, not dataclasses: ``convcost net`` imports
    them at every start, and a named tuple costs a fifth of a dataclass to create.
    """

    field: str


class Computed(NamedTuple):
    """A default that depends on other fields in a way ``rule`` says in words."""

    rule: str


class Field(NamedTuple):
    """One field of an entry type: its kind and the value an entry that leaves it out gets.

    The defaults are applied where the entry expands (blocks.py, checked against these by
    tests/test_catalogue.py); the loader keeps only what was written. ``None`` is no value: a
    required field, a field that is one of two (``t`` or ``exp``), or none at all (``act``,
    ``split``).
    """

    kind: str
    default: Any = None


class EntryType(NamedTuple):
    """What a spec may write as ``name: {fields}`` and how it is named and expanded.

    ``prefix`` names an unnamed entry (``conv1``, ``block3``); ``rule`` names its expansion in
    blocks.py (``_expand_<rule>``); ``group`` is the table of docs/spec.md that lists it.
    Every entry also takes ``COMMON``'s fields.
    """

    name: str
    fields: Mapping[str, Field]
    prefix: str
    rule: str
    group: str  # "layer", "block" or "container"
    required: tuple[str, ...] = ()


def _conv_fields(**extra: Field) -> dict[str, Field]:
    return {
        "k": Field(PAIR, (3, 3)),
        "stride": Field(PAIR, (1, 1)),
        "padding": Field(PADDING, "same"),
        "dilation": Field(PAIR, (1, 1)),
        **extra,
    }


_BN_ACT = {"bias": Field(BOOL, False), "bn": Field(BOOL, True), "act": Field(ACT, "relu")}
_CALLED = {"call": Field(CALL, "module")}  # unless the spec's defaults say otherwise

_TYPES = (
    EntryType(
        "conv",
        {
            "cout": Field(COUNT),
            **_conv_fields(groups=Field(COUNT, 1)),
            **_BN_ACT,
        },
        prefix="conv",
        rule="conv",
        group="layer",
        required=("cout",),
    ),
    EntryType(
        "depthwise",
        {**_conv_fields(multiplier=Field(COUNT, 1)), **_BN_ACT},
        prefix="dw",
        rule="depthwise",
        group="layer",
    ),
    EntryType(
        "pointwise",
        {"cout": Field(COUNT), "stride": Field(PAIR, (1, 1)), **_BN_ACT},
        prefix="pw",
        rule="pointwise",
        group="layer",
        required=("cout",),
    ),
    EntryType(
        "separable",
        {
            "cout": Field(COUNT),
            **_conv_fields(),
            **_BN_ACT,
            "dw_bn": Field(BOOL, SameAs("bn")),
            "dw_act": Field(ACT, SameAs("act")),
        },
        prefix="block",
        rule="separable",
        group="layer",
        required=("cout",),
    ),
    EntryType(
        "fc",
        {"cout": Field(COUNT), "bias": Field(BOOL, True)},
        prefix="fc",
        rule="fc",
        group="layer",
        required=("cout",),
    ),
    EntryType("batchnorm", {}, prefix="bn", rule="simple", group="layer"),
    *(EntryType(name, _CALLED, prefix=name, rule="simple", group="layer") for name in ACTIVATIONS),
    *(
        EntryType(
            name,
            {
                "k": Field(PAIR, (2, 2)),
                "stride": Field(PAIR, SameAs("k")),
                "padding": Field(PADDING, (0, 0)),
                **_CALLED,
            },
            prefix="pool",
            rule="simple",
            group="layer",
        )
        for name in ("maxpool", "avgpool")
    ),
    EntryType(
        "global_avgpool",
        {"call": Field(CALL_OR_MEAN, "module")},
        prefix="pool",
        rule="simple",
        group="layer",
    ),
    EntryType("global_maxpool", _CALLED, prefix="pool", rule="simple", group="layer"),
    EntryType(
        "adaptive_avgpool",
        {"size": Field(PAIR, (1, 1)), **_CALLED},
        prefix="pool",
        rule="simple",
        group="layer",
    ),
    EntryType("flatten", {}, prefix="flatten", rule="simple", group="layer"),
    EntryType("dropout", {"p": Field(PROB, 0.5)}, prefix="dropout", rule="simple", group="layer"),
    EntryType(
        "channel_shuffle",
        {"groups": Field(COUNT, 2)},
        prefix="shuffle",
        rule="simple",
        group="layer",
    ),
    EntryType(
        "inverted_residual",
        {
            "t": Field(NUMBER),  # t or exp, one of them (the parser says so)
            "exp": Field(COUNT),
            "cout": Field(COUNT),
            "stride": Field(PAIR, (1, 1)),
            "k": Field(PAIR, (3, 3)),
            "act": Field(ACT, "relu6"),
            "always_expand": Field(BOOL, False),
            "project_shortcut": Field(BOOL, False),
            "se": Field(RATIO, 0),
            "se_base": Field(CHOICE_SE_BASE, "expanded"),
            "se_divisor": Field(COUNT, Computed("8, or 1 with se_base: input")),
            "se_act": Field(ACT, "relu"),
            "se_gate": Field(ACT, "hsigmoid"),
        },
        prefix="block",
        rule="inverted_residual",
        group="block",
        required=("cout",),
    ),
    EntryType(
        "basic",
        {"cout": Field(COUNT), "stride": Field(PAIR, (1, 1))},
        prefix="block",
        rule="basic",
        group="block",
        required=("cout",),
    ),
    EntryType(
        "bottleneck",
        {"cout": Field(COUNT), "stride": Field(PAIR, (1, 1)), "expansion": Field(COUNT, 4)},
        prefix="block",
        rule="bottleneck",
        group="block",
        required=("cout",),
    ),
    EntryType(
        "shuffle_unit",
        {"cout": Field(COUNT), "stride": Field(PAIR, (1, 1))},
        prefix="block",
        rule="shuffle_unit",
        group="block",
        required=("cout",),
    ),
    EntryType(
        "sequence",
        {"layers": Field(LAYERS)},
        prefix="stage",
        rule="container",
        group="container",
        required=("layers",),
    ),
    EntryType(
        "residual",
        {"layers": Field(LAYERS), "shortcut": Field(LAYERS, ()), "act": Field(ACT)},
        prefix="block",
        rule="container",
        group="container",
        required=("layers",),
    ),
    EntryType(
        "concat",
        {"branches": Field(BRANCHES), "split": Field(COUNTS)},
        prefix="block",
        rule="container",
        group="container",
        required=("branches",),
    ),
)

CATALOGUE: dict[str, EntryType] = {entry.name: entry for entry in _TYPES}

# Views of the catalogue: type -> {field: kind}, type -> required fields, type -> prefix.
FIELDS: dict[str, dict[str, str]] = {
    name: {key: f.kind for key, f in entry.fields.items()} for name, entry in CATALOGUE.items()
}
REQUIRED: dict[str, tuple[str, ...]] = {
    name: entry.required for name, entry in CATALOGUE.items() if entry.required
}
PREFIX: dict[str, str] = {name: entry.prefix for name, entry in CATALOGUE.items()}

# The paper's short names (MobileNetV2's table columns t, c, n, s) and their long forms.
ALIASES = {"c": "cout", "s": "stride", "n": "repeat"}
COMMON = {"name": "name", "repeat": COUNT, "output": "shape", "scale": SCALE}

TOP_LEVEL = ("name", "source", "input", "width_rule", "defaults", "layers")


def entry_name(
    scope: str,
    counters: dict[str, int],
    prefix: str,
    name: str | None,
    repeat: int,
    index: int = 0,
) -> str:
    """The full name of repetition ``index`` (from 0) of an entry in ``scope``.

    A written ``name`` is kept, numbered when ``n`` repeats it (``name.1``, ``name.2``); an
    unnamed entry gets its type's ``prefix`` numbered within its scope (``conv1``, ``block3``),
    ``counters`` holding the numbers taken so far: the first repetition takes all ``repeat`` of
    them. The loader names entries in its messages, and the walker its rows, with this one
    function, so that the name in an error is the name in the report.
    """
    if name is None:
        if index == 0:
            counters[prefix] = counters.get(prefix, 0) + repeat
        name = f"{prefix}{counters[prefix] - repeat + index + 1}"
    elif repeat > 1:
        name = f"{name}.{index + 1}"
    if not name:
        return scope
    return f"{scope}.{name}" if scope else name


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
        return CATALOGUE[self.type].prefix


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
