"""Walk a network, propagating [H, W, C], and cost every layer: spec -> Report.

The walker is where shapes meet: it expands each spec entry with ``blocks.expand`` on the shape
that reaches it, costs primitives with ``layers.cost``, checks that the paths of a residual add
or a concat agree, and checks any output shape the spec declares. Errors from below get the
file, line and layer name attached here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from operator import attrgetter
from operator import index as as_int
from typing import NamedTuple, SupportsIndex

from convcost import layers as L
from convcost import views
from convcost.blocks import Concat, Node, Prim, Residual, Width, expand
from convcost.conventions import EXACT, Convention
from convcost.errors import ConvcostError
from convcost.formulas import Count, flops
from convcost.gcpause import paused_gc
from convcost.layers import LayerKind, Shape
from convcost.limits import (
    ALPHA_MAX,
    ALPHA_MIN,
    MAX_NAME_CHARS,
    MAX_PATH_NAME,
    MAX_ROWS,
    MAX_SIZE,
)
from convcost.spec import LayerSpec, Spec, entry_name
from convcost.tables import Audience, Column, Kind, Table
from convcost.views import View


@dataclass(frozen=True, slots=True)
class LayerCost:
    """One row of a report: a primitive layer with everything it is, and what it costs.

    ``layer`` holds all its hyper-parameters; ``inputs`` every input shape (a residual add
    and a squeeze-excite multiply have two, a concat one per branch); ``scope`` the full names
    of the spec entries around it, outermost first (``('stage2', 'stage2.block3')``);
    ``tensors`` the identities of the tensors it reads and ``tensor`` the one it writes (the
    spec's input is tensor 0), so that liveness can be computed from rows alone. ``terms``
    are its named cost terms and ``macs`` their projection under the report's convention.
    """

    name: str
    layer: L.Layer
    category: str
    inputs: tuple[Shape, ...]
    output: Shape
    params: Count = 0
    buffers: Count = 0
    macs: Count = 0
    terms: Mapping[str, Count] = field(default_factory=dict)
    scope: tuple[str, ...] = ()
    tensors: tuple[int, ...] = ()
    tensor: int = 0

    @property
    def kind(self) -> LayerKind:
        return self.layer.kind

    @property
    def type(self) -> str:
        """The layer's kind as written in specs and JSON (``conv``, ``bn``, ...); a convolution
        on a 1-D or 3-D input says so (``conv1d``, ``conv_transpose3d``), as PyTorch names it."""
        # ._value_ is .value without enum's descriptor (3 us a row on Python 3.11)
        value = self.layer.kind._value_
        if value in _BY_DIMENSION and len(self.inputs[0]) != 3:
            return f"{_BY_DIMENSION[value]}{len(self.inputs[0]) - 1}d"
        return value

    @property
    def input(self) -> Shape:
        """The shape the layer is costed on: its input, or for a merge of several paths the
        merged shape."""
        return self.inputs[0] if len(self.inputs) == 1 else self.output

    @property
    def kernel(self) -> tuple[int, ...] | None:
        return getattr(self.layer, "k", None)

    @property
    def stride(self) -> tuple[int, ...] | None:
        return getattr(self.layer, "stride", None)

    @property
    def groups(self) -> int | None:
        return getattr(self.layer, "groups", None)

    @property
    def flops(self) -> Count:
        """FLOPs = 2 * MACs."""
        return flops(self.macs)


# Kinds named by their dimension, as PyTorch's Conv1d/2d/3d (their LayerKind says 2d).
_BY_DIMENSION = {"conv2d": "conv", "conv_transpose2d": "conv_transpose"}


@dataclass(frozen=True, slots=True)
class Totals:
    """Sums over all rows, the cost terms included."""

    params: Count = 0
    buffers: Count = 0
    macs: Count = 0
    terms: Mapping[str, Count] = field(default_factory=dict)

    @property
    def flops(self) -> Count:
        """FLOPs = 2 * MACs."""
        return flops(self.macs)

    @classmethod
    def of(cls, rows: Iterable[LayerCost]) -> Totals:
        params: Count = 0
        buffers: Count = 0
        macs: Count = 0
        terms: dict[str, Count] = {}
        for row in rows:
            params += row.params
            buffers += row.buffers
            macs += row.macs
            for term, value in row.terms.items():
                terms[term] = terms.get(term, 0) + value
        return cls(params, buffers, macs, terms)


@dataclass(frozen=True, slots=True)
class CategoryShare:
    """One row of the breakdown by layer type (MobileNet's Table 2)."""

    category: str
    layers: int
    params: Count
    macs: Count
    params_share: Fraction
    macs_share: Fraction


class Variant(NamedTuple):
    """How a spec is built: width multiplier alpha (scaled by the spec's width rule) and input
    resolution (H, W); None keeps what the spec says."""

    alpha: Fraction | None = None
    resolution: tuple[int, int] | None = None


AS_WRITTEN = Variant()  # the spec's own width and resolution


@dataclass(frozen=True, slots=True)
class Report:
    """What ``convcost net`` prints: every layer's cost and the totals, the variant it was
    built as, and the convention its MACs follow. ``declared_checked`` is False when the
    variant changed the shapes the spec declares (``output:``), which then go unchecked."""

    network: str
    input: Shape
    rows: tuple[LayerCost, ...]
    totals: Totals
    source: str | None = None
    variant: Variant = AS_WRITTEN
    convention: Convention = EXACT
    declared_checked: bool = True

    @property
    def alpha(self) -> Fraction | None:
        return self.variant.alpha

    @property
    def resolution(self) -> tuple[int, int] | None:
        return self.variant.resolution

    @property
    def variant_text(self) -> str:
        """``alpha 0.75, 160x160``; ``as written`` for the spec's own width and resolution."""
        parts = []
        if self.alpha is not None:
            parts.append(f"alpha {alpha_text(self.alpha)}")
        if self.resolution is not None:
            parts.append(f"{self.resolution[0]}x{self.resolution[1]}")
        return ", ".join(parts) or "as written"

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

    # --- views: the tables every format draws (convcost/tables.py) ---------------------------

    def layer_table(self, view: View | None = None) -> Table:
        """One row per layer, the totals in the footer; a ``view`` folds, groups or picks
        rows for people (convcost/views.py), every row when None."""
        t, share = self.totals, self.share
        rows = self.rows if view is None or view.complete else views.rows(self, view)
        largest = max((row.macs for row in rows), default=0)
        return Table(
            "layers",
            "",
            [
                Column("name", "name", Kind.TEXT, attrgetter("name"), "total"),
                Column("type", "", Kind.TEXT, attrgetter("type"), show=Audience.MACHINE),
                Column("category", "category", Kind.TEXT, attrgetter("category")),
                Column("input", "input", Kind.SHAPE, attrgetter("input"), self.input),
                Column("output", "output", Kind.SHAPE, attrgetter("output"), self.output),
                Column("kernel", "kernel", Kind.PAIR, attrgetter("kernel"), None),
                Column("stride", "stride", Kind.PAIR, attrgetter("stride"), None),
                Column("groups", "", Kind.NUMBER, attrgetter("groups"), None, Audience.JSON),
                Column("params", "params", Kind.COUNT, attrgetter("params"), t.params),
                Column(
                    "buffers", "", Kind.COUNT, attrgetter("buffers"), t.buffers, Audience.MACHINE
                ),
                Column("macs", "MACs", Kind.COUNT, attrgetter("macs"), t.macs),
                Column("flops", "", Kind.COUNT, attrgetter("flops"), t.flops, Audience.MACHINE),
                Column("macs_share", "MACs %", Kind.SHARE, share, _share(t.macs, t.macs)),
                Column(
                    "macs_bar",
                    "MACs bar",
                    Kind.BAR,
                    lambda row: _share(row.macs, largest),
                    None,
                    Audience.TERMINAL,
                    "MACs bar: each row's MACs over the largest row's (a full bar)",
                ),
            ],
            rows,
        )

    def by_type_table(self) -> Table:
        """MobileNet's Table 2: params and MACs by layer type, largest MACs first."""
        t = self.totals
        return Table(
            "by_type",
            "By layer type",
            [
                Column("type", "type", Kind.TEXT, lambda s: s.category, "total"),
                Column("layers", "layers", Kind.NUMBER, lambda s: s.layers, len(self.rows)),
                Column("params", "params", Kind.COUNT, lambda s: s.params, t.params),
                Column(
                    "params_share",
                    "params %",
                    Kind.SHARE,
                    lambda s: s.params_share,
                    _share(t.params, t.params),
                ),
                Column("macs", "MACs", Kind.COUNT, lambda s: s.macs, t.macs),
                Column(
                    "macs_share",
                    "MACs %",
                    Kind.SHARE,
                    lambda s: s.macs_share,
                    _share(t.macs, t.macs),
                ),
            ],
            self.by_category(),
        )

    def totals_table(self) -> Table:
        """params, buffers, MACs, FLOPs, as one record."""
        return Table(
            "totals",
            "total",
            [
                Column("params", "params", Kind.COUNT, lambda t: t.params),
                Column("buffers", "buffers", Kind.COUNT, lambda t: t.buffers),
                Column("macs", "MACs", Kind.COUNT, lambda t: t.macs),
                Column("flops", "FLOPs", Kind.COUNT, lambda t: t.flops),
            ],
            [self.totals],
            has_footer=False,
            record=True,
        )

    def terms_table(self) -> Table:
        """The cost terms summed over the network, each with its weight under the report's
        convention and what it adds to the MACs: why two tools' counts differ."""
        weights = self.convention.weights
        return Table(
            "terms",
            f"Cost terms (convention {self.convention.name})",
            [
                Column("term", "term", Kind.TEXT, lambda tv: tv[0], "total"),
                Column("count", "count", Kind.COUNT, lambda tv: tv[1], ""),
                Column("weight", "weight", Kind.NUMBER, lambda tv: weights.get(tv[0], 0), ""),
                Column(
                    "macs",
                    "MACs",
                    Kind.COUNT,
                    lambda tv: weights.get(tv[0], 0) * tv[1],
                    self.totals.macs,
                ),
            ],
            sorted(self.totals.terms.items()),
        )


def alpha_text(alpha: Fraction) -> str:
    """A width multiplier as it is written: ``0.75``, ``1``, ``1.4``; ``1/3`` where no
    decimal is exact."""
    den = alpha.denominator
    twos = fives = 0
    while den % 2 == 0:
        den //= 2
        twos += 1
    while den % 5 == 0:
        den //= 5
        fives += 1
    if den != 1:
        return str(alpha)
    places = max(twos, fives)
    if places == 0:
        return str(alpha.numerator)
    scaled = alpha.numerator * 10**places // alpha.denominator
    whole, part = divmod(scaled, 10**places)
    return f"{whole}.{part:0{places}d}"


def _share(part: Count, whole: Count) -> Fraction:
    return Fraction(part, whole) if whole else Fraction(0)


# --- the walker -----------------------------------------------------------------------------


class _Tensor(NamedTuple):
    """A tensor as the walker follows it: its shape and its identity."""

    shape: Shape
    id: int


# A rewrite step (issue 15, analysis.rewrite): every sequence of nodes the walker is about to
# walk, the scope its rows are named in, the shape that reaches it and whether that is the
# network's input, to the nodes walked instead.
Rewrite = Callable[[Sequence[Node], str, Shape, bool], Sequence[Node]]

# A layer on given inputs: the layer (its call resolved), category, input shapes, cost, MACs.
_Known = tuple[L.Layer, str, tuple[Shape, ...], L.Cost, Count]


class _Walker:
    def __init__(
        self,
        width: Width,
        path: str | None,
        convention: Convention,
        check_declared: bool,
        calls: Mapping[str, L.Call],
        rewrite: Rewrite | None = None,
    ) -> None:
        self.width = width
        self.rewrite = rewrite
        self.path = path
        self.convention = convention
        # Declared shapes transcribe the paper's table at its own width and resolution.
        self.check_declared = check_declared
        self.rows: list[LayerCost] = []
        self.names: set[str] = set()
        self.name_chars = 0
        self.scope: tuple[str, ...] = ()  # the entries being walked, outermost first
        self.tensors = 0  # tensor 0 is the spec's input
        self.merged: Shape = (0, 0, 0)  # the shape a merge row produces, set by merge()
        self.calls = calls
        self.resolved: dict[L.Layer, L.Layer] = {}
        self.known: dict[tuple[L.Layer, tuple[Shape, ...]], _Known] = {}

    def nodes(
        self,
        nodes: Sequence[Node],
        x: _Tensor,
        scope: str,
        counters: dict[str, int] | None = None,
    ) -> _Tensor:
        """Walk a sequence; ``counters`` numbers generated names within ``scope``."""
        counters = {} if counters is None else counters
        if self.rewrite is not None:
            nodes = self.rewrite(nodes, scope, x.shape, x.id == 0)
        for node in nodes:
            x = self.node(node, x, scope, counters)
        return x

    def node(self, node: Node, x: _Tensor, scope: str, counters: dict[str, int]) -> _Tensor:
        if isinstance(node, LayerSpec):
            return self.entry(node, x, scope, counters)
        name = _join(scope, node.name)
        if isinstance(node, Prim):
            return self.prim(node.layer, (x,), name)
        if isinstance(node, Residual):
            return self.residual(node, x, name)
        return self.concat(node, x, name)

    def entry(self, entry: LayerSpec, x: _Tensor, scope: str, counters: dict[str, int]) -> _Tensor:
        outer = self.scope
        for index in range(entry.repeat):
            full = entry_name(scope, counters, entry.prefix, entry.name, entry.repeat, index)
            self.scope = (*outer, full)
            try:
                nodes = expand(entry, x.shape, self.width, first=index == 0)
                x = self.nodes(nodes, x, full)
            except ConvcostError as error:
                raise error.located(path=self.path, line=entry.line, layer=full) from None
            finally:
                self.scope = outer
        if self.check_declared and entry.output is not None and not _matches(entry.output, x.shape):
            raise ConvcostError(
                f"declared {list(entry.output)} but the layers produce {_fmt(x.shape)}",
                path=self.path,
                line=entry.line,
                layer=full,
                field="output",
            )
        return x

    def prim(self, layer: L.Layer, inputs: tuple[_Tensor, ...], name: str) -> _Tensor:
        """Cost one layer; a merge reads several tensors and costs its merged shape."""
        self._check_name(name)
        if len(inputs) == 1:
            shape = inputs[0].shape
            shapes: tuple[Shape, ...] = (shape,)
            ids: tuple[int, ...] = (inputs[0].id,)
        else:
            shape = self.merged
            shapes = tuple(x.shape for x in inputs)
            ids = tuple(x.id for x in inputs)
        key = (layer, shapes)
        known = self.known.get(key)
        if known is None:
            known = self.known[key] = self._cost(layer, shape, shapes, name)
        layer, category, shapes, cost, macs = known
        self.tensors += 1
        self.rows.append(
            LayerCost(
                name,
                layer,
                category,
                shapes,
                cost.output,
                cost.params,
                cost.buffers,
                macs,
                cost.terms,
                self.scope,
                ids,
                self.tensors,
            )
        )
        return _Tensor(cost.output, self.tensors)

    def _cost(self, layer: L.Layer, shape: Shape, shapes: tuple[Shape, ...], name: str) -> _Known:
        """What a layer costs on its inputs, computed once for each distinct pair: a block
        repeated n times shares one layer, one Cost and one shapes tuple among its rows, so a
        million-row report keeps about a third of the objects."""
        if getattr(layer, "call", "") is None:
            layer = self._called(layer)
        try:
            layer = L.fit(layer, len(shape) - 1)  # the row shows a 3-D conv's kernel as 3x3x3
            cost = L.cost(layer, shape)
            _check_shape(cost.output, channels=layer.kind is not LayerKind.FLATTEN)
        except ConvcostError as error:
            raise error.located(layer=name) from None
        category = L.category(layer, shape)
        return layer, category, shapes, cost, self.convention.project(cost.terms)

    def _called(self, layer: L.Layer) -> L.Layer:
        """An activation or pool that its entry did not say how it is called: as the spec's
        ``defaults`` say for its type (``relu: {call: functional}`` reaches the ReLUs inside
        blocks too), else a module. Layers are frozen, so each is resolved once."""
        resolved = self.resolved.get(layer)
        if resolved is None:
            resolved = self.resolved[layer] = _called(layer, self.calls)
        return resolved

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

    def merge(
        self, kind: LayerKind, inputs: tuple[_Tensor, ...], shape: Shape, name: str
    ) -> _Tensor:
        """The row where paths meet, reading every path's tensor; ``shape`` is the result."""
        self.merged = shape
        return self.prim(L.Merge(kind), inputs, _join(name, kind.value))

    def residual(self, node: Residual, x: _Tensor, name: str) -> _Tensor:
        body = self.nodes(node.body, x, name)
        short = self.nodes(node.shortcut, x, _join(name, node.shortcut_scope))
        b, s = body.shape, short.shape
        if node.merge is LayerKind.MULTIPLY:
            # Squeeze-excite: a (1, 1, C) gate scales the (H, W, C) input.
            if not _same(b[-1], s[-1]):
                raise ConvcostError(
                    f"the gate has {b[-1]} channels but the input has {s[-1]}", field="c"
                )
            merged = s
        else:
            if len(b) != len(s) or not all(_same(u, v) for u, v in zip(b, s, strict=True)):
                raise ConvcostError(
                    f"residual add needs equal shapes, got {_fmt(b)} (layers) and "
                    f"{_fmt(s)} (shortcut)",
                    field="shortcut",
                )
            merged = b
        out = self.merge(node.merge, (body, short), merged, name)
        return self.nodes(node.after, out, name)

    def concat(self, node: Concat, x: _Tensor, name: str) -> _Tensor:
        *sizes, c = x.shape
        inputs: list[_Tensor]
        if node.split is None:
            inputs = [x] * len(node.branches)
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
            # A channel split is a view of the input: the branches read the input tensor.
            inputs = [_Tensor((*sizes, part), x.id) for part in node.split]
        outputs = [
            self.nodes(branch, inp, name if len(node.branches) == 1 else f"{name}.branch{i + 1}")
            for i, (branch, inp) in enumerate(zip(node.branches, inputs, strict=True))
        ]
        first = outputs[0].shape
        for i, out in enumerate(outputs[1:], start=2):
            if not all(_same(u, v) for u, v in zip(out.shape[:-1], first[:-1], strict=True)):
                raise ConvcostError(
                    f"concat needs equal H and W, got {_fmt(first)} (branch 1) and "
                    f"{_fmt(out.shape)} (branch {i})",
                    field="branches",
                )
        channels: Count = 0
        for out in outputs:
            channels += out.shape[-1]
        merged = self.merge(LayerKind.CONCAT, tuple(outputs), (*first[:-1], channels), name)
        return self.nodes(node.after, merged, name)


def _called(layer: L.Layer, calls: Mapping[str, L.Call]) -> L.Layer:
    """An activation or pool that its entry did not say how it is called: as the spec's
    ``defaults`` say for its type (``relu: {call: functional}`` reaches the ReLUs inside
    blocks too), else a module."""
    if isinstance(layer, L.Activation):
        return layer._replace(call=calls.get(layer.function, "module"))
    if isinstance(layer, L.Pool | L.GlobalPool | L.AdaptivePool | L.Norm | L.PReLU | L.Upsample):
        return layer._replace(call=calls.get(layer.kind.value, "module"))
    return layer


def _check_shape(shape: Shape, channels: bool) -> None:
    """A computed size or channel count obeys the loader's bound on any size (``--alpha``,
    an expansion ratio or a concat can make one that no spec wrote). A flatten's features
    (H x W x C of bounded sizes) are exempt."""
    *sizes, c = shape
    if not all(v.__class__ is int for v in shape):
        return  # symbolic sizes (convcost layer) have no value to bound
    if all(v <= MAX_SIZE for v in sizes) and (c <= MAX_SIZE or not channels):
        return
    names = {1: ("L",), 3: ("D", "H", "W")}.get(len(sizes), ("H", "W"))
    checked = [*zip(names, sizes, strict=True), *([("C", c)] if channels else [])]
    for axis, value in checked:
        if value > MAX_SIZE:
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


# --- walk()'s arguments, checked as the command line checks its flags (issue 13) ----------


def _variant(
    spec: object, variant: object, alpha: object, resolution: object, convention: object
) -> Variant:
    """The variant ``walk`` builds, from its arguments once each is what it should be."""
    if not isinstance(spec, Spec):
        load = f"; load it first: spec.load({_shown(spec)})" if isinstance(spec, str) else ""
        raise ConvcostError(
            f"expected a Spec (from convcost.spec.load), got {type(spec).__name__}{load}",
            field="spec",
        )
    if not isinstance(convention, Convention):
        raise ConvcostError(
            "expected a Convention (convcost.conventions.EXACT, or "
            f"conventions.convention('thop')), got {type(convention).__name__}",
            field="convention",
        )
    if variant is not None:
        if not isinstance(variant, Variant):
            raise ConvcostError(
                f"expected a Variant or None, got {type(variant).__name__}", field="variant"
            )
        if alpha is not None or resolution is not None:
            raise ConvcostError(
                "give a variant, or alpha and resolution, not both", field="variant"
            )
        alpha, resolution = variant.alpha, variant.resolution
    return Variant(_alpha(alpha), _resolution(resolution))


def _alpha(alpha: object) -> Fraction | None:
    """A width multiplier, exactly: a float as it reads (0.3 is 3/10, as ``--alpha 0.3``)."""
    if alpha is None:
        return None
    if isinstance(alpha, bool) or not isinstance(alpha, int | float | Fraction):
        raise ConvcostError(
            f"expected a number such as 0.75, got {_shown(alpha)} ({type(alpha).__name__})",
            field="alpha",
        )
    if isinstance(alpha, float) and not math.isfinite(alpha):
        raise ConvcostError(f"expected a finite number, got {alpha}", field="alpha")
    value = Fraction(repr(alpha)) if isinstance(alpha, float) else Fraction(alpha)
    if not ALPHA_MIN <= value <= ALPHA_MAX:
        raise ConvcostError(
            f"must be from {float(ALPHA_MIN)} to {ALPHA_MAX}, got {_shown(alpha)}", field="alpha"
        )
    return value


def _resolution(resolution: object) -> tuple[int, int] | None:
    """N for N x N, or (H, W); each from 1 to MAX_SIZE."""
    if resolution is None:
        return None
    sizes = list(resolution) if isinstance(resolution, tuple | list) else [resolution] * 2
    if len(sizes) != 2:
        raise ConvcostError(f"expected N or (H, W), got {len(sizes)} values", field="resolution")
    checked: list[int] = []
    for size in sizes:
        if isinstance(size, bool) or not isinstance(size, SupportsIndex):
            raise ConvcostError(
                f"expected a positive integer or (H, W), got {_shown(size)} "
                f"({type(size).__name__})",
                field="resolution",
            )
        checked.append(as_int(size))  # numpy's integers too
        if not 0 < checked[-1] <= MAX_SIZE:
            raise ConvcostError(
                f"must be 1 to {MAX_SIZE:,}, got {_shown(checked[-1])}", field="resolution"
            )
    return (checked[0], checked[1])


def _resized(shape: Shape, resolution: tuple[int, int] | None) -> Shape:
    """The input at ``resolution`` (issue 14): (H, W) replaces a 2-D input's sizes and a 3-D
    input's H and W (a video keeps its D frames); a 1-D input takes N, which the variant holds
    as (N, N), as its length L."""
    if resolution is None:
        return shape
    *sizes, c = shape
    if len(sizes) == 1:
        if resolution[0] != resolution[1]:
            raise ConvcostError(
                f"a 1-D input takes one length N, got {resolution[0]}x{resolution[1]}",
                field="resolution",
            )
        return (resolution[0], c)
    return (*sizes[:-2], *resolution, c)


def _shown(value: object) -> str:
    """``value`` in a message, clipped (``repr`` of an int fails past 4,300 digits)."""
    if isinstance(value, int) and value.bit_length() > 64:
        digits = value.bit_length() * 30103 // 100000  # log10(2) = 0.30103
        return f"an integer of about {'-' if value < 0 else ''}10^{digits}"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def walk(
    spec: Spec,
    variant: Variant | None = None,
    *,
    alpha: Fraction | None = None,
    resolution: int | tuple[int, int] | None = None,
    convention: Convention = EXACT,
    rewrite: Rewrite | None = None,
) -> Report:
    """Cost every layer of ``spec`` built as ``variant`` (or ``alpha`` and ``resolution``
    given directly: alpha scales channels by the spec's width rule, resolution N or (H, W)
    replaces the input's H and W; a 3-D input keeps its D, a 1-D input takes N as its
    length), with MACs under ``convention``.

    ``rewrite``, if given, sees every sequence of nodes before it is walked (an entry's
    expansion, a residual's paths, a concat's branches) with the scope its rows are named in,
    the shape that reaches it and whether that is the network's input, and returns the nodes
    to walk instead: ``analysis.rewrite`` swaps convolutions this way.

    A wrong argument is a ``ConvcostError`` naming it (``field``), never a ``TypeError``.
    """
    variant = _variant(spec, variant, alpha, resolution, convention)
    alpha, resolution = variant.alpha, variant.resolution
    shape = _resized(spec.input, resolution)
    declared = alpha is None and shape == spec.input
    calls = {kind: fields["call"] for kind, fields in spec.defaults.items() if "call" in fields}
    walker = _Walker(Width(alpha, spec.width_rule), spec.path, convention, declared, calls, rewrite)
    with paused_gc():
        walker.nodes(spec.layers, _Tensor(shape, 0), "")
    rows = tuple(walker.rows)
    return Report(
        network=spec.name,
        input=shape,
        rows=rows,
        totals=Totals.of(rows),
        source=spec.source,
        variant=variant,
        convention=convention,
        declared_checked=declared,
    )
