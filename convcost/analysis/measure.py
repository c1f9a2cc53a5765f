"""Measured latency: a report's rows built as PyTorch modules and timed on this machine.

Each row becomes the module PyTorch would run for it, from the layer's hyper-parameters alone
(:func:`module`): a convolution with its groups, dilation and padding (convcost's ``same`` is
TensorFlow's, ceil(H/S) with the extra row and column at the bottom and right, so it is an
explicit zero pad before an unpadded convolution), BatchNorm in eval mode, the activation by
its function, the pools with ``ceil_mode`` and ``count_include_pad``, and so on. Tensors are
PyTorch's channels-first ``(N, C, *spatial)``; a row's ``(H, W, C)`` is ``(N, C, H, W)``.

The rows run as a graph over their tensor identities (``LayerCost.tensors`` -> ``tensor``,
the input is tensor 0), so the whole network runs as PyTorch's eager mode runs it, one module
after another. :func:`build` checks what it built: the network's output shape equals the
report's, and the modules' parameters add up to the report's params.

A measurement (:func:`measure`) times each row alone on a random input of its shapes and the
whole network, each ``warmup`` times unrecorded and then ``repeats`` times, and keeps the
median; it states the thread count (``torch.set_num_threads``), the batch, the device and the
repeats. torch is imported inside the functions that need it only: the core never imports it.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import partial
from typing import TYPE_CHECKING, Any

from convcost import layers as L
from convcost.errors import ConvcostError
from convcost.layers import LayerKind
from convcost.tables import Column, Kind, Table

if TYPE_CHECKING:
    from convcost.analysis.separable import Comparison
    from convcost.network import LayerCost, Report

INSTALL = "{} needs PyTorch: pip install 'convcost[measure]'"
NANOSECOND = Fraction(1, 10**9)


def torch_missing() -> bool:
    """True when PyTorch cannot be imported (``--measure`` then stops before any work)."""
    return importlib.util.find_spec("torch") is None


def load_torch() -> Any:
    """PyTorch, or a ConvcostError saying how to install it."""
    try:
        return importlib.import_module("torch")
    except ImportError:
        raise ConvcostError(INSTALL.format("--measure")) from None


# --- building modules -------------------------------------------------------------------------


def _same_pads(
    sizes: Sequence[int], k: Sequence[int], stride: Sequence[int], dilation: Sequence[int]
) -> tuple[int, ...]:
    """TensorFlow's ``same`` as ``F.pad`` wants it, last axis first: per axis the total
    padding max((ceil(H/S) - 1)S + D(K - 1) + 1 - H, 0), half before, the rest after."""
    pads: list[int] = []
    for size, kk, s, d in reversed(list(zip(sizes, k, stride, dilation, strict=True))):
        out = -(-size // s)
        total = max((out - 1) * s + d * (kk - 1) + 1 - size, 0)
        pads += [total // 2, total - total // 2]
    return tuple(pads)


def _activation(torch: Any, function: str) -> Any:
    nn = torch.nn
    modules: dict[str, Callable[[], Any]] = {
        "relu": nn.ReLU,
        "relu6": nn.ReLU6,
        "hswish": nn.Hardswish,
        "hsigmoid": nn.Hardsigmoid,
        "sigmoid": nn.Sigmoid,
        "swish": nn.SiLU,
        "silu": nn.SiLU,
        "tanh": nn.Tanh,
        "gelu": nn.GELU,
        "leaky_relu": nn.LeakyReLU,
    }
    if function not in modules:
        raise ConvcostError(f"no PyTorch module for the activation {function!r}", field="act")
    return modules[function]()


def module(row: LayerCost) -> Any:
    """The ``torch.nn.Module`` that computes ``row`` on channels-first tensors."""
    torch = load_torch()
    nn = torch.nn
    layer = L.fit(row.layer, len(row.inputs[0]) - 1)
    sizes = row.inputs[0][:-1]
    c = row.inputs[0][-1]
    axes = len(sizes)
    if isinstance(layer, L.Conv2d):
        conv = (nn.Conv1d, nn.Conv2d, nn.Conv3d)[axes - 1]
        padding: Any = (0,) * axes if layer.padding in ("same", "valid") else layer.padding
        built = conv(
            c, layer.cout, layer.k, layer.stride, padding, layer.dilation, layer.groups, layer.bias
        )
        if layer.padding == "same":
            pads = _same_pads(sizes, layer.k, layer.stride, layer.dilation)
            return nn.Sequential(_lambda(lambda x: torch.nn.functional.pad(x, pads)), built)
        return built
    if isinstance(layer, L.ConvTranspose2d):
        conv = (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)[axes - 1]
        return conv(
            c,
            layer.cout,
            layer.k,
            layer.stride,
            layer.padding,
            layer.output_padding,
            layer.groups,
            layer.bias,
            layer.dilation,
        )
    if isinstance(layer, L.Linear):
        linear = nn.Linear(c, layer.fout, layer.bias)
        return _lambda(lambda x: linear(x.movedim(1, -1)).movedim(-1, 1), linear)
    if isinstance(layer, L.BatchNorm):
        return (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)[axes - 1](c)
    if isinstance(layer, L.Activation):
        return _activation(torch, layer.function)
    if isinstance(layer, L.PReLU):
        return nn.PReLU(layer.num_parameters)
    if isinstance(layer, L.Pool):
        return _pool(torch, layer, sizes)
    if isinstance(layer, L.GlobalPool):
        if layer.call == "mean":
            dims = tuple(range(2, 2 + axes))
            return _lambda(lambda x: x.mean(dims, keepdim=True))
        pools = (
            (nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d)
            if layer.kind is LayerKind.GLOBAL_MAXPOOL
            else (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d)
        )
        return pools[axes - 1](1)
    if isinstance(layer, L.AdaptivePool):
        return (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d)[axes - 1](
            layer.size
        )
    if isinstance(layer, L.Flatten):
        ones = (1,) * axes
        return _lambda(lambda x: x.reshape(x.shape[0], -1, *ones))
    if isinstance(layer, L.Dropout):
        return nn.Dropout(layer.p)
    if isinstance(layer, L.ChannelShuffle):
        return nn.ChannelShuffle(layer.groups)
    if isinstance(layer, L.Upsample):
        return nn.Upsample(layer.size, layer.scale_factor, layer.mode, layer.align_corners)
    if isinstance(layer, L.PixelShuffle):
        if layer.kind is LayerKind.PIXEL_SHUFFLE:
            return nn.PixelShuffle(layer.factor)
        return nn.PixelUnshuffle(layer.factor)
    if isinstance(layer, L.Pad):
        return nn.ZeroPad2d((layer.left, layer.right, layer.top, layer.bottom))
    if isinstance(layer, L.Norm):
        return _norm(torch, layer, c, axes)
    if isinstance(layer, L.LayerScale):
        return _layer_scale(torch, c, axes)
    if isinstance(layer, L.Merge):
        merges: dict[LayerKind, Callable[..., Any]] = {
            LayerKind.ADD: lambda *xs: sum(xs[1:], xs[0]),
            LayerKind.MULTIPLY: lambda a, b: a * b,
            LayerKind.CONCAT: lambda *xs: torch.cat(xs, 1),
        }
        return _lambda(merges[layer.kind])
    raise ConvcostError(f"no PyTorch module for layer kind {layer.kind.value!r}")


def _pool(torch: Any, layer: L.Pool, sizes: Sequence[int]) -> Any:
    nn = torch.nn
    axes = len(sizes)
    is_max = layer.kind is LayerKind.MAXPOOL
    if layer.padding == "same":
        pads = _same_pads(sizes, layer.k, layer.stride, (1,) * axes)
        pool = (
            (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d)[axes - 1](layer.k, layer.stride)
            if is_max
            else (nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d)[axes - 1](layer.k, layer.stride)
        )
        fill = float("-inf") if is_max else 0.0
        return nn.Sequential(_lambda(lambda x: torch.nn.functional.pad(x, pads, value=fill)), pool)
    padding = (0,) * axes if layer.padding == "valid" else layer.padding
    if is_max:
        return (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d)[axes - 1](
            layer.k, layer.stride, padding, ceil_mode=layer.ceil_mode
        )
    return (nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d)[axes - 1](
        layer.k,
        layer.stride,
        padding,
        ceil_mode=layer.ceil_mode,
        count_include_pad=layer.count_include_pad,
    )


def _norm(torch: Any, layer: L.Norm, c: int, axes: int) -> Any:
    nn = torch.nn
    if layer.kind is LayerKind.LAYERNORM:
        # over C at each position (ConvNeXt's LayerNorm2d): channels last, normalise, back
        norm = nn.LayerNorm(c, layer.eps, layer.affine, bias=layer.bias and layer.affine)
        return _lambda(lambda x: norm(x.movedim(1, -1)).movedim(-1, 1), norm)
    if layer.kind is LayerKind.GROUPNORM:
        return nn.GroupNorm(layer.groups, c, layer.eps, layer.affine)
    instance = (nn.InstanceNorm1d, nn.InstanceNorm2d, nn.InstanceNorm3d)[axes - 1]
    return instance(
        c, layer.eps, affine=layer.affine, track_running_stats=layer.track_running_stats
    )


@functools.cache
def _lambda_type() -> Any:
    """``Lambda``, a module class made once, when torch is first needed."""
    module_type: Any = load_torch().nn.Module

    class Lambda(module_type):  # type: ignore[misc]
        """A module computing ``function``, holding ``children`` (their parameters count)."""

        def __init__(self, function: Callable[..., Any], children: Sequence[Any]) -> None:
            super().__init__()
            self.function = function
            self.parts = load_torch().nn.ModuleList(children)

        def forward(self, *xs: Any) -> Any:
            return self.function(*xs)

    return Lambda


def _lambda(function: Callable[..., Any], *children: Any) -> Any:
    """A module computing ``function``, holding ``children`` (so their parameters count)."""
    return _lambda_type()(function, children)


def _layer_scale(torch: Any, c: int, axes: int) -> Any:
    """ConvNeXt's ``gamma * x``, one gamma per channel."""
    gamma = torch.nn.Parameter(torch.full((c, *(1,) * axes), 1e-6))
    scale = _lambda(lambda x: gamma * x)
    scale.gamma = gamma
    return scale


# --- the network as a graph -------------------------------------------------------------------


_now = time.perf_counter_ns


@dataclass(frozen=True, slots=True)
class Built:
    """A report's rows as modules, runnable as the network (:meth:`run`)."""

    report: Report
    modules: tuple[Any, ...]

    @property
    def params(self) -> int:
        """The parameters of every module, counted as torchvision counts them."""
        return sum(p.numel() for m in self.modules for p in m.parameters())

    def run(self, x: Any, times: list[int] | None = None, clock: Callable[[], int] = _now) -> Any:
        """The network's output for the input ``x``: each row reads its input tensors and
        writes its own; a tensor is dropped after the last row that reads it. With ``times``,
        each row's time (``clock`` ticks, nanoseconds) is appended to it as it runs."""
        rows = self.report.rows
        last = {t: i for i, row in enumerate(rows) for t in row.tensors}
        values = {0: x}
        for i, (row, mod) in enumerate(zip(rows, self.modules, strict=True)):
            start = clock() if times is not None else 0
            values[row.tensor] = mod(*map(_part, (values[t] for t in row.tensors), row.inputs))
            if times is not None:
                times.append(clock() - start)
            for t in row.tensors:
                if last[t] == i and t != row.tensor:
                    values.pop(t, None)
        return values[rows[-1].tensor] if rows else x


def _part(x: Any, shape: Sequence[int]) -> Any:
    """``x``, or where a row reads a channel split of it (ShuffleNetV2's unit) the first
    ``C`` channels: a view, as ``x.chunk(2, dim=1)`` is (the rows do not say which part, and
    the part does not change the time)."""
    return x if x.shape[1] == shape[-1] else x[:, : shape[-1]]


def build(report: Report, device: str = "cpu") -> Built:
    """Every row of ``report`` as a module in eval mode on ``device``, checked: the modules'
    params equal the report's params. (The output shape is checked by :func:`measure`.)
    On the ``meta`` device no memory is allocated: the modules are checked, not run."""
    torch = load_torch()
    with torch.device(device):
        modules = tuple(module(row).eval() for row in report.rows)
    built = Built(report, modules)
    if built.params != report.totals.params:
        raise ConvcostError(
            f"the PyTorch modules have {built.params:,} params, the report {report.totals.params:,}"
        )
    return built


def channels_first(shape: Sequence[int], batch: int) -> tuple[int, ...]:
    """convcost's ``(*spatial, C)`` as PyTorch's ``(N, C, *spatial)``."""
    return (batch, shape[-1], *shape[:-1])


# --- timing -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Timing:
    """One row's measured times, nanoseconds: ``alone`` on random inputs of its shapes, run
    again and again (its weights and inputs stay in cache), and ``in_network`` where it ran
    inside the whole network (its input just written, its weights cold, its output freshly
    allocated). The network's own Timing holds its runs in both."""

    name: str
    category: str
    alone: tuple[int, ...]
    in_network: tuple[int, ...]

    @property
    def seconds(self) -> Fraction:
        """The median time alone, in seconds (exact: the median of integer nanoseconds)."""
        return _median(self.alone)

    @property
    def network_seconds(self) -> Fraction:
        """The median time inside the network, in seconds."""
        return _median(self.in_network)

    @property
    def least(self) -> Fraction:
        """The fastest run inside the network, in seconds: on a machine that others share,
        the least disturbed one (the advice of Python's ``timeit``). Calibration and
        benchmarks/bench_latency.py use it; the tables show the median."""
        return min(self.in_network, default=0) * NANOSECOND


def _median(samples: Sequence[int]) -> Fraction:
    return Fraction(statistics.median(samples)) * NANOSECOND if samples else Fraction(0)


@dataclass(frozen=True, slots=True)
class Measurement:
    """What ``--measure`` prints: each row's time alone and the whole network's (None when
    it was not timed), with the machine, device, thread count, batch and repeats."""

    network: str
    machine: str
    device: str
    threads: int
    batch: int
    warmup: int
    repeats: int
    torch_version: str
    rows: tuple[Timing, ...]
    network_time: Timing | None

    @property
    def rows_seconds(self) -> Fraction:
        """The sum of the rows' medians."""
        return sum((row.seconds for row in self.rows), Fraction(0))

    @property
    def seconds(self) -> Fraction:
        """The whole network's median, or the sum of the rows' where it was not timed."""
        return self.network_time.seconds if self.network_time else self.rows_seconds

    @property
    def conditions(self) -> str:
        """How it was measured, in one line (PRODUCT.md: the machine, threads and repeats)."""
        return (
            f"measured on this machine ({self.machine}, {self.device}, torch "
            f"{self.torch_version}): {self.threads} thread{'s' if self.threads != 1 else ''}, "
            f"batch {self.batch}, median of {self.repeats} runs after {self.warmup} warm-up"
        )

    def table(self, predicted: Sequence[Fraction] | None = None, device: str = "") -> Table:
        """One row per layer: its measured time alone and inside the network (where the
        network was timed), and beside them the ``predicted`` time of the same row (seconds, a
        roofline on ``device``) and the measured time over it, when given; the footer holds
        the whole network's time."""
        timed = self.network_time is not None
        rows = [
            (row, predicted[i] if predicted is not None else None)
            for i, row in enumerate(self.rows)
        ]

        def measured(r: tuple[Timing, Fraction | None]) -> Fraction:
            return r[0].network_seconds if timed else r[0].seconds

        columns = [
            Column("name", "name", Kind.TEXT, lambda r: r[0].name, "network"),
            Column("category", "category", Kind.TEXT, lambda r: r[0].category),
            Column(
                "alone_us",
                "alone us",
                Kind.RATE,
                lambda r: r[0].seconds * MICRO,
                self.rows_seconds * MICRO,
                note="alone: each row run by itself again and again (warm caches)",
            ),
        ]
        if timed:
            columns.append(
                Column(
                    "in_network_us",
                    "in network us",
                    Kind.RATE,
                    lambda r: r[0].network_seconds * MICRO,
                    self.seconds * MICRO,
                    note="in network: each row timed inside the whole network's runs; "
                    "the total is the network's own time",
                )
            )
        if predicted is not None:
            total = sum(predicted, Fraction(0))
            columns += [
                Column(
                    "predicted_us",
                    "predicted us",
                    Kind.RATE,
                    lambda r: r[1] * MICRO,
                    total * MICRO,
                    note=f"predicted: the roofline on {device}" if device else "",
                ),
                Column(
                    "ratio",
                    "ratio",
                    Kind.RATE,
                    lambda r: _ratio(measured(r), r[1]),
                    _ratio(self.seconds, total),
                    note=f"ratio: measured {'in network' if timed else 'alone'} over predicted",
                ),
            ]
        return Table("measured", self.conditions, columns, rows)


MICRO = 10**6  # microseconds per second


def _ratio(a: Fraction, b: Fraction | None) -> Fraction | None:
    return a / b if b else None


def _clock(torch: Any, device: str) -> Callable[[], int]:
    if device == "cuda":

        def synchronized() -> int:
            torch.cuda.synchronize()
            return time.perf_counter_ns()

        return synchronized
    return time.perf_counter_ns


def _samples(
    run: Callable[[], Any], clock: Callable[[], int], warmup: int, repeats: int
) -> tuple[int, ...]:
    for _ in range(warmup):
        run()
    samples = []
    for _ in range(repeats):
        start = clock()
        run()
        samples.append(clock() - start)
    return tuple(samples)


def torch_devices() -> list[str]:
    """Where ``--measure`` times: the CPU, and CUDA where ``torch.cuda.is_available()``."""
    return ["cpu", *(["cuda"] if load_torch().cuda.is_available() else [])]


def machine() -> str:
    """This machine's processor, as the platform module names it."""
    return platform.processor() or platform.machine() or "unknown"


def set_threads(threads: int) -> None:
    """``torch.set_num_threads(threads)``; a ConvcostError naming ``--threads`` below 1."""
    if threads < 1:
        raise ConvcostError(f"expected at least 1 thread, got {threads}", field="threads")
    load_torch().set_num_threads(threads)


def current_threads() -> int:
    """PyTorch's thread count now (``torch.get_num_threads()``)."""
    return int(load_torch().get_num_threads())


# The most memory a measurement may take: weights and live activations at fp32.
MAX_MEASURE_BYTES = 2**31


def check_size(report: Report, batch: int) -> int:
    """The bytes a measurement holds at once (``analysis.memory`` at fp32): the weights, the
    peak activation memory of the network's run, and the largest row's inputs and output,
    made again for its timing alone. A ``ConvcostError`` naming --batch past
    ``MAX_MEASURE_BYTES``, before any tensor is made."""
    from convcost.analysis.memory import memory

    held = memory(report, "fp32", batch)
    alone = max((row.inputs + row.output for row in held.rows), default=0)
    need = held.model_bytes + held.peak_bytes + alone
    if need > MAX_MEASURE_BYTES:
        raise ConvcostError(
            f"measuring {report.network} at batch {batch} needs {need:,} bytes (weights, peak "
            f"activations and one row's tensors at fp32), more than {MAX_MEASURE_BYTES:,}; "
            "lower --batch or --resolution",
            field="batch",
        )
    return need


def measure(
    report: Report,
    *,
    threads: int = 1,
    batch: int = 1,
    device: str = "cpu",
    warmup: int = 2,
    repeats: int = 5,
    network: bool = True,
    alone: bool = True,
    seed: int = 0,
) -> Measurement:
    """Time every row of ``report`` alone on random inputs of its shapes (``alone``), and
    (``network``) the whole network on a random input, each row inside it too, at
    ``threads`` threads and batch ``batch`` on ``device`` (``cpu``, or ``cuda`` where
    ``torch.cuda.is_available()``).

    Checks the graph first: the network's output has the report's output shape. Refuses,
    before anything is built, a run that needs more than ``MAX_MEASURE_BYTES``.
    """
    check_size(report, batch)
    torch = load_torch()
    set_threads(threads)
    if device == "cuda" and not torch.cuda.is_available():
        raise ConvcostError("CUDA is not available to PyTorch here", field="device")
    torch.manual_seed(seed)
    built = build(report, device)
    clock = _clock(torch, device)
    timings = []
    with torch.inference_mode():
        x = torch.randn(channels_first(report.input, batch), device=device)
        out = built.run(x)
        expected = channels_first(report.output, batch)
        if tuple(out.shape) != expected:
            raise ConvcostError(
                f"the PyTorch graph gives {tuple(out.shape)}, the report {expected}"
            )
        per_row: list[list[int]] = [[] for _ in report.rows]
        whole: list[int] = []
        for repeat in range(warmup + repeats if network else 0):
            times: list[int] = []
            start = clock()
            built.run(x, times, clock)
            if repeat >= warmup:
                whole.append(clock() - start)
                for samples, sample in zip(per_row, times, strict=True):
                    samples.append(sample)
        for row, mod, in_network in zip(report.rows, built.modules, per_row, strict=True):
            by_itself: tuple[int, ...] = ()
            if alone:
                inputs = [torch.randn(channels_first(s, batch), device=device) for s in row.inputs]
                by_itself = _samples(partial(mod, *inputs), clock, warmup, repeats)
            timings.append(Timing(row.name, row.category, by_itself, tuple(in_network)))
    return Measurement(
        report.network,
        machine(),
        device,
        threads,
        batch,
        warmup,
        repeats,
        str(torch.__version__),
        tuple(timings),
        Timing(report.network, "network", tuple(whole), tuple(whole)) if network else None,
    )


# --- convcost layer --measure ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LayerMeasurement:
    """``convcost layer --measure``: standard, depthwise and pointwise timed alone, and
    separable as the two run one after the other (the network of two rows), beside R."""

    comparison: Comparison
    standard: Measurement
    separable: Measurement  # depthwise then pointwise

    @property
    def times(self) -> dict[str, Fraction]:
        """Median seconds of each kind: a kind alone, separable as its two rows run."""
        depthwise, pointwise = self.separable.rows
        return {
            "standard": self.standard.seconds,
            "depthwise": depthwise.seconds,
            "pointwise": pointwise.seconds,
            "separable": self.separable.seconds,
        }

    @property
    def speedup(self) -> Fraction:
        """Measured time of standard / time of separable."""
        return self.standard.seconds / self.separable.seconds

    def table(self, predicted: Sequence[Fraction] | None = None, device: str = "") -> Table:
        """The four kinds' measured times, and their ``predicted`` ones (seconds: standard,
        depthwise, pointwise, separable; a roofline on ``device``) when given."""
        kinds = list(self.times.items())
        columns = [
            Column("name", "name", Kind.TEXT, lambda kv: kv[0]),
            Column("measured_us", "measured us", Kind.RATE, lambda kv: kv[1] * MICRO),
        ]
        if predicted is not None:
            by_name = dict(zip(self.times, predicted, strict=True))
            columns += [
                Column(
                    "predicted_us",
                    "predicted us",
                    Kind.RATE,
                    lambda kv: by_name[kv[0]] * MICRO,
                    note=f"predicted: the roofline on {device}" if device else "",
                ),
                Column(
                    "ratio",
                    "ratio",
                    Kind.RATE,
                    lambda kv: _ratio(kv[1], by_name[kv[0]]),
                    note="ratio: measured over predicted",
                ),
            ]
        return Table("measured", self.standard.conditions, columns, kinds, has_footer=False)

    def speedup_table(self, predicted: Fraction | None = None) -> Table:
        """R = separable / standard MACs, 1/R (the speedup the MACs promise), the
        ``predicted`` speedup when given, and the measured speedup, side by side."""
        ratio = Fraction(self.comparison.macs_ratio)
        columns = [
            Column("r", "R", Kind.RATIO, lambda _: ratio),
            Column("macs_speedup", "MACs speedup", Kind.RATE, lambda _: 1 / ratio),
        ]
        if predicted is not None:
            columns.append(
                Column("predicted_speedup", "predicted speedup", Kind.RATE, lambda _: predicted)
            )
        columns.append(
            Column(
                "measured_speedup",
                "measured speedup",
                Kind.RATE,
                lambda _: self.speedup,
                note="measured speedup: on this machine, standard / separable (median times)",
            )
        )
        return Table("speedup", "Separable over standard", columns, [self], has_footer=False)


def _kind_row(comparison: Comparison, name: str, tensor: int) -> LayerCost:
    """One of the comparison's kinds as a row reading tensor ``tensor``."""
    from convcost.network import LayerCost

    kind = comparison.row(name)
    pointwise = name == "pointwise"
    layer = L.Conv2d(
        int(kind.output[-1]),
        kind.kernel,
        kind.stride,
        (0, 0) if pointwise else comparison.padding,
        (1, 1) if pointwise else comparison.dilation,
        kind.groups or 1,
        comparison.bias,
    )
    cost = L.cost(layer, kind.input)
    return LayerCost(
        name,
        layer,
        kind.type,
        (kind.input,),
        cost.output,
        cost.params,
        tensors=(tensor,),
        tensor=tensor + 1,
    )


def measure_layer(
    comparison: Comparison,
    *,
    threads: int = 1,
    batch: int = 1,
    device: str = "cpu",
    warmup: int = 3,
    repeats: int = 20,
) -> LayerMeasurement:
    """Time the four kinds of ``comparison`` (``convcost layer``; numeric sizes only)."""
    from convcost.network import Report, Totals

    if comparison.symbolic or not isinstance(comparison.cout, int):
        raise ConvcostError("times real tensors: give --h, --w, --cin and --cout", field="measure")
    standard = (_kind_row(comparison, "standard", 0),)
    separable = (_kind_row(comparison, "depthwise", 0), _kind_row(comparison, "pointwise", 1))
    measured = [
        measure(
            Report(name, comparison.input, rows, Totals.of(rows)),
            threads=threads,
            batch=batch,
            device=device,
            warmup=warmup,
            repeats=repeats,
        )
        for name, rows in (("standard", standard), ("separable", separable))
    ]
    return LayerMeasurement(comparison, *measured)


__all__ = [
    "INSTALL",
    "Built",
    "LayerMeasurement",
    "Measurement",
    "Timing",
    "build",
    "channels_first",
    "check_size",
    "load_torch",
    "machine",
    "measure",
    "measure_layer",
    "module",
    "set_threads",
    "torch_devices",
    "torch_missing",
]
