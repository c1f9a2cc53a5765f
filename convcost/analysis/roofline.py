"""Roofline: how long each row takes on a device, and whether compute or memory bounds it.

For a row of FLOPs F and traffic B bytes (:mod:`convcost.analysis.memory`: weights, inputs and
output, each read or written once) on a device (:mod:`convcost.devices`) at data type d:

- compute time = F / (peak[d] x efficiency[kind]);
- memory time = (B - W) / (bandwidth x memory_efficiency[kind]) + W / (bandwidth x
  weight_efficiency[kind]), W the row's weight bytes (weight_efficiency is memory_efficiency
  where the profile gives none, and then memory time = B / (bandwidth x memory_efficiency));
- time = overhead[kind] + max(compute time, memory time) (the profile's overhead of a row, one
  for every kind or one per kind); the row is compute-bound where its compute time is at least
  its memory time, memory-bound otherwise;
- attainable FLOP/s = F / (time - overhead) = min(peak x eff, intensity x bandwidth x mem_eff)
  where the weights move at mem_eff, intensity = F / B (Williams, Waterman and Patterson 2009,
  "Roofline");
- a network's time is the sum of its rows' (run one after another, unfused, as PyTorch's
  eager mode runs them).

``kind`` is the row's kind (:func:`row_kind`), the key of a profile's efficiencies. A row
that moves nothing (a view: flatten, dropout) takes only the overhead and is bound by neither.
Times are exact Fractions of a second.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from operator import attrgetter
from typing import TYPE_CHECKING, NamedTuple

from convcost import formulas
from convcost.analysis.memory import bytes_per_value, memory
from convcost.errors import ConvcostError
from convcost.layers import LayerKind
from convcost.tables import Column, Kind, Table

if TYPE_CHECKING:
    from convcost.analysis.separable import Comparison, KindCost
    from convcost.devices import Device
    from convcost.network import LayerCost, Report

_POOLS = frozenset({LayerKind.MAXPOOL, LayerKind.AVGPOOL, LayerKind.ADAPTIVE_AVGPOOL})
# A global pool reads its input once, in order, and writes C values: on a CPU it runs at
# about ten times a windowed max pool's bytes/s, so it is a kind of its own.
_GLOBAL_POOLS = frozenset({LayerKind.GLOBAL_AVGPOOL, LayerKind.GLOBAL_MAXPOOL})


def row_kind(row: LayerCost) -> str:
    """The row's kind for a roofline (``devices.ROW_KINDS``): ``pointwise`` (a 1x1 convolution,
    groups 1), ``conv`` (any other ungrouped convolution), ``depthwise`` (groups = input
    channels > 1), ``grouped``, ``conv_transpose``, ``linear``, ``pool`` (max, average and
    adaptive pools), ``global_pool``, else ``elementwise`` (norms, activations, adds, concat,
    shuffles, views, ...)."""
    kind = row.kind
    if kind is LayerKind.CONV2D:
        return conv_kind(row.layer.k, row.layer.groups, row.inputs[0][-1])  # type: ignore[union-attr]
    if kind is LayerKind.CONV_TRANSPOSE2D:
        return "conv_transpose"
    if kind is LayerKind.LINEAR:
        return "linear"
    if kind in _POOLS:
        return "pool"
    if kind in _GLOBAL_POOLS:
        return "global_pool"
    return "elementwise"


def conv_kind(k: tuple[int, ...], groups: int, cin: object) -> str:
    """``pointwise``, ``conv``, ``depthwise`` or ``grouped`` for a convolution."""
    if groups == 1:
        return "pointwise" if all(side == 1 for side in k) else "conv"
    return "depthwise" if groups == cin else "grouped"


class RooflineRow(NamedTuple):
    """One row on the device: its FLOPs and bytes, the two times, the time and the bound."""

    name: str
    kind: str
    flops: int
    traffic: int
    compute_time: Fraction
    memory_time: Fraction
    time: Fraction
    bound: str  # "compute", "memory", or "none" for a row that moves nothing
    overhead: Fraction = Fraction(0)  # the fixed part of ``time``

    @property
    def intensity(self) -> Fraction | None:
        """FLOPs per byte; None for a row that moves nothing."""
        return Fraction(self.flops, self.traffic) if self.traffic else None

    @property
    def attainable(self) -> Fraction | None:
        """FLOP/s attained: FLOPs / (time - overhead); None for a row without FLOPs."""
        busy = self.time - self.overhead
        return Fraction(self.flops) / busy if self.flops and busy else None


def estimate(
    name: str, kind: str, flops: int, traffic: int, device: Device, dtype: str, weights: int = 0
) -> RooflineRow:
    """The roofline of one row (module docstring); ``weights`` of its ``traffic`` bytes are its
    weights."""
    return _estimate(name, kind, flops, traffic, weights, _rates(device, dtype, kind))


# A row kind's rates on a device: FLOP/s, bytes/s, weight bytes/s, and its overhead in seconds.
_Rates = tuple[Fraction, Fraction, Fraction, Fraction]


def _rates(device: Device, dtype: str, kind: str) -> _Rates:
    return (
        device.compute_rate(dtype, kind),
        device.memory_rate(kind),
        device.weight_rate(kind),
        device.overhead(kind),
    )


def _estimate(
    name: str, kind: str, flops: int, traffic: int, weights: int, rates: _Rates
) -> RooflineRow:
    compute_rate, memory_rate, weight_rate, overhead = rates
    compute = Fraction(flops) / compute_rate
    moving = Fraction(traffic - weights) / memory_rate + Fraction(weights) / weight_rate
    if not flops and not traffic:
        bound = "none"
    else:
        bound = "compute" if compute >= moving else "memory"
    time = overhead + max(compute, moving)
    return RooflineRow(name, kind, flops, traffic, compute, moving, time, bound, overhead)


def traffic(params: int, buffers: int, inputs: int, output: int, dtype: str, batch: int) -> int:
    """Bytes a layer moves, as :mod:`convcost.analysis.memory` counts them: (params + buffers)
    x b + N x b x (input elements + output elements), b the bytes of ``dtype``."""
    size = bytes_per_value(dtype)
    return (params + buffers) * size + batch * size * (inputs + output)


@dataclass(frozen=True, slots=True)
class Roofline:
    """What ``convcost net --device`` prints: each row's roofline and the network's time."""

    network: str
    device: Device
    dtype: str
    batch: int
    rows: tuple[RooflineRow, ...]

    @property
    def time(self) -> Fraction:
        """Seconds for the whole network, the rows one after another."""
        return sum((row.time for row in self.rows), Fraction(0))

    @property
    def flops(self) -> int:
        return sum(row.flops for row in self.rows)

    @property
    def traffic(self) -> int:
        return sum(row.traffic for row in self.rows)

    def share(self, bound: str) -> Fraction:
        """The share of the network's time spent in rows that ``bound`` ("compute" or
        "memory") limits."""
        total = self.time
        part = sum((row.time for row in self.rows if row.bound == bound), Fraction(0))
        return part / total if total else Fraction(0)

    @property
    def ridge(self) -> Fraction:
        """The device's ridge point at this data type for a plain convolution, FLOPs/byte."""
        return self.device.ridge(self.dtype)

    def table(self) -> Table:
        """One row per layer: kind, FLOPs, traffic, intensity, attainable GFLOP/s, bound and
        the estimated time (ms), the sums in the footer."""
        return Table(
            "roofline",
            f"{self.network} on {self.device.name}: {self.dtype}, batch {self.batch}, ridge "
            f"{float(self.ridge):.2f} FLOPs/byte",
            roofline_columns(self.flops, self.traffic, self.time),
            self.rows,
        )

    def totals_table(self) -> Table:
        """The network's estimated time and how much of it each bound takes."""
        return Table(
            "roofline_totals",
            "Roofline",
            [
                Column("device", "device", Kind.TEXT, lambda _: self.device.name),
                Column("dtype", "dtype", Kind.TEXT, lambda _: self.dtype),
                Column("batch", "batch", Kind.NUMBER, lambda _: self.batch),
                Column("time_ms", "time ms", Kind.RATE, lambda _: self.time * 1000),
                Column(
                    "compute_share",
                    "compute %",
                    Kind.SHARE,
                    lambda _: self.share("compute"),
                ),
                Column("memory_share", "memory %", Kind.SHARE, lambda _: self.share("memory")),
                Column("ridge", "ridge", Kind.RATE, lambda _: self.ridge),
            ],
            [self],
            has_footer=False,
            record=True,
        )


def roofline_columns(flops: int, moved: int, time: Fraction | None) -> list[Column]:
    """The columns of a roofline table, with the totals ``flops``, ``moved`` and ``time``."""
    return [
        Column("name", "name", Kind.TEXT, attrgetter("name"), "total"),
        Column("kind", "kind", Kind.TEXT, attrgetter("kind")),
        Column("flops", "FLOPs", Kind.COUNT, attrgetter("flops"), flops),
        Column("traffic", "traffic", Kind.BYTES, attrgetter("traffic"), moved),
        Column(
            "intensity",
            "intensity",
            Kind.RATE,
            attrgetter("intensity"),
            Fraction(flops, moved) if moved else None,
        ),
        Column("gflops", "GFLOPS", Kind.RATE, lambda row: _giga(row.attainable)),
        Column("bound", "bound", Kind.TEXT, attrgetter("bound")),
        Column(
            "time_us",
            "time us",
            Kind.RATE,
            lambda row: row.time * 10**6,
            None if time is None else time * 10**6,
        ),
    ]


def _giga(value: Fraction | None) -> Fraction | None:
    return None if value is None else value / 10**9


def roofline(report: Report, device: Device, dtype: str = "fp32", batch: int = 1) -> Roofline:
    """Every row of ``report`` on ``device`` at ``dtype`` and batch ``batch``."""
    device.peak(dtype)  # the device has this data type, else a ConvcostError naming --dtype
    bytes_of = memory(report, dtype, batch)
    rates: dict[str, _Rates] = {}  # each kind's, worked out once
    rows = []
    for row, moved in zip(report.rows, bytes_of.rows, strict=True):
        kind = row_kind(row)
        if kind not in rates:
            rates[kind] = _rates(device, dtype, kind)
        rows.append(
            _estimate(row.name, kind, moved.flops, moved.traffic, moved.weights, rates[kind])
        )
    return Roofline(report.network, device, dtype, batch, tuple(rows))


@dataclass(frozen=True, slots=True)
class LayerRoofline:
    """``convcost layer --device``: the four ways of building one layer on a device, and the
    predicted speedup of separable over standard beside the MAC ratio R."""

    comparison: Comparison
    device: Device
    dtype: str
    batch: int
    rows: tuple[RooflineRow, ...]  # standard, depthwise, pointwise, separable

    def row(self, name: str) -> RooflineRow:
        return next(row for row in self.rows if row.name == name)

    @property
    def speedup(self) -> Fraction:
        """Predicted time of standard / time of separable."""
        return self.row("standard").time / self.row("separable").time

    def table(self) -> Table:
        """The four kinds' rooflines (separable = depthwise + pointwise, run one after the
        other)."""
        return Table(
            "roofline",
            f"On {self.device.name}: {self.dtype}, batch {self.batch}, ridge "
            f"{float(self.device.ridge(self.dtype)):.2f} FLOPs/byte",
            roofline_columns(0, 0, None),
            self.rows,
            has_footer=False,
        )

    def speedup_table(self) -> Table:
        """R = separable / standard MACs, 1/R (the speedup the MACs promise) and the predicted
        speedup, standard / separable time: each exact, then as a decimal."""
        ratio = self.comparison.macs_ratio
        return Table(
            "speedup",
            "Separable over standard",
            [
                Column("r", "R", Kind.RATIO, lambda _: ratio),
                Column("macs_speedup", "MACs speedup", Kind.RATE, lambda _: 1 / Fraction(ratio)),
                Column("predicted", "predicted", Kind.RATIO, lambda _: self.speedup),
                Column("predicted_speedup", "predicted speedup", Kind.RATE, lambda _: self.speedup),
            ],
            [self],
            has_footer=False,
        )


def layer_roofline(
    comparison: Comparison, device: Device, dtype: str = "fp32", batch: int = 1
) -> LayerRoofline:
    """Standard, depthwise, pointwise and separable of ``comparison`` on ``device``; separable
    is its two stages one after the other (times, FLOPs and bytes summed), bound as the longer
    stage is. Needs numeric sizes (--cin, --cout, --h, --w)."""
    device.peak(dtype)
    rows = [
        _layer_row(comparison.row(name), comparison, device, dtype, batch)
        for name in ("standard", "depthwise", "pointwise")
    ]
    depthwise, pointwise = rows[1], rows[2]
    compute = depthwise.compute_time + pointwise.compute_time
    moving = depthwise.memory_time + pointwise.memory_time
    separable = RooflineRow(
        "separable",
        "dw+pw",
        depthwise.flops + pointwise.flops,
        depthwise.traffic + pointwise.traffic,
        compute,
        moving,
        depthwise.time + pointwise.time,
        max(depthwise, pointwise, key=attrgetter("time")).bound,  # the longer stage's
        depthwise.overhead + pointwise.overhead,
    )
    return LayerRoofline(comparison, device, dtype, batch, (*rows, separable))


def _layer_row(
    row: KindCost, comparison: Comparison, device: Device, dtype: str, batch: int
) -> RooflineRow:
    counts = (row.params, row.macs, *row.input, *row.output)
    if not all(isinstance(count, int) for count in counts):
        raise ConvcostError(
            "a roofline needs numbers: give --cin, --cout, --h and --w", field="--device"
        )
    cin = row.input[-1]
    kind = conv_kind(row.kernel, row.groups or 1, cin)
    flops = int(formulas.flops(row.macs)) * batch
    moved = traffic(
        int(row.params),
        0,
        int(formulas.product(row.input)),
        int(formulas.product(row.output)),
        dtype,
        batch,
    )
    weights = int(row.params) * bytes_per_value(dtype)
    return estimate(row.name, kind, flops, moved, device, dtype, weights)


def devices_table(devices: list[Device]) -> Table:
    """``convcost devices``: each profile's dense peaks (GFLOP/s; int8 GOP/s), bandwidth (GB/s)
    and ridge point at fp32 (FLOPs per byte), a blank where it has no such peak."""

    def peak(dtype: str) -> Column:
        return Column(dtype, dtype, Kind.RATE, lambda d: d.peak_gflops.get(dtype))

    return Table(
        "devices",
        "Device profiles: dense peaks in GFLOP/s (int8: GOP/s), bandwidth in GB/s",
        [
            Column("name", "name", Kind.TEXT, attrgetter("name")),
            *(peak(dtype) for dtype in ("fp32", "fp16", "bf16", "int8")),
            Column("bandwidth", "bandwidth", Kind.RATE, attrgetter("bandwidth_gbs")),
            Column(
                "ridge_fp32",
                "ridge fp32",
                Kind.RATE,
                lambda d: d.ridge("fp32") if "fp32" in d.peak_gflops else None,
            ),
            Column("description", "description", Kind.TEXT, attrgetter("description")),
        ],
        devices,
        has_footer=False,
    )
