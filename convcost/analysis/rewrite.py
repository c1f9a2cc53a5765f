"""What a network would cost with full convolutions instead of separable ones, or the reverse
(issue 15; MobileNet, Howard et al. 2017, Table 4).

A rewrite step, not a second walker: :func:`rewriter` gives a hook that
:func:`convcost.network.walk` applies to every sequence of primitive layers before it costs
them, so a unit inside any block (a separable entry, an inverted residual, a Xception block)
is found.

- ``standard``: a depthwise-separable unit, a depthwise KxK convolution (``groups == cout``,
  a kernel larger than 1) directly followed, after its own BatchNorm and activation if it has
  them, by a pointwise 1x1 convolution (groups 1, stride 1), becomes one KxK convolution from
  the depthwise's input channels to the pointwise's output channels, with the depthwise's
  kernel, stride, padding and dilation and the pointwise's bias and name. The depthwise's
  BatchNorm and activation go with it; the pointwise's stay. This is MobileNet's "Conv
  MobileNet" of Table 4: a full convolution followed by BN and ReLU where each unit was.
- ``separable``: a full KxK convolution (groups 1, a kernel larger than 1) becomes a depthwise
  KxK convolution (stride, padding, dilation and no bias, named ``<name>.dw``) followed by
  copies of the convolution's own BatchNorm and activation (as MobileNet's unit: dw, BN, ReLU,
  pw, BN, ReLU), then a pointwise 1x1 convolution to the same output channels with the
  convolution's bias (``<name>.pw``), then the convolution's BatchNorm and activation. The
  stem, a convolution reading the network's input, is kept full, as MobileNet and Xception
  keep theirs; so ``standard`` then ``separable`` gives back the original costs.

A depthwise entry followed by a pointwise entry (two entries, not one block) is not a unit:
each entry is expanded on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal

from convcost import layers as L
from convcost.blocks import Node, Prim
from convcost.conventions import EXACT, Convention
from convcost.errors import ConvcostError
from convcost.formulas import Count
from convcost.layers import LayerKind, Shape
from convcost.network import Report, Rewrite, Variant, walk
from convcost.spec import Spec
from convcost.tables import Column, Kind, Table

Target = Literal["standard", "separable"]
TARGETS: tuple[Target, ...] = ("standard", "separable")

# Layers between a convolution and the next that keep the channels and go with the unit.
_FOLLOWERS = (LayerKind.BATCHNORM, LayerKind.ACTIVATION)
# Layers whose output channels are their input's.
_SAME_CHANNELS = frozenset(
    {
        LayerKind.BATCHNORM,
        LayerKind.ACTIVATION,
        LayerKind.MAXPOOL,
        LayerKind.AVGPOOL,
        LayerKind.DROPOUT,
    }
)


@dataclass(frozen=True, slots=True)
class Unit:
    """One unit rewritten: the full names of its rows in the separable form (depthwise, its
    BatchNorm and activation, pointwise) and in the standard form (the full convolution)."""

    name: str
    separable: tuple[str, ...]
    standard: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class UnitCost:
    """A unit's params and MACs in both forms; ``saving`` is what the separable form saves."""

    name: str
    separable_params: Count
    standard_params: Count
    separable_macs: Count
    standard_macs: Count

    @property
    def saving(self) -> Count:
        return self.standard_macs - self.separable_macs

    @property
    def ratio(self) -> Fraction:
        """Separable over standard MACs: the paper's reduction, 1/N + 1/K^2 for a unit."""
        return Fraction(self.separable_macs, self.standard_macs)


class Rewriter:
    """The hook ``walk(spec, rewrite=...)`` takes: swaps units toward ``target`` and records
    each one it swapped in ``units``. Use a fresh one for each walk."""

    def __init__(self, target: Target) -> None:
        if target not in TARGETS:
            raise ConvcostError(
                f"expected one of {', '.join(TARGETS)}, got {str(target)[:40]!r}", field="as"
            )
        self.target: Target = target
        self.units: list[Unit] = []

    def __call__(
        self, nodes: Sequence[Node], scope: str, shape: Shape, at_input: bool
    ) -> Sequence[Node]:
        if self.target == "standard":
            return self._standard(list(nodes), scope)
        return self._separable(list(nodes), scope, shape[-1], at_input)

    def _standard(self, nodes: list[Node], scope: str) -> list[Node]:
        out: list[Node] = []
        i = 0
        while i < len(nodes):
            node = nodes[i]
            if isinstance(node, Prim) and _depthwise(node.layer):
                j = i + 1
                while j < len(nodes) and _follower(nodes[j]):
                    j += 1
                pw = nodes[j] if j < len(nodes) else None
                if isinstance(pw, Prim) and _pointwise(pw.layer):
                    dw = node.layer
                    assert isinstance(dw, L.Conv2d) and isinstance(pw.layer, L.Conv2d)
                    full = L.Conv2d(
                        cout=pw.layer.cout,
                        k=dw.k,
                        stride=dw.stride,
                        padding=dw.padding,
                        dilation=dw.dilation,
                        bias=pw.layer.bias,
                    )
                    out.append(Prim(pw.name, full))
                    unit = [p for p in nodes[i : j + 1] if isinstance(p, Prim)]
                    separable = tuple(_join(scope, p.name) for p in unit)
                    self.units.append(
                        Unit(_join(scope, pw.name), separable, (_join(scope, pw.name),))
                    )
                    i = j + 1
                    continue
            out.append(node)
            i += 1
        return out

    def _separable(self, nodes: list[Node], scope: str, c: object, at_input: bool) -> list[Node]:
        out: list[Node] = []
        channels = c if isinstance(c, int) else None
        for index, node in enumerate(nodes):
            stem = at_input and index == 0
            if not isinstance(node, Prim):
                out.append(node)
                channels = None
                continue
            layer = node.layer
            if channels is not None and not stem and _full(layer):
                assert isinstance(layer, L.Conv2d)
                follow: list[Prim] = []
                for after in nodes[index + 1 :]:
                    if not _follower(after):
                        break
                    assert isinstance(after, Prim)
                    follow.append(after)
                dw_name, pw_name = _sub(node.name, "dw"), _sub(node.name, "pw")
                dw = L.Conv2d(
                    cout=channels,
                    k=layer.k,
                    stride=layer.stride,
                    padding=layer.padding,
                    dilation=layer.dilation,
                    groups=channels,
                )
                copies = [Prim(_sub(dw_name, _suffix(node.name, p.name)), p.layer) for p in follow]
                pw = L.Conv2d(
                    cout=layer.cout, k=_ones(layer.k), padding=_zeros(layer.k), bias=layer.bias
                )
                out += [Prim(dw_name, dw), *copies, Prim(pw_name, pw)]
                separable = tuple(_join(scope, p.name) for p in [Prim(dw_name, dw), *copies])
                self.units.append(
                    Unit(
                        _join(scope, node.name),
                        (*separable, _join(scope, pw_name)),
                        (_join(scope, node.name),),
                    )
                )
            else:
                out.append(node)
            channels = _channels(layer, channels)
        return out


def compose(*steps: Rewriter) -> Rewrite:
    """The hooks applied one after another (``standard`` then ``separable``: a round trip)."""

    def rewrite(nodes: Sequence[Node], scope: str, shape: Shape, at_input: bool) -> Sequence[Node]:
        for step in steps:
            nodes = step(nodes, scope, shape, at_input)
        return nodes

    return rewrite


@dataclass(frozen=True, slots=True)
class Conversion:
    """A network as written (``before``) and rewritten toward ``target`` (``after``), with
    every unit swapped and its costs in both forms."""

    target: Target
    before: Report
    after: Report
    units: tuple[UnitCost, ...] = field(default_factory=tuple)

    def notes(self) -> list[str]:
        """What the units table counts, or that there was nothing to rewrite."""
        if not self.units:
            if self.target == "standard":
                return ["no depthwise-separable unit to rewrite: the network is as written"]
            return [
                "no full KxK convolution to rewrite (the stem, on the input, stays full): "
                "the network is as written"
            ]
        return [
            "separable: the depthwise, its BatchNorm and activation, and the pointwise; "
            "standard: the full convolution; the BatchNorm and activation after the pair "
            "are in neither",
            "saving = standard - separable MACs; ratio = separable / standard MACs",
        ]

    def units_table(self) -> Table:
        """Each unit: params and MACs separable (sep) and standard (std), the ratio and the
        saving."""
        rows = self.units

        def total(attr: str) -> Count:
            value: Count = 0
            for row in rows:
                value += getattr(row, attr)
            return value

        sep, std = total("separable_macs"), total("standard_macs")
        return Table(
            "units",
            f"{len(rows)} units as {self.target}",
            [
                Column("unit", "Unit", Kind.TEXT, lambda u: u.name, "total"),
                Column(
                    "sep_params",
                    "Sep params",
                    Kind.COUNT,
                    lambda u: u.separable_params,
                    total("separable_params"),
                ),
                Column(
                    "std_params",
                    "Std params",
                    Kind.COUNT,
                    lambda u: u.standard_params,
                    total("standard_params"),
                ),
                Column(
                    "sep_macs",
                    "Sep MACs",
                    Kind.COUNT,
                    lambda u: u.separable_macs,
                    sep,
                ),
                Column("std_macs", "Std MACs", Kind.COUNT, lambda u: u.standard_macs, std),
                Column(
                    "ratio",
                    "Ratio",
                    Kind.RATIO,
                    lambda u: u.ratio,
                    Fraction(sep, std) if std else "",
                ),
                Column("saving", "Saving", Kind.COUNT, lambda u: u.saving, std - sep),
            ],
            rows,
            has_footer=bool(rows),
        )


def convert(
    spec: Spec,
    target: Target,
    variant: Variant | None = None,
    *,
    convention: Convention = EXACT,
) -> Conversion:
    """Walk ``spec`` as written and rewritten toward ``target`` (``standard`` or
    ``separable``); ``units`` is empty when there is nothing to rewrite."""
    step = Rewriter(target)
    before = walk(spec, variant, convention=convention)
    after = walk(spec, variant, convention=convention, rewrite=step)
    separable_report, standard_report = (before, after) if target == "standard" else (after, before)
    sep_rows = {row.name: row for row in separable_report.rows}
    std_rows = {row.name: row for row in standard_report.rows}

    def costs(names: tuple[str, ...], rows: dict[str, object]) -> tuple[Count, Count]:
        params: Count = 0
        macs: Count = 0
        for name in names:
            row = rows[name]
            params += row.params  # type: ignore[attr-defined]
            macs += row.macs  # type: ignore[attr-defined]
        return params, macs

    units = []
    for unit in step.units:
        sp, sm = costs(unit.separable, sep_rows)  # type: ignore[arg-type]
        tp, tm = costs(unit.standard, std_rows)  # type: ignore[arg-type]
        units.append(UnitCost(unit.name, sp, tp, sm, tm))
    return Conversion(target, before, after, tuple(units))


# --- helpers --------------------------------------------------------------------------------


def _big(k: Sequence[int]) -> bool:
    return any(v > 1 for v in k)


def _depthwise(layer: L.Layer) -> bool:
    return (
        isinstance(layer, L.Conv2d)
        and layer.groups > 1
        and layer.groups == layer.cout
        and _big(layer.k)
    )


def _pointwise(layer: L.Layer) -> bool:
    return (
        isinstance(layer, L.Conv2d)
        and layer.groups == 1
        and not _big(layer.k)
        and not _big(layer.stride)
    )


def _full(layer: L.Layer) -> bool:
    return isinstance(layer, L.Conv2d) and layer.groups == 1 and _big(layer.k)


def _follower(node: Node) -> bool:
    return isinstance(node, Prim) and node.layer.kind in _FOLLOWERS


def _channels(layer: L.Layer, c: int | None) -> int | None:
    if isinstance(layer, L.Conv2d):
        return layer.cout
    if isinstance(layer, L.Linear):
        return layer.fout
    return c if layer.kind in _SAME_CHANNELS else None


def _ones(k: Sequence[int]) -> tuple[int, ...]:
    return tuple(1 for _ in k)


def _zeros(k: Sequence[int]) -> tuple[int, ...]:
    return tuple(0 for _ in k)


def _sub(name: str, part: str) -> str:
    return f"{name}.{part}" if name else part


def _suffix(conv: str, follower: str) -> str:
    """A follower's name relative to its convolution's (``conv1.bn`` -> ``bn``)."""
    prefix = f"{conv}."
    return follower[len(prefix) :] if conv and follower.startswith(prefix) else follower


def _join(scope: str, name: str) -> str:
    """A row's full name, as the walker writes it."""
    if not name:
        return scope
    return f"{scope}.{name}" if scope else name
