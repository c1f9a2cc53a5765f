"""Walk a network, propagating [H, W, C], and cost every layer: spec -> Report.

The walker is where shapes meet: it expands each spec entry with ``blocks.expand`` on the shape
that reaches it, costs primitives with ``layers.cost``, checks that the paths of a residual add
or a concat agree, and checks any output shape the spec declares. Errors from below get the
file, line and layer name attached here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from convcost import layers as L
from convcost.blocks import Concat, Node, Prim, Residual, Width, expand
from convcost.errors import ConvcostError
from convcost.formulas import CONVENTION, Count, flops
from convcost.layers import LayerKind, Shape
from convcost.limits import (
    ALPHA_MAX,
    ALPHA_MIN,
    MAX_NAME_CHARS,
    MAX_PATH_NAME,
    MAX_ROWS,
    MAX_SIZE,
)
from convcost.spec import LayerSpec, Spec, paused_gc


@dataclass(frozen=True, slots=True)
class LayerCost:
    """One row of a report: a primitive layer, its shapes and exact counts."""

    name: str
    kind: LayerKind
    category: str
    input: Shape
    output: Shape
    params: Count = 0
    buffers: Count = 0
    macs: Count = 0
    kernel: tuple[int, int] | None = None
    stride: tuple[int, int] | None = None
    groups: int | None = None

    @property
    def flops(self) -> Count:
        """FLOPs = 2 * MACs."""
        return flops(self.macs)


@dataclass(frozen=True, slots=True)
class Totals:
    """Sums over all rows."""

    params: Count = 0
    buffers: Count = 0
    macs: Count = 0

    @property
    def flops(self) -> Count:
        """FLOPs = 2 * MACs."""
        return flops(self.macs)

    @classmethod
    def of(cls, rows: Iterable[LayerCost]) -> Totals:
        params: Count = 0
        buffers: Count = 0
        macs: Count = 0
        for row in rows:
            params += row.params
            buffers += row.buffers
            macs += row.macs
        return cls(params, buffers, macs)


@dataclass(frozen=True, slots=True)
class CategoryShare:
    """One row of the breakdown by layer type (MobileNet's Table 2)."""

    category: str
    layers: int
    params: Count
    macs: Count
    params_share: Fraction
    macs_share: Fraction


@dataclass(frozen=True, slots=True)
class Report:
    """What ``convcost net`` prints: every layer's cost and the totals."""

    network: str
    input: Shape
    rows: tuple[LayerCost, ...]
    totals: Totals
    source: str | None = None
    alpha: Fraction | None = None
    resolution: tuple[int, int] | None = None
    convention: dict[str, str] = field(default_factory=lambda: dict(CONVENTION))

    @property
    def output(self) -> Shape:
        return self.rows[-1].output if self.rows else self.input

    def share(self, row: LayerCost) -> Fraction:
        """The row's share of the total MACs (0 when the network has none)."""
        return _share(row.macs, self.totals.macs)

    def by_category(self) -> list[CategoryShare]:
        """Params and MACs summed by layer type, largest MACs first, ties by params."""
        groups: dict[str, list[LayerCost]] = {}
        for row in self.rows:
            groups.setdefault(row.category, []).append(row)
        shares = []
        for category, rows in groups.items():
            sub = Totals.of(rows)
            shares.append(
                CategoryShare(
                    category,
                    len(rows),
                    sub.params,
                    sub.macs,
                    _share(sub.params, self.totals.params),
                    _share(sub.macs, self.totals.macs),
                )
            )
        return sorted(shares, key=lambda s: (-s.macs_share, -s.params_share, s.category))


def _share(part: Count, whole: Count) -> Fraction:
    return Fraction(part, whole) if whole else Fraction(0)


# --- the walker -----------------------------------------------------------------------------


class _Walker:
    def __init__(self, width: Width, path: str | None, check_declared: bool = True) -> None:
        self.width = width
        self.path = path
        # Declared shapes transcribe the paper's table at its own width and resolution.
        self.check_declared = check_declared
        self.rows: list[LayerCost] = []
        self.names: set[str] = set()
        self.name_chars = 0

    def nodes(
        self,
        nodes: Sequence[Node],
        shape: Shape,
        scope: str,
        counters: dict[str, int] | None = None,
    ) -> Shape:
        """Walk a sequence; ``counters`` numbers generated names within ``scope``."""
        counters = {} if counters is None else counters
        for node in nodes:
            shape = self.node(node, shape, scope, counters)
        return shape

    def node(self, node: Node, shape: Shape, scope: str, counters: dict[str, int]) -> Shape:
        if isinstance(node, LayerSpec):
            return self.entry(node, shape, scope, counters)
        name = _join(scope, node.name)
        if isinstance(node, Prim):
            return self.prim(node.layer, shape, name)
        if isinstance(node, Residual):
            return self.residual(node, shape, name)
        return self.concat(node, shape, name)

    def entry(self, entry: LayerSpec, shape: Shape, scope: str, counters: dict[str, int]) -> Shape:
        for index in range(entry.repeat):
            if entry.name is None:
                counters[entry.prefix] = counters.get(entry.prefix, 0) + 1
                name = f"{entry.prefix}{counters[entry.prefix]}"
            else:
                name = entry.name if entry.repeat == 1 else f"{entry.name}.{index + 1}"
            full = _join(scope, name)
            try:
                nodes = expand(entry, shape, self.width, first=index == 0)
                shape = self.nodes(nodes, shape, full)
            except ConvcostError as error:
                raise error.located(path=self.path, line=entry.line, layer=full) from None
        if self.check_declared and entry.output is not None and not _matches(entry.output, shape):
            raise ConvcostError(
                f"declared {list(entry.output)} but the layers produce {_fmt(shape)}",
                path=self.path,
                line=entry.line,
                layer=full,
                field="output",
            )
        return shape

    def prim(self, layer: L.Layer, shape: Shape, name: str) -> Shape:
        self._check_name(name)
        try:
            cost = L.cost(layer, shape)
            _check_shape(cost.output, channels=layer.kind is not LayerKind.FLATTEN)
        except ConvcostError as error:
            raise error.located(layer=name) from None
        kernel = getattr(layer, "k", None)
        stride = getattr(layer, "stride", None)
        self.rows.append(
            LayerCost(
                name=name,
                kind=layer.kind,
                category=L.category(layer, shape),
                input=shape,
                output=cost.output,
                params=cost.params,
                buffers=cost.buffers,
                macs=cost.macs,
                kernel=kernel,
                stride=stride,
                groups=getattr(layer, "groups", None),
            )
        )
        return cost.output

    def _check_name(self, name: str) -> None:
        """Bound the rows and their names before adding one; names are unique."""
        if len(self.rows) >= MAX_ROWS:
            raise ConvcostError(f"the network expands to more than {MAX_ROWS:,} layers")
        if len(name) > MAX_PATH_NAME:
            raise ConvcostError(
                f"its full name is {len(name):,} characters long (at most {MAX_PATH_NAME:,})",
                layer=name,
            )
        self.name_chars += len(name)
        if self.name_chars > MAX_NAME_CHARS:
            raise ConvcostError(
                f"the names of the network's layers add up to more than {MAX_NAME_CHARS:,} "
                "characters; shorten the names of the blocks",
                layer=name,
            )
        if name in self.names:
            raise ConvcostError(
                "two layers have this name; give one of the entries another 'name'",
                layer=name,
            )
        self.names.add(name)

    def residual(self, node: Residual, shape: Shape, name: str) -> Shape:
        body = self.nodes(node.body, shape, name)
        short = self.nodes(node.shortcut, shape, _join(name, node.shortcut_scope))
        if node.merge is LayerKind.MULTIPLY:
            # Squeeze-excite: a (1, 1, C) gate scales the (H, W, C) input.
            if not _same(body[2], short[2]):
                raise ConvcostError(
                    f"the gate has {body[2]} channels but the input has {short[2]}", field="c"
                )
            merged = short
        else:
            if not (
                _same(body[0], short[0]) and _same(body[1], short[1]) and _same(body[2], short[2])
            ):
                raise ConvcostError(
                    f"residual add needs equal shapes, got {_fmt(body)} (layers) and "
                    f"{_fmt(short)} (shortcut)",
                    field="shortcut",
                )
            merged = body
        self.prim(L.Merge(node.merge), merged, _join(name, node.merge.value))
        return self.nodes(node.after, merged, name)

    def concat(self, node: Concat, shape: Shape, name: str) -> Shape:
        h, w, c = shape
        inputs: list[Shape]
        if node.split is None:
            inputs = [shape] * len(node.branches)
        else:
            if len(node.split) != len(node.branches):
                raise ConvcostError(
                    f"{len(node.split)} channel counts for {len(node.branches)} branches",
                    field="split",
                )
            if isinstance(c, int) and sum(node.split) != c:
                raise ConvcostError(
                    f"channels {' + '.join(map(str, node.split))} = {sum(node.split)}, "
                    f"but the input has {c}",
                    field="split",
                )
            inputs = [(h, w, part) for part in node.split]
        outputs = [
            self.nodes(branch, inp, name if len(node.branches) == 1 else f"{name}.branch{i + 1}")
            for i, (branch, inp) in enumerate(zip(node.branches, inputs, strict=True))
        ]
        first = outputs[0]
        for i, out in enumerate(outputs[1:], start=2):
            if not (_same(out[0], first[0]) and _same(out[1], first[1])):
                raise ConvcostError(
                    f"concat needs equal H and W, got {_fmt(first)} (branch 1) and "
                    f"{_fmt(out)} (branch {i})",
                    field="branches",
                )
        channels: Count = 0
        for out in outputs:
            channels += out[2]
        merged = (first[0], first[1], channels)
        self.prim(L.Merge(LayerKind.CONCAT), merged, _join(name, "concat"))
        return self.nodes(node.after, merged, name)


def _check_shape(shape: Shape, channels: bool) -> None:
    """A computed size or channel count obeys the loader's bound on any size (``--alpha``,
    an expansion ratio or a concat can make one that no spec wrote). A flatten's features
    (H x W x C of bounded sizes) are exempt."""
    for axis, value in zip("HWC" if channels else "HW", shape, strict=False):
        if isinstance(value, int) and value > MAX_SIZE:
            raise ConvcostError(
                f"the output has {value:,} {'channels' if axis == 'C' else axis} "
                f"(at most {MAX_SIZE:,})"
            )


def _join(scope: str, name: str) -> str:
    if not name:
        return scope
    return f"{scope}.{name}" if scope else name


def _same(a: Count, b: Count) -> bool:
    return bool(a == b)


def _matches(declared: Sequence[int], shape: Shape) -> bool:
    return all(_same(d, s) for d, s in zip(declared, shape, strict=True))


def _fmt(shape: Shape) -> str:
    return "[" + ", ".join(str(v) for v in shape) + "]"


def walk(
    spec: Spec,
    *,
    alpha: Fraction | None = None,
    resolution: int | tuple[int, int] | None = None,
) -> Report:
    """Cost every layer of ``spec``; ``alpha`` scales channels by the spec's width rule and
    ``resolution`` (N, or (H, W)) replaces the input's H and W."""
    if alpha is not None and not ALPHA_MIN <= alpha <= ALPHA_MAX:
        raise ConvcostError(
            f"alpha must be from {float(ALPHA_MIN)} to {ALPHA_MAX}, got {alpha}", field="alpha"
        )
    h, w, c = spec.input
    if isinstance(resolution, int):
        resolution = (resolution, resolution)
    if resolution is not None:
        h, w = resolution
        if not (0 < h <= MAX_SIZE and 0 < w <= MAX_SIZE):
            raise ConvcostError(
                f"resolution must be 1 to {MAX_SIZE:,}, got {h}x{w}", field="resolution"
            )
    shape: Shape = (h, w, c)
    declared = alpha is None and (h, w) == spec.input[:2]
    walker = _Walker(Width(alpha, spec.width_rule), spec.path, check_declared=declared)
    with paused_gc():
        walker.nodes(spec.layers, shape, "")
    rows = tuple(walker.rows)
    return Report(
        network=spec.name,
        input=shape,
        rows=rows,
        totals=Totals.of(rows),
        source=spec.source,
        alpha=alpha,
        resolution=resolution,
    )
