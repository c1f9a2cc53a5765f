"""Device profiles: the peak compute and memory bandwidth a roofline needs, from YAML.

A profile is a YAML file (``configs/devices/NAME.yaml`` for the shipped ones, docs/hardware.md
for their sources)::

    name: jetson-nano
    description: NVIDIA Jetson Nano (4 GB), 128 Maxwell CUDA cores at 921.6 MHz
    peak_gflops: {fp32: 235.9, fp16: 471.9}   # dense peak, FLOP/s / 1e9 (int8: GOP/s)
    bandwidth_gbs: 25.6                      # DRAM bandwidth, bytes/s / 1e9
    overhead_us: 0                           # optional: fixed time per row, microseconds:
                                             # a number (every kind) or {depthwise: 80, ...}
    efficiency: {depthwise: 0.25}            # optional: fraction of the peak, per row kind
    memory_efficiency: {elementwise: 0.8}    # optional: fraction of the bandwidth
    weight_efficiency: {conv: 0.15}          # optional: the same for a row's weights alone
    sparse_gflops: {fp16: 943.8}             # optional, documentation only: never used

Every number is read exactly from its text (``235.9`` is ``Fraction(2359, 10)``), never
through a float. It is read as specs are: the bounded file reader and the hardened YAML tree
of ``convcost.spec``, with one-line errors naming the file, the line and the field. A NAME
is a shipped profile only where nothing of that name is on disk (``spec.zoo.find``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from convcost.errors import ConvcostError
from convcost.spec import validators as V
from convcost.spec import yamltree as Y
from convcost.spec.reader import read_text
from convcost.spec.wording import suggest
from convcost.spec.zoo import find

# The data types a profile may give a peak for (analysis.memory.DTYPES has their bytes).
DTYPES = ("fp32", "fp16", "bf16", "int8")
# The row kinds an efficiency may name (analysis.roofline.row_kind sorts rows into them).
ROW_KINDS = (
    "conv",
    "pointwise",
    "depthwise",
    "grouped",
    "conv_transpose",
    "linear",
    "pool",
    "global_pool",
    "elementwise",
)
GIGA = 10**9
MICRO = Fraction(1, 10**6)
# A number is at most this long, checked before Fraction sees it ("1e100000000" would
# build an integer of 10^8 digits).
_MAX_NUMBER_TEXT = 32
_NUMBER = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE](?P<exp>[+-]?[0-9]{1,2}))?")
_FIELDS = (
    "name",
    "description",
    "peak_gflops",
    "bandwidth_gbs",
    "overhead_us",
    "efficiency",
    "memory_efficiency",
    "weight_efficiency",
    "sparse_gflops",
)
_REQUIRED = ("name", "description", "peak_gflops", "bandwidth_gbs")


@dataclass(frozen=True, slots=True)
class Device:
    """One device: dense peaks per data type (GFLOP/s; GOP/s for int8), DRAM bandwidth
    (GB/s), a fixed overhead per row (us: one number for every row kind, or one per kind, 0
    for a kind not named) and the fractions of peak and bandwidth each row kind attains (1
    where not given: a datasheet profile is a pure roofline). All exact."""

    name: str
    description: str
    peak_gflops: Mapping[str, Fraction]
    bandwidth_gbs: Fraction
    overhead_us: Fraction | Mapping[str, Fraction] = Fraction(0)
    efficiency: Mapping[str, Fraction] = field(default_factory=dict)
    memory_efficiency: Mapping[str, Fraction] = field(default_factory=dict)
    sparse_gflops: Mapping[str, Fraction] = field(default_factory=dict)
    # the fraction of the bandwidth at which a row reads its weights, where it differs from
    # memory_efficiency (a CPU library that repacks a convolution's weights on every call)
    weight_efficiency: Mapping[str, Fraction] = field(default_factory=dict)

    def peak(self, dtype: str) -> Fraction:
        """The dense peak at ``dtype`` in FLOP/s; an error naming --dtype and the data types
        the device has where it has none at ``dtype``."""
        if dtype not in self.peak_gflops:
            raise ConvcostError(
                f"{self.name} has no peak for {dtype}; it has {', '.join(self.peak_gflops)}",
                field="--dtype",
            )
        return self.peak_gflops[dtype] * GIGA

    @property
    def bandwidth(self) -> Fraction:
        """DRAM bandwidth in bytes/s."""
        return self.bandwidth_gbs * GIGA

    def overhead(self, kind: str) -> Fraction:
        """The fixed time of a row of ``kind`` in seconds: ``overhead_us``, or its entry for
        ``kind`` where it is a mapping (0 where the kind has none)."""
        if isinstance(self.overhead_us, Fraction):
            return self.overhead_us * MICRO
        return self.overhead_us.get(kind, Fraction(0)) * MICRO

    def compute_rate(self, dtype: str, kind: str) -> Fraction:
        """FLOP/s a row of ``kind`` attains at most: peak x efficiency[kind]."""
        return self.peak(dtype) * self.efficiency.get(kind, Fraction(1))

    def memory_rate(self, kind: str) -> Fraction:
        """Bytes/s a row of ``kind`` moves at most: bandwidth x memory_efficiency[kind]."""
        return self.bandwidth * self.memory_efficiency.get(kind, Fraction(1))

    def weight_rate(self, kind: str) -> Fraction:
        """Bytes/s at which a row of ``kind`` reads its weights: bandwidth x
        weight_efficiency[kind], its memory_efficiency where the profile gives none."""
        if kind in self.weight_efficiency:
            return self.bandwidth * self.weight_efficiency[kind]
        return self.memory_rate(kind)

    def ridge(self, dtype: str, kind: str = "conv") -> Fraction:
        """The ridge point in FLOPs per byte: compute_rate / memory_rate (Williams et al.
        2009); a row of lower intensity is memory-bound."""
        return self.compute_rate(dtype, kind) / self.memory_rate(kind)


def _devices_dir() -> Path:
    """The shipped profiles: ``configs/devices/`` (package data ``convcost/configs/devices``)."""
    return Path(__file__).resolve().parent / "configs" / "devices"


def device_names() -> list[str]:
    """The names of the shipped profiles, sorted."""
    return sorted(p.stem for p in _devices_dir().glob("*.yaml"))


def load_device(device: str | os.PathLike[str]) -> Device:
    """A profile: the file ``device`` names, or a shipped one by name where nothing of that
    name is on disk (``jetson-nano``)."""
    if isinstance(device, os.PathLike):
        device = os.fspath(device)
    if not isinstance(device, str) or not device.strip():
        raise ConvcostError(
            "give a device file or the name of a shipped one (convcost devices)", field="device"
        )
    path, shown = find(device, _devices_dir(), "device")
    return loads_device(read_text(path, shown), path=shown)


def loads_device(text: str, *, path: str | None = None) -> Device:
    """A profile from its YAML text; ``path`` names it in error messages."""
    ctx = V.Context(path)
    if "\x00" in text:
        raise ctx.error("not a YAML text (contains NUL bytes)")
    try:
        root = Y.compose(text)
    except ConvcostError as error:
        # the composer's advice on anchors and tags is for specs ('defaults', 'n')
        error.message = error.message.split(" in a spec")[0].replace("a spec", "a profile")
        raise error.located(path=path) from None
    if not isinstance(root, Y.Mapping):
        got = "an empty file" if root is None else V.describe(root)
        raise ctx.error(
            f"a device profile is a mapping with {', '.join(_REQUIRED)}; got {got}",
            root,
        )
    values: dict[str, Y.Node] = {}
    for key, key_node, value in V.mapping_items(root, ctx, None):
        if key not in _FIELDS:
            raise ctx.error(
                f"unknown field{suggest(key, list(_FIELDS))} (fields: {', '.join(_FIELDS)})",
                key_node,
                field=key,
            )
        values[key] = value
    for key in _REQUIRED:
        if key not in values:
            raise ctx.error(f"missing; a device profile needs {', '.join(_REQUIRED)}", root,
                            field=key)  # fmt: skip
    peaks = _mapping(values["peak_gflops"], ctx, "peak_gflops", DTYPES, _positive)
    if not peaks:
        raise ctx.error("give the peak of at least one of " + ", ".join(DTYPES),
                        values["peak_gflops"], field="peak_gflops")  # fmt: skip
    return Device(
        name=_text(values["name"], ctx, "name"),
        description=_text(values["description"], ctx, "description"),
        peak_gflops=peaks,
        bandwidth_gbs=_positive(values["bandwidth_gbs"], ctx, "bandwidth_gbs"),
        overhead_us=_overhead(values.get("overhead_us"), ctx),
        efficiency=_mapping(values.get("efficiency"), ctx, "efficiency", ROW_KINDS, _fraction),
        memory_efficiency=_mapping(
            values.get("memory_efficiency"), ctx, "memory_efficiency", ROW_KINDS, _fraction
        ),
        sparse_gflops=_mapping(
            values.get("sparse_gflops"), ctx, "sparse_gflops", DTYPES, _positive
        ),
        weight_efficiency=_mapping(
            values.get("weight_efficiency"), ctx, "weight_efficiency", ROW_KINDS, _fraction
        ),
    )


def _text(node: Y.Node, ctx: V.Context, name: str) -> str:
    if not isinstance(node, Y.Scalar) or node.tag != Y.STR or not node.value.strip():
        raise ctx.error(f"expected text, got {V.describe(node)}", node, field=name)
    if len(node.value) > 200 or not node.value.isprintable():
        raise ctx.error("expected one printable line of at most 200 characters", node,
                        field=name)  # fmt: skip
    return node.value


def _number(node: Y.Node, ctx: V.Context, name: str) -> Fraction:
    """The exact value of a plain number (``235.9``, ``25``, ``1.5e3``)."""
    text = node.value.strip() if isinstance(node, Y.Scalar) else ""
    plain = isinstance(node, Y.Scalar) and not node.style
    if plain and text.startswith("-") and _NUMBER.fullmatch(text[1:]):
        raise ctx.error(f"must be positive, got {text}", node, field=name)
    match = _NUMBER.fullmatch(text) if plain and len(text) <= _MAX_NUMBER_TEXT else None
    if match is None:
        raise ctx.error(f"expected a number, got {V.describe(node)}", node, field=name)
    return Fraction(text)


def _positive(node: Y.Node, ctx: V.Context, name: str) -> Fraction:
    value = _number(node, ctx, name)
    if value <= 0:
        raise ctx.error(f"must be positive, got {_shown(value)}", node, field=name)
    return value


def _fraction(node: Y.Node, ctx: V.Context, name: str) -> Fraction:
    """An efficiency: more than 0 and at most 1."""
    value = _number(node, ctx, name)
    if not 0 < value <= 1:
        raise ctx.error(
            f"an efficiency is more than 0 and at most 1, got {_shown(value)}",
            node,
            field=name,
        )
    return value


def _shown(value: Fraction) -> str:
    """``value`` as a decimal (exact where it has a short one)."""
    return str(value.numerator) if value.denominator == 1 else f"{float(value):g}"


def _overhead(node: Y.Node | None, ctx: V.Context) -> Fraction | dict[str, Fraction]:
    """``overhead_us``: a number of microseconds (every row kind), or a mapping of row kinds
    to microseconds; each 0 or more."""
    if node is None:
        return Fraction(0)
    if isinstance(node, Y.Mapping):
        return _mapping(node, ctx, "overhead_us", ROW_KINDS, _time)
    if not isinstance(node, Y.Scalar):
        raise ctx.error(
            f"expected microseconds (a number, or a mapping such as {{depthwise: 80}}), got "
            f"{V.describe(node)}",
            node,
            field="overhead_us",
        )
    return _time(node, ctx, "overhead_us")


def _time(node: Y.Node, ctx: V.Context, name: str) -> Fraction:
    """A time: 0 or more."""
    if isinstance(node, Y.Scalar) and not node.style and node.value.strip() in ("0", "0.0"):
        return Fraction(0)
    return _positive(node, ctx, name)


def _mapping(
    node: Y.Node | None,
    ctx: V.Context,
    name: str,
    keys: tuple[str, ...],
    read: Callable[[Y.Node, V.Context, str], Fraction],
) -> dict[str, Fraction]:
    """``{key: value}`` with every key one of ``keys``, each value checked by ``read``."""
    if node is None:
        return {}
    if not isinstance(node, Y.Mapping):
        raise ctx.error(f"expected a mapping such as {{{keys[0]}: 1}}, got {V.describe(node)}",
                        node, field=name)  # fmt: skip
    checked: dict[str, Fraction] = {}
    for key, key_node, value in V.mapping_items(node, ctx, None):
        where = f"{name}.{key}"
        if key not in keys:
            raise ctx.error(
                f"unknown {'data type' if keys is DTYPES else 'row kind'}"
                f"{suggest(key, list(keys))} (known: {', '.join(keys)})",
                key_node,
                field=where,
            )
        checked[key] = read(value, ctx, where)
    return checked
