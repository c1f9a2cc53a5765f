"""Winograd: the multiplications of 3x3 stride-1 convolutions under F(m x m, 3x3), beside the
direct count (``--algo winograd``, issue 16).

Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks" (CVPR 2016): an m x m output
tile of an r x r convolution takes (m + r - 1)^2 multiplications per (input channel of the
group, output channel) instead of m^2 r^2: 16 instead of 36 for F(2x2,3x3) (2.25x fewer), 36
instead of 144 for F(4x4,3x3) (4x). It applies to r x r convolutions with stride 1 and
dilation 1: standard, grouped or depthwise. It adds the transforms (``formulas.py``, counted
naively from the matrices: each output element's nonzero terms added, coefficients other than
+-1 multiplied):

- the input transform B^T d B, once per tile and input channel: shared by the output channels
  of the group, so a standard convolution spreads it over Cout channels, a depthwise one over 1;
- the output transform A^T Y A, once per tile and output channel, after the sum over the
  group's input channels (Cin/G of them; 1 for a depthwise convolution);
- the filter transform G g G^T, once per weight filter, offline: counted, not per inference.

Winograd FLOPs = 2 x multiplications (each product is accumulated, as a MAC is) + the input
and output transforms; direct FLOPs = 2 x MACs. A depthwise layer gains nothing: with one
channel per group every tile pays both transforms for one channel, more operations than the
multiplications it saves, and real libraries run depthwise convolutions directly.

MACs stay what they are: this is an alternative count shown beside them, built from a
``Report`` (``convcost net``) or a ``Comparison`` (``convcost layer``), never a change to the
cost rules or conventions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from operator import attrgetter
from typing import TYPE_CHECKING, Any, NamedTuple

from convcost import formulas
from convcost.errors import ConvcostError
from convcost.formulas import WINOGRAD, WinogradTransforms, transform_ops_2d
from convcost.layers import Conv2d, Pair, Shape
from convcost.tables import Audience, Column, Kind, Table

if TYPE_CHECKING:
    from convcost.analysis.separable import Comparison, KindCost
    from convcost.network import Report

TILES = tuple(WINOGRAD)  # m: 2 for F(2x2,3x3), 4 for F(4x4,3x3)
R = 3  # the filter side Winograd is applied to here


class WinogradRow(NamedTuple):
    """One convolution with ``--algo winograd``. ``direct`` is its multiplications computed
    directly (its MACs); ``winograd`` its multiplications by Winograd where it applies and
    direct where it does not (a separable layer's pointwise stage; ``reason`` says why for a
    layer that runs directly throughout, whose ``tiles`` are None and transforms 0)."""

    name: str
    category: str
    output: Shape
    direct: int
    winograd: int
    tiles: int | None = None
    input_transform: int = 0
    output_transform: int = 0
    filter_transform: int = 0
    reason: str = ""

    @property
    def transforms(self) -> int:
        """The transforms of each inference: input + output (the filter's is offline)."""
        return self.input_transform + self.output_transform

    @property
    def mults_ratio(self) -> Fraction:
        """Direct over Winograd multiplications: 9/4 for whole F(2x2,3x3) tiles."""
        return _ratio(self.direct, self.winograd)

    @property
    def direct_flops(self) -> int:
        return int(formulas.flops(self.direct))

    @property
    def winograd_flops(self) -> int:
        """2 x multiplications + input and output transform operations."""
        return int(formulas.flops(self.winograd)) + self.transforms

    @property
    def flops_ratio(self) -> Fraction:
        """Direct over Winograd FLOPs, transforms included: below 1 where Winograd costs more."""
        return _ratio(self.direct_flops, self.winograd_flops)


class TileCost(NamedTuple):
    """One m x m output tile of one channel pair: what F(m x m, 3x3) saves and adds."""

    direct: int  # m^2 r^2 multiplications
    winograd: int  # (m + r - 1)^2
    input_transform: formulas.TransformOps
    output_transform: formulas.TransformOps
    filter_transform: formulas.TransformOps

    @property
    def saved(self) -> int:
        return self.direct - self.winograd

    @property
    def added(self) -> int:
        """Transform operations of a tile of a depthwise layer: one input and one output
        transform for the one channel pair."""
        return self.input_transform.total + self.output_transform.total


def tile_cost(m: int = 2) -> TileCost:
    """Per tile and channel pair for F(m x m, 3x3): F(2x2,3x3) saves 36 - 16 = 20
    multiplications and its transforms take 32 + 24 = 56 additions."""
    t = transforms(m)
    return TileCost(
        formulas.direct_tile_products(m, R),
        formulas.winograd_tile_products(m, R),
        transform_ops_2d(t.bt),
        transform_ops_2d(t.at),
        transform_ops_2d(t.g),
    )


def transforms(m: int) -> WinogradTransforms:
    """The transforms of F(m x m, 3x3) for m = 2 or 4; a ConvcostError naming ``tile``
    otherwise."""
    if isinstance(m, bool) or m not in WINOGRAD:
        raise ConvcostError(
            f"expected one of {', '.join(map(str, TILES))}, got {m!r}", field="tile"
        )
    return WINOGRAD[m]


def why_not(kernel: Pair | None, stride: Pair | None, dilation: Pair | None) -> str:
    """Why a convolution is not a 3x3, stride-1, dilation-1 one in 2-D; '' when it is."""
    if kernel is None or len(kernel) != 2:
        return "not a 2-D convolution"
    if tuple(kernel) != (R, R):
        return f"{'x'.join(map(str, kernel))} kernel, not {R}x{R}"
    if stride is not None and tuple(stride) != (1, 1):
        return f"stride {'x'.join(map(str, stride))}"
    if dilation is not None and tuple(dilation) != (1, 1):
        return f"dilation {'x'.join(map(str, dilation))}"
    return ""


def convolution(
    name: str,
    category: str,
    output: Shape,
    cin: int,
    groups: int,
    t: WinogradTransforms,
) -> WinogradRow:
    """A 3x3 stride-1 convolution producing ``output`` (Hout, Wout, Cout) from Cin channels
    in ``groups`` groups, counted directly and by ``t``."""
    hout, wout, cout = (_int(v) for v in output)
    return WinogradRow(
        name,
        category,
        output,
        formulas.conv_macs(hout, wout, cin, cout, R, R, groups),
        formulas.winograd_products(hout, wout, cin, cout, t.m, R, groups),
        formulas.winograd_tiles(hout, wout, t.m),
        formulas.winograd_input_transform_ops(hout, wout, cin, t),
        formulas.winograd_output_transform_ops(hout, wout, cout, t),
        formulas.winograd_filter_transform_ops(cin, cout, t, groups),
    )


def _columns() -> list[Column]:
    return [
        Column("name", "name", Kind.TEXT, attrgetter("name")),
        Column("category", "category", Kind.TEXT, attrgetter("category")),
        Column("output", "output", Kind.SHAPE, attrgetter("output")),
        Column("tiles", "tiles", Kind.COUNT, attrgetter("tiles")),
        Column("direct_mults", "direct mults", Kind.COUNT, attrgetter("direct")),
        Column("winograd_mults", "Winograd mults", Kind.COUNT, attrgetter("winograd")),
        Column("transforms", "transforms", Kind.COUNT, attrgetter("transforms")),
        Column(
            "input_transform", "", Kind.COUNT, attrgetter("input_transform"), show=Audience.MACHINE
        ),
        Column(
            "output_transform",
            "",
            Kind.COUNT,
            attrgetter("output_transform"),
            show=Audience.MACHINE,
        ),
        Column(
            "filter_transform",
            "",
            Kind.COUNT,
            attrgetter("filter_transform"),
            show=Audience.MACHINE,
        ),
        Column("mults_ratio", "mults ratio", Kind.RATE, attrgetter("mults_ratio")),
        Column("direct_flops", "", Kind.COUNT, attrgetter("direct_flops"), show=Audience.MACHINE),
        Column(
            "winograd_flops", "", Kind.COUNT, attrgetter("winograd_flops"), show=Audience.MACHINE
        ),
        Column("flops_ratio", "FLOPs ratio", Kind.RATE, attrgetter("flops_ratio")),
        Column("reason", "", Kind.TEXT, attrgetter("reason"), show=Audience.MACHINE),
    ]


def _notes(t: WinogradTransforms) -> list[str]:
    tile = tile_cost(t.m)
    return [
        f"{t.name} (Lavin & Gray 2016): {tile.winograd} multiplications per "
        f"{t.m}x{t.m} output tile and channel pair instead of {tile.direct}; tiles = "
        f"ceil(Hout/{t.m}) x ceil(Wout/{t.m}), a ragged edge padded to a whole tile",
        f"transforms per tile: input {_ops(tile.input_transform)} per input channel, output "
        f"{_ops(tile.output_transform)} per output channel (naive counts from the matrices; "
        "optimized kernels do fewer); the filter transform "
        f"({_ops(tile.filter_transform)} per filter) is done once, offline, and is not in "
        "'transforms'",
        "FLOPs ratio = direct FLOPs (2 x MACs) / Winograd FLOPs (2 x multiplications + "
        "transforms); ratios are direct over Winograd, above 1 where Winograd does less",
    ]


def _ops(ops: formulas.TransformOps) -> str:
    adds = f"{ops.adds} adds"
    return adds if not ops.mults else f"{adds} + {ops.mults} mults"


def depthwise_line(m: int = 2) -> str:
    """Why Winograd does not pay for a depthwise layer, per tile of F(m x m, 3x3)."""
    tile = tile_cost(m)
    direct_flops = formulas.flops(tile.direct)
    winograd_flops = formulas.flops(tile.winograd) + tile.added
    return (
        f"depthwise: {tile.saved} multiplications saved per tile, {tile.added} transform "
        f"operations added: with one channel per group, each tile's input transform "
        f"({_ops(tile.input_transform)}) serves one output channel and its output transform "
        f"({_ops(tile.output_transform)}) one input channel, so a tile takes "
        f"{winograd_flops} FLOPs against {direct_flops} direct (real libraries run depthwise "
        "layers directly)"
    )


# --- convcost layer: the four kinds ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LayerWinograd:
    """``convcost layer --algo winograd``: the four kinds of a Comparison, each counted
    directly and, where it is a 3x3 stride-1 dilation-1 convolution, by Winograd."""

    algorithm: WinogradTransforms
    rows: tuple[WinogradRow, ...]

    def table(self) -> Table:
        return Table("winograd", f"Winograd {self.algorithm.name}", _columns(), self.rows, False)

    def notes(self) -> list[str]:
        lines = _notes(self.algorithm)
        lines += [f"{row.name}: direct ({row.reason})" for row in self.rows if row.reason]
        if any(row.name == "depthwise" and not row.reason for row in self.rows):
            lines.append(depthwise_line(self.algorithm.m))
        if any(row.name == "separable" and not row.reason for row in self.rows):
            lines.append("separable: Winograd on its depthwise stage, the pointwise stage direct")
        return lines


def layer_winograd(comparison: Comparison, tile: int = 2) -> LayerWinograd:
    """The four kinds of ``comparison`` under F(tile x tile, 3x3). Needs numeric H, W, Cin
    and Cout (the tiles round up); a ConvcostError otherwise."""
    t = transforms(tile)
    if comparison.symbolic or not isinstance(comparison.cout, int):
        raise ConvcostError(
            "Winograd counts whole tiles: give the height, width and channels", field="algo"
        )
    cin = _int(comparison.input[-1])
    kinds = {row.name: row for row in comparison.rows}

    def counted(row: KindCost, cin: int, groups: int) -> WinogradRow:
        reason = why_not(row.kernel, row.stride, comparison.dilation)
        if reason:
            (hout, wout, cout), (kh, kw) = row.output, row.kernel
            macs = formulas.conv_macs(hout, wout, cin, cout, kh, kw, groups)
            return WinogradRow(row.name, row.type, row.output, macs, macs, reason=reason)
        return convolution(row.name, row.type, row.output, cin, groups, t)

    standard = counted(kinds["standard"], cin, comparison.groups)
    depthwise = counted(kinds["depthwise"], cin, cin)
    pointwise = counted(kinds["pointwise"], cin, 1)
    return LayerWinograd(
        t, (standard, depthwise, pointwise, _separable(kinds["separable"], depthwise, pointwise))
    )


def _separable(row: KindCost, depthwise: WinogradRow, pointwise: WinogradRow) -> WinogradRow:
    """Depthwise then pointwise, row by row: Winograd where the depthwise stage takes it."""
    return depthwise._replace(
        name=row.name,
        category=row.type,
        output=row.output,
        direct=depthwise.direct + pointwise.direct,
        winograd=depthwise.winograd + pointwise.winograd,
    )


# --- convcost net: every eligible row, and the network under Winograd ---------------------


def _sum(name: str, rows: Sequence[WinogradRow], direct: int, winograd: int) -> WinogradRow:
    """A row of sums: the transforms of ``rows``, with ``direct`` and ``winograd``."""
    return WinogradRow(
        name,
        "",
        (),
        direct,
        winograd,
        None,
        sum(r.input_transform for r in rows),
        sum(r.output_transform for r in rows),
        sum(r.filter_transform for r in rows),
    )


@dataclass(frozen=True, slots=True)
class NetworkWinograd:
    """``convcost net --algo winograd``: each 3x3 stride-1 dilation-1 convolution of a
    report, and the network with those layers run by Winograd (every other row's MACs as the
    report counts them)."""

    network: str
    algorithm: WinogradTransforms
    rows: tuple[WinogradRow, ...]
    macs: int  # the report's total MACs, every layer direct

    @property
    def layers(self) -> WinogradRow:
        """The sums over :attr:`rows`: the eligible layers alone."""
        direct = sum(r.direct for r in self.rows)
        return _sum("total", self.rows, direct, sum(r.winograd for r in self.rows))

    @property
    def total(self) -> WinogradRow:
        """The whole network: ``direct`` is its MACs, ``winograd`` its multiplications with
        the eligible layers by Winograd."""
        layers = self.layers
        winograd = self.macs - layers.direct + layers.winograd
        return _sum(self.network, self.rows, self.macs, winograd)

    def table(self) -> Table:
        """Each eligible row; the footer sums them."""
        layers = self.layers
        blank = {"category", "output", "tiles", "reason"}
        columns = [c if c.key in blank else c._replace(footer=c.value(layers)) for c in _columns()]
        title = f"{self.network}: {len(self.rows)} layers by Winograd {self.algorithm.name}"
        return Table("winograd", title, columns, self.rows)

    def totals_table(self) -> Table:
        """The whole network, direct and with the eligible layers by Winograd."""
        total = self.total

        def read(attr: str) -> Any:
            return lambda _: getattr(total, attr)

        return Table(
            "winograd_totals",
            f"{self.network} with --algo winograd",
            [
                Column("algorithm", "algorithm", Kind.TEXT, lambda _: self.algorithm.name),
                Column("layers", "layers", Kind.NUMBER, lambda _: len(self.rows)),
                Column("macs", "MACs", Kind.COUNT, read("direct")),
                Column("winograd_mults", "Winograd mults", Kind.COUNT, read("winograd")),
                Column("transforms", "transforms", Kind.COUNT, read("transforms")),
                Column(
                    "filter_transform", "filter transform", Kind.COUNT, read("filter_transform")
                ),
                Column("mults_ratio", "mults ratio", Kind.RATE, read("mults_ratio")),
                Column("flops", "FLOPs", Kind.COUNT, read("direct_flops")),
                Column("winograd_flops", "Winograd FLOPs", Kind.COUNT, read("winograd_flops")),
                Column("flops_ratio", "FLOPs ratio", Kind.RATE, read("flops_ratio")),
            ],
            [self],
            has_footer=False,
            record=True,
        )

    def notes(self) -> list[str]:
        if not self.rows:
            return ["no 3x3 stride-1 dilation-1 convolution: every layer runs directly"]
        lines = _notes(self.algorithm)
        if any(r.category.startswith("Conv DW") for r in self.rows):
            lines.append(depthwise_line(self.algorithm.m))
        lines.append(
            "the totals: the network's MACs, and its multiplications with these layers by "
            "Winograd; the filter transform is offline, in neither FLOPs figure"
        )
        return lines


def network_winograd(report: Report, tile: int = 2) -> NetworkWinograd:
    """Every 3x3, stride-1, dilation-1 2-D convolution of ``report`` by F(tile x tile, 3x3).
    Needs numeric shapes."""
    t = transforms(tile)
    rows = []
    for row in report.rows:
        layer = row.layer
        if (
            isinstance(layer, Conv2d)
            and len(row.input) == 3
            and not why_not(layer.k, layer.stride, layer.dilation)
        ):
            cin = _int(row.input[-1])
            rows.append(convolution(row.name, row.category, row.output, cin, layer.groups, t))
    return NetworkWinograd(report.network, t, tuple(rows), _int(report.totals.macs))


def _ratio(direct: int, winograd: int) -> Fraction:
    """direct / winograd; 1 where there is nothing to count (a network without MACs)."""
    return Fraction(direct, winograd) if winograd else Fraction(1)


def _int(value: Any) -> int:
    if not isinstance(value, int):
        raise ConvcostError("Winograd counts whole tiles: it needs numeric shapes", field="input")
    return value
