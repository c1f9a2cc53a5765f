"""Calibration: a ``host`` device profile fitted to short micro-benchmarks on this machine.

The roofline of :mod:`convcost.analysis.roofline` needs a peak, a bandwidth, an overhead per
row and, per row kind, the fraction of each that the kind attains. :func:`calibrate` measures
them here, at the thread count the measurements will use (PyTorch, :mod:`.measure`):

- peak fp32: a square GEMM (``torch.mm``, 2n^3 FLOPs);
- bandwidth: a large copy (``dst.copy_(src)``: 2 x its bytes moved);
- overhead, per row kind: the median time of the kind's rows in small networks of every kind
  on maps of 2x2 and 4x4 with 32 and 64 channels: what a row costs that does almost nothing
  (Python, dispatch, allocation, a library's set-up), tens of microseconds for a depthwise
  convolution and a few for a ReLU;
- per row kind: small networks of the kinds the zoo is made of (a 3x3 convolution, a
  depthwise and a pointwise one, a grouped one, a transposed one, BatchNorm and ReLU, a max
  pool, global pooling and a fully connected layer) at the stages of an ImageNet network
  (112x112x64 down to 7x7x1024), fully connected layers of 32 MiB and 8 MiB of weights, and
  a max pool on 224x224x128 (25 MB, from DRAM), each row timed inside its network's runs,
  as :func:`.measure.measure` times a network's rows. A kind's FLOPs and bytes are
  :mod:`.memory`'s, the roofline's own;
- the weights of a compute kind: the same networks on 2x2 and 4x4 maps of 256 and 512
  channels, where a convolution does little arithmetic on many weights (the last stages of a
  network for 32x32 images) and runs at the rate PyTorch reads (and repacks) its weights, a
  fifth of the bandwidth or less.

The fit, per kind over its rows (``t`` a row's time less its kind's overhead): a compute kind
(``conv``, ``pointwise``, ``grouped``, ``conv_transpose``) gets efficiency = median(FLOPs /
t) / peak over the stages, and weight_efficiency = (sum weight bytes / sum t) / bandwidth
over the weights networks; a memory kind (``depthwise``, ``pool``, ``global_pool``,
``elementwise``, ``linear``) gets memory_efficiency = (sum bytes / sum t) / bandwidth over
the stages (:func:`_fit` says why each). Where a kind beats the GEMM or the copy (a small
layer runs from cache), the peak or the bandwidth is raised to what it attained, so that
every efficiency is at most 1.
"""

from __future__ import annotations

import datetime
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, NamedTuple

from convcost import spec
from convcost.analysis import measure as M
from convcost.analysis.memory import memory
from convcost.analysis.roofline import row_kind
from convcost.devices import Device, loads_device
from convcost.network import walk

COMPUTE_KINDS = ("conv", "pointwise", "grouped", "conv_transpose")
MEMORY_KINDS = ("depthwise", "pool", "global_pool", "elementwise", "linear")
GEMM_N = 1024
COPY_BYTES = 64 * 2**20
# The stages of an ImageNet network: (H, W, C) from the stem to the last stage, at the widths
# of ResNet-50's bottlenecks and MobileNets' expanded layers.
STAGES = ((112, 112, 64), (56, 56, 128), (28, 28, 256), (14, 14, 512), (7, 7, 1024))
# Maps on which a row does almost nothing: its time is its kind's overhead.
TINY = ((2, 2, 32), (4, 4, 32), (2, 2, 64), (4, 4, 64))
# Maps on which a convolution reads many weights for little arithmetic.
WEIGHTS = ((2, 2, 256), (4, 4, 256), (2, 2, 512), (4, 4, 512))
NANOSECOND = M.NANOSECOND


def _stage_spec(h: int, w: int, c: int, classes: int = 1000) -> str:
    """One stage's micro-benchmark network: each kind at (H, W, C) (module docstring), the
    fully connected layer to ``classes``."""
    return f"""\
name: stage_{h}x{w}x{c}
input: [{h}, {w}, {c}]
layers:
  - conv: {{c: {c}, k: 3}}
  - depthwise: {{k: 3}}
  - pointwise: {{c: {c}}}
  - conv: {{c: {c}, k: 3, groups: 32, bn: false, act: none}}
  - maxpool: {{k: 2}}
  - conv_transpose: {{c: {c}, k: 2, s: 2, bn: false, act: none}}
  - global_avgpool: {{}}
  - fc: {{c: {classes}}}
"""


# Fully connected layers at batch 1 read their weights once: 32 MiB, then 8 MiB, from DRAM.
LINEAR_SPEC = """\
name: linear
input: [1, 1, 2048]
layers:
  - fc: {c: 4096}
  - fc: {c: 2048}
  - fc: {c: 1000}
"""


# A max pool from DRAM, as VGG's and U-Net's are. Not BatchNorm or ReLU at this size: their
# time here varied 5x from one process to the next (2.5 or 13 ms for the same 51 MB), with
# whether the allocator hands a 25 MB output back already mapped or page-faults it in.
LARGE_SPEC = """\
name: large
input: [224, 224, 128]
layers:
  - maxpool: {k: 2}
"""


class Sample(NamedTuple):
    """One micro-benchmark: what it ran, its row kind, its FLOPs and bytes, and its fastest
    time (seconds); :meth:`rate` is what it attained (FLOP/s for a compute kind and the
    GEMM, else bytes/s)."""

    name: str
    kind: str
    flops: int
    traffic: int
    seconds: Fraction
    weights: int = 0  # bytes of its traffic that are weights

    def busy(self, overhead: Fraction = Fraction(0)) -> Fraction:
        """Its time less ``overhead`` (at least a nanosecond)."""
        return max(self.seconds - overhead, NANOSECOND)

    def rate(self, overhead: Fraction = Fraction(0)) -> Fraction:
        work = self.flops if self.kind in (*COMPUTE_KINDS, "gemm") else self.traffic
        return work / self.busy(overhead)


@dataclass(frozen=True, slots=True)
class Calibration:
    """What ``convcost calibrate`` measured and the profile it fitted (``text``, its YAML with
    the comments; ``device``, that text read back by the profile loader)."""

    threads: int
    machine: str
    when: str
    torch_version: str
    seconds: Fraction  # how long the calibration took
    gemm: Sample
    copy: Sample
    overhead: dict[str, Fraction]  # seconds per row, per row kind
    samples: tuple[Sample, ...]  # the stages, the linear and the large networks
    weights: tuple[Sample, ...]  # the compute kinds on the weights networks
    text: str  # the profile as YAML, with its comments
    device: Device


def _timed(run: Callable[[], Any], repeats: int) -> Fraction:
    run()  # the fastest of the runs after one warm-up (Timing.least says why)
    samples = []
    for _ in range(repeats):
        start = time.perf_counter_ns()
        run()
        samples.append(time.perf_counter_ns() - start)
    return min(samples) * M.NANOSECOND


def _network_rows(text: str, repeats: int) -> list[Sample]:
    """Every row of the network ``text`` (a spec), with its fastest time inside the runs."""
    report = walk(spec.loads(text))
    timing = M.measure(report, threads=M.current_threads(), warmup=1, repeats=repeats, alone=False)
    moved = memory(report).rows
    return [
        Sample(
            f"{report.network}/{row.name}",
            row_kind(row),
            bytes_.flops,
            bytes_.traffic,
            t.least,
            bytes_.weights,
        )
        for row, bytes_, t in zip(report.rows, moved, timing.rows, strict=True)
    ]


def calibrate(threads: int = 1, repeats: int = 5) -> Calibration:
    """Run the micro-benchmarks at ``threads`` threads and fit the ``host`` profile (module
    docstring). Takes a few seconds."""
    torch = M.load_torch()
    M.set_threads(threads)
    began = time.perf_counter_ns()
    with torch.inference_mode():
        a = torch.randn(GEMM_N, GEMM_N)
        b = torch.randn(GEMM_N, GEMM_N)
        gemm = Sample(
            f"gemm {GEMM_N}^3",
            "gemm",
            2 * GEMM_N**3,
            3 * 4 * GEMM_N**2,
            _timed(lambda: torch.mm(a, b), repeats),
        )
        src = torch.empty(COPY_BYTES // 4).normal_()
        dst = torch.empty_like(src)
        copy = Sample(
            f"copy {COPY_BYTES // 2**20} MiB",
            "copy",
            0,
            2 * COPY_BYTES,
            _timed(lambda: dst.copy_(src), repeats),
        )
    # a tiny row takes tens of microseconds: 4x the runs, for the least disturbed
    tiny = [s for size in TINY for s in _network_rows(_stage_spec(*size, 10), 4 * repeats)]
    overhead = {
        kind: Fraction(statistics.median(s.seconds for s in tiny if s.kind == kind))
        for kind in (*COMPUTE_KINDS, *MEMORY_KINDS)
        if any(s.kind == kind for s in tiny)
    }
    samples = [s for stage in STAGES for s in _network_rows(_stage_spec(*stage), repeats)]
    samples += _network_rows(LINEAR_SPEC, repeats) + _network_rows(LARGE_SPEC, repeats)
    samples = [s for s in samples if s.flops or s.traffic]
    weights = [s for size in WEIGHTS for s in _network_rows(_stage_spec(*size), repeats)]
    weights = [s for s in weights if s.kind in COMPUTE_KINDS]
    elapsed = Fraction(time.perf_counter_ns() - began) * M.NANOSECOND
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    text = _profile(threads, when, str(torch.__version__), gemm, copy, overhead, samples, weights)
    return Calibration(
        threads,
        M.machine(),
        when,
        str(torch.__version__),
        elapsed,
        gemm,
        copy,
        overhead,
        tuple(samples),
        tuple(weights),
        text,
        loads_device(text, path="host"),
    )


def _fit(
    samples: list[Sample], overhead: dict[str, Fraction]
) -> tuple[dict[str, Fraction], dict[str, Fraction]]:
    """Per kind, the FLOP/s (compute kinds) and the bytes/s its rows attained, t a row's time
    less its kind's overhead.

    FLOP/s: the median over its rows of FLOPs / t, so that one shape a library runs badly (a
    3x3 convolution of 1024 channels on 7x7) does not set the rate of every other. Bytes/s:
    its rows' bytes over their time, sum over sum, which gives the rows that take the time,
    those whose bytes come from DRAM rather than a cache, their weight."""
    flops, moved = {}, {}
    for kind in {s.kind for s in samples}:
        rows = [s for s in samples if s.kind == kind]
        less = overhead.get(kind, Fraction(0))
        if kind in COMPUTE_KINDS:
            flops[kind] = Fraction(statistics.median_low(s.rate(less) for s in rows))
        busy = sum((s.busy(less) for s in rows), Fraction(0))
        moved[kind] = sum(s.traffic for s in rows) / busy
    return flops, moved


def _weight_rates(weights: list[Sample], overhead: dict[str, Fraction]) -> dict[str, Fraction]:
    """Per compute kind, the bytes/s at which its rows on the weights networks read their
    weights: weight bytes over time less the overhead, sum over sum (their activations are a
    few kB, their arithmetic a few microseconds: the time is the weights')."""
    rates = {}
    for kind in {s.kind for s in weights}:
        rows = [s for s in weights if s.kind == kind]
        busy = sum((s.busy(overhead.get(kind, Fraction(0))) for s in rows), Fraction(0))
        rates[kind] = sum(s.weights for s in rows) / busy
    return rates


def _decimal(value: Fraction, digits: int = 4) -> str:
    """``value`` with ``digits`` significant digits, as a plain decimal a profile reads."""
    text = f"{float(value):.{digits}g}"
    if "e" in text:
        text = f"{float(value):.{digits + 6}f}".rstrip("0").rstrip(".")
    return text


def _profile(
    threads: int,
    when: str,
    version: str,
    gemm: Sample,
    copy: Sample,
    overhead: dict[str, Fraction],
    samples: list[Sample],
    weights: list[Sample],
) -> str:
    """The ``host`` profile as YAML, every value with a comment on how it was measured."""
    flops, rates = _fit(samples, overhead)
    rates = {kind: rates[kind] for kind in MEMORY_KINDS if kind in rates}
    read = _weight_rates(weights, overhead)
    peak = max([gemm.rate(), *flops.values()])
    bandwidth = max([copy.rate(), *rates.values(), *read.values()])
    giga = 10**9
    plural = "s" if threads != 1 else ""
    tiny = ", ".join(f"{h}x{w}x{c}" for h, w, c in TINY)
    lines = [
        f"# Calibrated by `convcost calibrate --threads {threads}` on {when}, torch {version},",
        f"# {threads} thread{plural} (torch.set_num_threads): measured on this machine, valid",
        "# for it and that thread count only. Each row was timed inside a small network's runs",
        "# (the fastest run); FLOPs and bytes are convcost's (analysis/memory.py).",
        "name: host",
        f"description: this machine ({M.machine()}), {threads} thread{plural}, "
        "calibrated by convcost calibrate",
        "peak_gflops:",
        f"  # the most FLOP/s a micro-benchmark attained; a {GEMM_N}x{GEMM_N} GEMM "
        f"(torch.mm) ran at {_decimal(gemm.rate() / giga)} GFLOP/s",
        f"  fp32: {_decimal(peak / giga)}",
        f"# the most bytes/s a micro-benchmark attained; a copy of {COPY_BYTES // 2**20} MiB "
        f"moved {_decimal(copy.rate() / giga)} GB/s (read + write)",
        f"bandwidth_gbs: {_decimal(bandwidth / giga)}",
        f"# per row kind, the median time of its rows on maps of {tiny} (H x W x C)",
        "overhead_us:",
    ]
    lines += [f"  {kind}: {_decimal(time * M.MICRO)}" for kind, time in overhead.items()]
    lines += [
        "# compute kinds: the median over their rows of FLOPs / (time - overhead), over the peak",
        "efficiency:",
    ]
    lines += [
        f"  {kind}: {_decimal(max(flops[kind] / peak, Fraction(1, 10**4)))}"
        for kind in COMPUTE_KINDS
        if kind in flops
    ]
    lines += [
        "# memory kinds: their rows' bytes over their time less the overhead, over the bandwidth",
        "memory_efficiency:",
    ]
    lines += [
        f"  {kind}: {_decimal(max(rates[kind] / bandwidth, Fraction(1, 10**4)))}"
        for kind in MEMORY_KINDS
        if kind in rates
    ]
    lines += [
        "# compute kinds on 2x2 and 4x4 maps of 256 and 512 channels: their weight bytes over",
        "# their time less the overhead, over the bandwidth",
        "weight_efficiency:",
    ]
    lines += [
        f"  {kind}: {_decimal(max(read[kind] / bandwidth, Fraction(1, 10**4)))}"
        for kind in COMPUTE_KINDS
        if kind in read
    ]
    return "\n".join(lines) + "\n"
