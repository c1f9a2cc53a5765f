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
PAIR = "pair"  # positive integer or [h, w] ([l], [d, h, w]: one per spatial axis of the input)
PADDING = "padding"  # integer >= 0, [h, w], "same" or "valid"
BOOL = "bool"
ACT = "act"  # activation name or none
NUMBER = "number"  # positive number (int or float)
RATIO = "ratio"  # number >= 0
PROB = "prob"  # number in [0, 1)
SCALE = "scale"  # true, false or "up"
CHOICE_SE_BASE = "se_base"
OFFSET = "offset"  # integer >= 0
OFFSETS = "offsets"  # integer >= 0 or [h, w] (a transposed conv's padding, output_padding)
CHOICE_UPSAMPLE_MODE = "upsample_mode"  # nearest or bilinear
CHOICE_SQUEEZE_BASE = "squeeze_base"  # squeeze_excite's base: channels or input
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


class OneOf(NamedTuple):
    """Exactly one of ``fields`` must be given: two ways to write ``what``, each field with
    what it means (``t`` or ``exp`` for an inverted residual's expansion)."""

    what: str
    fields: tuple[tuple[str, str], ...]


class EntryType(NamedTuple):
    """What a spec may write as ``name: {fields}`` and how it is named and expanded.

    ``prefix`` names an unnamed entry (``conv1``, ``block3``); ``rule`` names its expansion in
    blocks.py (``_expand_<rule>``); ``group`` is the table of docs/spec.md that lists it.
    ``one_of`` names fields of which exactly one is given. Every entry also takes
    ``COMMON``'s fields.
    """

    name: str
    fields: Mapping[str, Field]
    prefix: str
    rule: str
    group: str  # "layer", "block" or "container"
    required: tuple[str, ...] = ()
    one_of: OneOf | None = None


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
# A convolution's output channels: a count, or a multiple of its input channels (issue 14:
# torchvision sizes MobileNetV3's last conv as 6x its input, EfficientNet's as 4x, and only a
# relative count follows --alpha as torchvision's width rules do).
_CHANNELS = {"cout": Field(COUNT), "t": Field(NUMBER)}
_COUT_OR_T = OneOf(
    "the output channels", (("cout", "a count"), ("t", "a multiple of the input channels"))
)

_TYPES = (
    EntryType(
        "conv",
        {
            **_CHANNELS,
            **_conv_fields(groups=Field(COUNT, 1)),
            **_BN_ACT,
        },
        prefix="conv",
        rule="conv",
        group="layer",
        one_of=_COUT_OR_T,
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
        {**_CHANNELS, "stride": Field(PAIR, (1, 1)), **_BN_ACT},
        prefix="pw",
        rule="pointwise",
        group="layer",
        one_of=_COUT_OR_T,
    ),
    EntryType(
        "separable",
        {
            **_CHANNELS,
            **_conv_fields(),
            **_BN_ACT,
            "dw_bn": Field(BOOL, SameAs("bn")),
            "dw_act": Field(ACT, SameAs("act")),
        },
        prefix="block",
        rule="separable",
        group="layer",
        one_of=_COUT_OR_T,
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
    # PyTorch's argument names; eps changes no count, it is accepted for transcription.
    EntryType(
        "layernorm",
        {
            "elementwise_affine": Field(BOOL, True),
            "bias": Field(BOOL, True),
            "eps": Field(NUMBER, 1e-5),
            **_CALLED,
        },
        prefix="ln",
        rule="simple",
        group="layer",
    ),
    EntryType(
        "groupnorm",
        {
            "groups": Field(COUNT),
            "affine": Field(BOOL, True),
            "eps": Field(NUMBER, 1e-5),
            **_CALLED,
        },
        prefix="gn",
        rule="simple",
        group="layer",
        required=("groups",),
    ),
    EntryType(
        "instancenorm",
        {
            "affine": Field(BOOL, False),
            "track_running_stats": Field(BOOL, False),
            "eps": Field(NUMBER, 1e-5),
            **_CALLED,
        },
        prefix="in",
        rule="simple",
        group="layer",
    ),
    EntryType(
        "prelu",
        {"num_parameters": Field(COUNT, 1), **_CALLED},
        prefix="prelu",
        rule="simple",
        group="layer",
    ),
    EntryType("layer_scale", {}, prefix="ls", rule="simple", group="layer"),
    *(EntryType(name, _CALLED, prefix=name, rule="simple", group="layer") for name in ACTIVATIONS),
    *(
        EntryType(
            name,
            {
                "k": Field(PAIR, (2, 2)),
                "stride": Field(PAIR, SameAs("k")),
                "padding": Field(PADDING, (0, 0)),
                "ceil_mode": Field(BOOL, False),
                # Average pooling's divisor: accepted as written, it changes no count.
                **({"count_include_pad": Field(BOOL, True)} if name == "avgpool" else {}),
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
        "conv_transpose",
        {
            "cout": Field(COUNT),
            "k": Field(PAIR, (3, 3)),
            "stride": Field(PAIR, (1, 1)),
            "padding": Field(OFFSETS, (0, 0)),
            "output_padding": Field(OFFSETS, (0, 0)),
            "dilation": Field(PAIR, (1, 1)),
            "groups": Field(COUNT, 1),
            **_BN_ACT,
        },
        prefix="convt",
        rule="conv_transpose",
        group="layer",
        required=("cout",),
    ),
    EntryType(
        "upsample",
        {
            "scale_factor": Field(PAIR),  # scale_factor or size, one of them (one_of)
            "size": Field(PAIR),
            "mode": Field(CHOICE_UPSAMPLE_MODE, "nearest"),
            "align_corners": Field(BOOL),  # not given: PyTorch refuses any with nearest
            **_CALLED,
        },
        prefix="up",
        rule="simple",
        group="layer",
        one_of=OneOf(
            "the output size",
            (("scale_factor", "an integer factor per axis"), ("size", "[h, w]")),
        ),
    ),
    EntryType(
        "pixel_shuffle",
        {"upscale_factor": Field(COUNT)},
        prefix="pixel_shuffle",
        rule="simple",
        group="layer",
        required=("upscale_factor",),
    ),
    EntryType(
        "pixel_unshuffle",
        {"downscale_factor": Field(COUNT)},
        prefix="pixel_unshuffle",
        rule="simple",
        group="layer",
        required=("downscale_factor",),
    ),
    EntryType(
        "pad",
        {side: Field(OFFSET, 0) for side in ("left", "right", "top", "bottom")},
        prefix="pad",
        rule="simple",
        group="layer",
    ),
    EntryType(
        "inverted_residual",
        {
            "t": Field(NUMBER),  # t or exp, one of them (one_of)
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
        one_of=OneOf("the expansion", (("t", "a ratio"), ("exp", "channels"))),
    ),
    EntryType(
        "squeeze_excite",
        {
            "ratio": Field(NUMBER),  # ratio or squeeze, one of them (one_of)
            "squeeze": Field(COUNT),
            "base": Field(CHOICE_SQUEEZE_BASE, "channels"),
            "divisor": Field(COUNT, 1),
            "act": Field(ACT, "relu"),
            "gate": Field(ACT, "sigmoid"),
        },
        prefix="se",
        rule="squeeze_excite",
        group="block",
        one_of=OneOf(
            "the squeeze width",
            (("ratio", "a ratio of base's channels"), ("squeeze", "channels")),
        ),
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
        {
            "cout": Field(COUNT),
            "stride": Field(PAIR, (1, 1)),
            "expansion": Field(COUNT, 4),
            # ResNeXt and Wide ResNet (torchvision's Bottleneck): the 3x3 is
            # floor(cout * width_per_group / 64) * groups wide, in `groups` groups.
            "groups": Field(COUNT, 1),
            "width_per_group": Field(COUNT, 64),
            # torchvision's replace_stride_with_dilation (FCN, DeepLab): the 3x3 dilated,
            # padded by its dilation.
            "dilation": Field(PAIR, (1, 1)),
        },
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


# --- the words users write that are not ours, for messages (spec.wording, spec.parser) ---
# Every name below is as spec.wording.normal writes it: lower case, no separators; a type's
# "2d" is dropped too (our layers are 2-D, so PyTorch's Conv2d is our conv).


class Family(NamedTuple):
    """A kind of entry, as PyTorch's torch.nn documentation groups layers: an unknown type is
    told the types of its family. ``marks`` is a regular expression that finds the family in
    a name the catalogue does not have (``deconv`` is a convolution, ``prelu`` an activation:
    the ``lu`` of "linear unit")."""

    name: str
    types: tuple[str, ...]
    marks: str


FAMILIES = (
    Family(
        "convolution",
        ("conv", "depthwise", "pointwise", "separable", "conv_transpose"),
        r"conv|depthwise|pointwise|separable",
    ),
    Family("fully connected", ("fc",), r"linear|dense|^fc|fullyconnected|innerproduct|^mlp"),
    Family(
        "normalization",
        ("batchnorm", "layernorm", "groupnorm", "instancenorm", "layer_scale"),
        r"norm|^bn|^lrn$|^gn$|^ln$|^layerscal",
    ),
    Family(
        "activation",
        (*ACTIVATIONS, "prelu"),
        r"lu\d*$|sigmoid|swish|tanh|mish|soft(max|min|plus|sign)|shrink|threshold|^act",
    ),
    Family(
        "pooling",
        ("maxpool", "avgpool", "global_avgpool", "global_maxpool", "adaptive_avgpool"),
        r"pool|^gap$|^gmp$",
    ),
    Family(
        "upsampling",
        ("upsample", "pixel_shuffle", "pixel_unshuffle"),
        r"upsampl|interpolat|resiz|^pixel|depthtospace|spacetodepth",
    ),
    Family("padding", ("pad",), r"pad"),
    Family(
        "reshaping",
        ("flatten", "channel_shuffle"),
        r"flatten|shuffle|reshape|^view$|permute",
    ),
    Family("dropout", ("dropout",), r"drop|stochasticdepth"),
    Family(
        "block",
        ("inverted_residual", "squeeze_excite", "basic", "bottleneck", "shuffle_unit"),
        r"block|residual|bottleneck|mbconv|^se$|^se(module|layer)$|squeeze|excit|^fire|incept",
    ),
    Family(
        "container",
        ("sequence", "residual", "concat"),
        r"sequen|concat|^cat$|branch|parallel|^add$|^sum$|shortcut|^skip",
    ),
)

# Other names for our types: PyTorch's and Keras's class names, the papers' abbreviations.
TYPE_NAMES: dict[str, tuple[str, ...]] = {
    "conv": ("convolution", "convbn", "convbnact", "convbnrelu", "convnormactivation"),
    "depthwise": ("dw", "dwconv", "convdw", "depthwiseconv", "dwise"),
    "pointwise": ("pw", "pwconv", "convpw", "pointwiseconv", "conv1x1"),
    "separable": (
        "sep",
        "sepconv",
        "separableconv",
        "dsconv",
        "dwsconv",
        "depthwiseseparable",
        "depthwiseseparableconv",
    ),
    "fc": ("linear", "dense", "fullyconnected", "innerproduct"),
    "batchnorm": ("bn", "batchnormalization", "syncbatchnorm"),
    "layernorm": ("ln", "layernormalization", "layernormchannelslast", "layernormchannelsfirst"),
    "groupnorm": ("gn", "groupnormalization"),
    "instancenorm": ("instancenormalization",),
    "prelu": ("parametricrelu",),
    "layer_scale": ("ls", "gamma"),
    "hswish": ("hardswish",),
    "hsigmoid": ("hardsigmoid",),
    "leaky_relu": ("lrelu", "leaky"),
    "maxpool": ("maxpooling",),
    "avgpool": ("avgpooling", "averagepool", "averagepooling", "meanpool"),
    "global_avgpool": ("gap", "globalaveragepool", "globalaveragepooling", "globalavgpooling"),
    "global_maxpool": ("gmp", "globalmaxpooling"),
    "adaptive_avgpool": ("adaptiveaveragepool", "adaptiveaveragepooling"),
    "inverted_residual": ("mbconv", "invertedbottleneck", "invertedresidualblock", "mbblock"),
    "basic": ("basicblock",),
    "bottleneck": ("bottleneckblock",),
    "squeeze_excite": (
        "se",
        "seblock",
        "semodule",
        "selayer",
        "squeezeexcitation",
        "squeezeandexcitation",
        "squeezeexcitationblock",
    ),
    "shuffle_unit": ("shuffleblock", "shufflenetunit", "shufflenetv2block"),
    "channel_shuffle": ("shuffle",),
    "conv_transpose": (
        "transposedconv",
        "transposeconv",
        "deconv",
        "deconvolution",
        "upconv",
    ),
    "upsample": ("upsampling", "interpolate", "upsamplingnearest", "upsamplingbilinear"),
    "pixel_shuffle": ("depthtospace",),
    "pixel_unshuffle": ("spacetodepth",),
    "pad": ("zeropad", "zeropadding"),
    "sequence": ("sequential", "seq"),
    "concat": ("concatenate", "cat"),
}

# Names of layers convcost does not have (yet): never read as a misspelling of one it has,
# and the ones issue 14 brings say so. A regular expression on the name, and what to add.
NOT_YET: tuple[tuple[str, str], ...] = (
    (r"[13]d$", "1-D and 3-D layers are not supported yet"),
    (
        r"^(elu|selu|celu|rrelu|glu|mish|softplus|softsign|softmax|softmin|logsoftmax|logsigmoid"
        r"|hardtanh|hardshrink|softshrink|tanhshrink|threshold|adaptivemaxpool|lppool"
        r"|fractionalmaxpool|maxunpool|localresponsenorm|lrn|identity|embedding)$",
        "",
    ),
)

# Other names for fields: PyTorch's and Keras's argument names. A name suggests a field only
# where the entry has that field (``rate`` is dilation on a conv, ``p`` on dropout).
FIELD_NAMES: dict[str, tuple[str, ...]] = {
    "cout": (
        "channels",
        "outchannels",
        "outputchannels",
        "filters",
        "numfilters",
        "outfeatures",
        "units",
        "numclasses",
        "width",
    ),
    "k": ("kernel", "kernelsize", "ksize", "kernelshape", "filtersize"),
    "stride": ("strides", "subsample"),
    "padding": ("pad", "pads"),
    "dilation": ("dilationrate", "rate", "atrous"),
    "groups": ("group", "numgroups", "cardinality"),
    "bias": ("usebias",),
    "bn": ("batchnorm", "usebn", "norm", "batchnormalization"),
    "act": ("activation", "nonlinearity", "actfn", "activationfn"),
    "multiplier": ("depthmultiplier", "channelmultiplier"),
    "t": ("expandratio", "expansionratio", "expansion", "expand", "expratio", "ratio"),
    "exp": ("expand", "expandedchannels", "expchannels", "hidden", "hiddendim", "midchannels"),
    "se": ("seratio", "squeeze", "squeezeratio", "squeezeexcite"),
    "ratio": ("se", "seratio", "squeezeratio", "reductionratio", "rdratio"),
    "squeeze": ("squeezechannels", "sechannels", "reducedchannels", "rdchannels"),
    "gate": ("scaleactivation", "gateact", "gateactivation", "gatefn"),
    "width_per_group": ("basewidth", "bottleneckwidth"),
    "elementwise_affine": ("affine", "center"),
    "affine": ("elementwiseaffine", "center"),
    "eps": ("epsilon",),
    "num_parameters": ("numparams", "channels", "numchannels"),
    "ceil_mode": ("ceil",),
    "p": ("rate", "droprate", "dropout", "prob"),
    "size": ("outputsize",),
    "repeat": ("repeats", "times", "numblocks", "numlayers"),
    "output": ("outshape", "outputshape"),
}

# Other names for the top-level keys.
TOP_LEVEL_NAMES: dict[str, tuple[str, ...]] = {
    "name": ("model", "network", "title"),
    "source": ("paper", "reference", "ref", "url", "citation"),
    "input": ("inputs", "inputshape", "inputsize", "shape"),
    "layers": ("blocks", "architecture", "body", "net"),
    "defaults": ("default",),
}


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
    output: tuple[int, ...] | None = None
    scale: bool | str | None = None
    line: int | None = None

    @property
    def prefix(self) -> str:
        return CATALOGUE[self.type].prefix


@dataclass(frozen=True, slots=True)
class Spec:
    """A whole network as written: input shape, width rule and the ordered entries."""

    name: str
    input: tuple[int, ...]  # [H, W, C]; [L, C] or [D, H, W, C] (issue 14)
    layers: tuple[LayerSpec, ...]
    width_rule: str = "int"
    source: str | None = None
    path: str | None = None
    defaults: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
