"""Suggestions ("did you mean") name the same thing or nothing (issue 13, item 5).

An unknown name is corrected only when it is the same name written another way (case,
separators, PyTorch's ``2d``), another name of the same thing (``dwconv``, ``kernel_size``) or a
slip of the keyboard (``spec.wording.is_typo``); a word built from ours (``deconv``, ``prelu``,
``conv3d``, ``se``) is another thing, and the message lists what its family has instead. The
corpus (``cases/``) pins whole messages; these tests pin the rule over many more words.
"""

from __future__ import annotations

import re

import pytest

from convcost import spec
from convcost.errors import ConvcostError
from convcost.spec import CATALOGUE
from convcost.spec.catalogue import FAMILIES, FIELD_NAMES, NOT_YET, TOP_LEVEL_NAMES, TYPE_NAMES
from convcost.spec.wording import is_typo, near, normal


def _message(entry: str, top: str = "") -> str:
    text = f"input: [16, 16, 8]\n{top}layers:\n  - {entry}\n"
    with pytest.raises(ConvcostError) as caught:
        spec.loads(text, path="x.yaml")
    message = str(caught.value)
    assert "\n" not in message
    return message


# --- the rule -------------------------------------------------------------------------------

SLIPS = [
    ("rleu", "relu"),
    ("depthwsie", "depthwise"),
    ("seperable", "separable"),
    ("bottlneck", "bottleneck"),
    ("strid", "stride"),
    ("strides", "stride"),
    ("biass", "bias"),
    ("chanels", "channels"),
    ("kernal", "kernel"),
    ("expnd", "expand"),
    ("dialation", "dilation"),
    ("sane", "same"),
    ("layer", "layers"),
    ("mobilnetv1", "mobilenetv1"),
]
OTHER_WORDS = [
    ("deconv", "conv"),  # a prefix makes another word
    ("prelu", "relu"),
    ("hswish", "swish"),
    ("hsigmoid", "sigmoid"),
    ("se", "s"),  # one letter is half of a two-letter word
    ("gelu6", "gelu"),  # a number names a variant
    ("relu6", "relu"),
    ("conv3d", "conv"),
    ("conv1d", "conv"),
    ("maxpool3d", "maxpool"),
    ("mobilenetv4", "mobilenetv1"),
    ("resnet5", "resnet50"),
    ("convtranspose", "conv"),  # a word built on ours
    ("sepconv", "conv"),
    ("pixelshuffle", "channelshuffle"),
    ("globalmaxpool", "globalavgpool"),
    ("adaptivemaxpool", "adaptiveavgpool"),
    ("exp", "expnd"),
]


@pytest.mark.parametrize(("word", "meant"), SLIPS)
def test_slips_of_the_keyboard_are_typos(word: str, meant: str) -> None:
    assert is_typo(word, meant)


@pytest.mark.parametrize(("word", "other"), OTHER_WORDS)
def test_words_built_from_ours_are_not_typos(word: str, other: str) -> None:
    assert not is_typo(word, other)
    assert not is_typo(other, word)


def test_near_prefers_the_same_name_written_another_way() -> None:
    assert near("Leaky-ReLU", ["relu", "leaky_relu"]) == ["leaky_relu"]
    assert near("mobilenet-v2", ["mobilenet_v1", "mobilenet_v2"]) == ["mobilenet_v2"]
    assert near("selu", ["silu"], known=["selu"]) == []  # a real layer of its own
    assert near("kernel_size", ["k"], {"kernelsize": ("k",)}) == ["k"]
    assert near("wibble", ["relu"]) == []


# --- unknown types --------------------------------------------------------------------------

_FAMILY = {family.name: family for family in FAMILIES}
NOT_OURS = [
    ("ConvTranspose3d", "convolution"),
    ("conv1d", "convolution"),
    ("conv3d", "convolution"),
    ("crelu", "activation"),
    ("selu", "activation"),
    ("elu", "activation"),
    ("glu", "activation"),
    ("rrelu", "activation"),
    ("gelu6", "activation"),
    ("relu5", "activation"),
    ("mish", "activation"),
    ("maxpool3d", "pooling"),
    ("avgpool1d", "pooling"),
    ("adaptive_maxpool", "pooling"),
    ("resize", "upsampling"),
    ("upsample3d", "upsampling"),
    ("ReflectionPad2d", "padding"),
    ("replication_pad", "padding"),
    ("rmsnorm", "normalization"),
    ("LocalResponseNorm", "normalization"),
    ("batchnorm3d", "normalization"),
    ("droppath", "dropout"),
    ("fused_mbconv", "block"),
]


@pytest.mark.parametrize(("word", "family"), NOT_OURS)
def test_a_type_that_is_not_ours_lists_its_family(word: str, family: str) -> None:
    message = _message(word)
    assert "did you mean" not in message
    types = _FAMILY[family].types
    assert message.endswith(f"; {family} types: {', '.join(types)}"), message
    assert message.startswith(f"x.yaml:3: unknown layer type '{word}'; ")


@pytest.mark.parametrize(
    ("word", "note"),
    [
        ("conv1d", "1-D and 3-D layers are not supported yet"),
    ],
)
def test_a_type_that_issue_14_brings_says_so(word: str, note: str) -> None:
    assert f"; {note}; " in _message(word)


SAME_THING = [
    ("Conv2d", "conv"),
    ("conv2d", "conv"),
    ("CONV", "conv"),
    ("dwconv", "depthwise"),
    ("depthwise_conv", "depthwise"),
    ("sep_conv", "separable"),
    ("SeparableConv2D", "separable"),
    ("pwconv", "pointwise"),
    ("linear", "fc"),
    ("Dense", "fc"),
    ("BatchNorm2d", "batchnorm"),
    ("bn", "batchnorm"),
    ("hardswish", "hswish"),
    ("h_swish", "hswish"),
    ("LeakyReLU", "leaky_relu"),
    ("MaxPool2d", "maxpool"),
    ("avg_pool", "avgpool"),
    ("GlobalAveragePooling2D", "global_avgpool"),
    ("AdaptiveAvgPool2d", "adaptive_avgpool"),
    ("Dropout2d", "dropout"),
    ("ChannelShuffle", "channel_shuffle"),
    ("mbconv", "inverted_residual"),
    ("BasicBlock", "basic"),
    ("deconv", "conv_transpose"),
    ("ConvTranspose2d", "conv_transpose"),
    ("Conv2DTranspose", "conv_transpose"),
    ("UpsamplingBilinear2d", "upsample"),
    ("UpSampling2D", "upsample"),
    ("PixelShuffle", "pixel_shuffle"),
    ("depth_to_space", "pixel_shuffle"),
    ("ZeroPad2d", "pad"),
    ("ZeroPadding2D", "pad"),
    ("se", "squeeze_excite"),
    ("SqueezeExcitation", "squeeze_excite"),
    ("SEModule", "squeeze_excite"),
    ("Sequential", "sequence"),
    ("concatenate", "concat"),
    ("depthwsie", "depthwise"),
    ("rleu", "relu"),
    ("bottlneck", "bottleneck"),
    ("invertedresidual", "inverted_residual"),
]


@pytest.mark.parametrize(("word", "meant"), SAME_THING)
def test_the_same_thing_by_another_name_is_suggested(word: str, meant: str) -> None:
    assert _message(word) == f"x.yaml:3: unknown layer type '{word}'; did you mean '{meant}'?"


def test_a_name_of_no_family_lists_every_type_by_family() -> None:
    message = _message("wibble")
    assert "did you mean" not in message
    listed = set(re.findall(r"[a-z_0-9]+", message.split("; the types are ", 1)[1]))
    assert set(CATALOGUE) <= listed


# --- unknown fields -------------------------------------------------------------------------

FIELDS = [
    ("conv", "strid", "'stride'"),
    ("conv", "strides", "'stride'"),
    ("conv", "kernal", "'k'"),
    ("conv", "kernel_size", "'k'"),
    ("conv", "chanels", "'cout'"),
    ("conv", "out_channels", "'cout'"),
    ("conv", "dilation_rate", "'dilation'"),
    ("conv", "rate", "'dilation'"),
    ("conv", "use_bias", "'bias'"),
    ("conv", "activation", "'act'"),
    ("conv", "paddding", "'padding'"),
    ("dropout", "rate", "'p'"),
    ("inverted_residual", "expnd", "'t' or 'exp'"),
    ("inverted_residual", "expand_ratio", "'t'"),
    ("inverted_residual", "expansion", "'t'"),
    ("bottleneck", "expnsion", "'expansion'"),
    ("bottleneck", "cardinality", "'groups'"),
    ("bottleneck", "base_width", "'width_per_group'"),
    ("squeeze_excite", "se_ratio", "'ratio'"),
    ("squeeze_excite", "squeeze_channels", "'squeeze'"),
    ("squeeze_excite", "scale_activation", "'gate'"),
    ("depthwise", "depth_multiplier", "'multiplier'"),
    ("adaptive_avgpool", "output_size", "'size'"),
]


@pytest.mark.parametrize(("kind", "key", "meant"), FIELDS)
def test_a_field_by_another_name_or_misspelt_is_suggested(kind: str, key: str, meant: str) -> None:
    required = "c: 8, t: 2, " if kind == "inverted_residual" else "c: 8, " if kind == "conv" else ""
    message = _message(f"{kind}: {{{required}{key}: 1}}")
    assert message.endswith(f": {key}: unknown field for '{kind}'; did you mean {meant}?"), message


@pytest.mark.parametrize(
    ("kind", "key", "elsewhere"),
    [
        ("conv", "se", "inverted_residual"),
        ("conv", "multiplier", "depthwise"),
        ("depthwise", "groups", "conv, groupnorm, channel_shuffle and 2 more"),
        ("pointwise", "k", "conv, depthwise, separable and 4 more"),
        ("conv", "exp", "inverted_residual"),
        ("fc", "s", "conv, depthwise, pointwise and 8 more"),
    ],
)
def test_a_field_of_other_types_says_where_it_belongs(kind: str, key: str, elsewhere: str) -> None:
    required = "c: 8, " if kind in ("conv", "pointwise", "fc") else ""
    message = _message(f"{kind}: {{{required}{key}: 1}}")
    assert "did you mean" not in message
    assert f"; '{key}' is a field of {elsewhere}; '{kind}' takes " in message, message
    assert message.endswith("; every entry takes name, repeat (n), output, scale")


def test_an_unknown_field_lists_the_fields_of_its_type() -> None:
    message = _message("conv: {c: 8, wibble: 1}")
    assert message == (
        "x.yaml:3: layer 'conv1': wibble: unknown field for 'conv'; 'conv' takes cout (c), t, k, "
        "stride (s), padding, dilation, groups, bias, bn, act; every entry takes name, "
        "repeat (n), output, scale"
    )


def test_defaults_get_the_same_help() -> None:
    assert _message("relu", "defaults: {conv: {kernel_size: 3}}\n").endswith(
        "defaults: 'kernel_size' cannot be a default of 'conv'; did you mean 'k'?"
    )
    assert _message("relu", "defaults: {conv: {se: 1}}\n").endswith(
        "defaults: 'se' cannot be a default of 'conv'; 'se' is a field of inverted_residual; "
        "defaults of 'conv' can set cout (c), t, k, stride (s), padding, dilation, groups, bias, "
        "bn, act, scale"
    )
    assert "did you mean" not in _message("relu", "defaults: {conv_lstm: {k: 3}}\n")
    assert _message("relu", "defaults: {deconv: {k: 3}}\n").endswith(
        "unknown layer type 'deconv'; did you mean 'conv_transpose'?"
    )


@pytest.mark.parametrize(
    ("act", "hint"),
    [
        ("hardswish", "; did you mean 'hswish'?"),
        ("Relu6", "; did you mean 'relu6'?"),
        (
            "prelu",
            "; PReLU has parameters, so it is an entry of its own: write act: none and a "
            "'prelu' entry after this one",
        ),
        ("selu", ""),
        ("gelu6", ""),
        ("elu", ""),
    ],
)
def test_an_activation_value_follows_the_same_rule(act: str, hint: str) -> None:
    message = _message(f"conv: {{c: 8, act: {act}}}")
    assert message.endswith(f"got '{act}'{hint}"), message


@pytest.mark.parametrize(
    ("key", "hint"),
    [
        ("layer", "; did you mean 'layers'?"),
        ("input_shape", "; did you mean 'input'?"),
        ("optimizer", "; a spec has name, source, input, width_rule, defaults, layers"),
    ],
)
def test_top_level_keys(key: str, hint: str) -> None:
    message = _message("relu", f"{key}: 1\n")
    assert message == f"x.yaml:2: {key}: unknown top-level key{hint}"


@pytest.mark.parametrize("typed", ["mobilenet_v4", "resnet", "resnet5", "mobilenet"])
def test_a_shipped_name_is_not_guessed_across_versions(typed: str) -> None:
    with pytest.raises(ConvcostError) as caught:
        spec.resolve(typed)
    assert "did you mean" not in str(caught.value)
    assert "(shipped: " in str(caught.value)


def test_huge_names_are_answered_quickly() -> None:
    """A long key must not meet a quadratic edit distance (is_typo compares lengths first)."""
    word = "conv" + "x" * 200_000
    assert near(word, CATALOGUE) == []
    assert near(word, ["conv"], {"convx": ("conv",)}, [word]) == []
    message = _message(word)
    assert "'convxxxxxxxx" in message and "..." in message and len(message) < 400
    field = _message(f"conv:\n      c: 8\n      ? {word}\n      : 1")
    assert "unknown field for 'conv'" in field and len(field) < 400


# --- the vocabulary is consistent with the catalogue -----------------------------------------


def test_every_type_is_in_exactly_one_family() -> None:
    placed = [kind for family in FAMILIES for kind in family.types]
    assert sorted(placed) == sorted(CATALOGUE)


def test_other_names_name_what_exists_and_shadow_nothing() -> None:
    ours = {normal(kind) for kind in CATALOGUE}
    assert set(TYPE_NAMES) <= set(CATALOGUE)
    for names in TYPE_NAMES.values():
        for name in names:
            assert name == normal(name) and "2d" not in name, name
            assert name not in ours, name
            assert not any(re.search(pattern, name) for pattern, _ in NOT_YET), name
    fields = {key for entry in CATALOGUE.values() for key in entry.fields}
    assert set(FIELD_NAMES) <= fields | {"repeat", "output"}
    for entry in CATALOGUE.values():  # another type's field may be another name (expansion)
        for key in (*entry.fields, "repeat", "output"):
            for name in FIELD_NAMES.get(key, ()):
                assert name == normal(name) and name not in entry.fields, (entry.name, name)
    assert set(TOP_LEVEL_NAMES) <= set(spec.TOP_LEVEL)


def test_what_issue_14_brings_is_not_catalogued_yet() -> None:
    """When issue 14 adds a type, the note that says it is missing must go (this fails)."""
    for pattern, note in NOT_YET:
        for kind in CATALOGUE:
            assert not re.search(pattern, normal(kind)), (kind, note)
