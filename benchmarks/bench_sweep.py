"""Fast sweeps against the row path, in the same run (issue 15, item 6).

    python benchmarks/bench_sweep.py          # the row path timed on a sample, scaled
    python benchmarks/bench_sweep.py --full   # the row path over every configuration

Each measurement is a function returning a ``Timing``; ``main`` runs them all and prints one
Markdown table. ``mobilenet_v1_variants``: 10,000 MobileNet V1 variants, alpha 0.25 to 2.725
in steps of 0.025 (100 values) x resolution 96 to 294 in steps of 2 (100 values), by
``analysis.sweep.sweep`` (A + R - 1 = 199 walks, crossed) and by its row path
(``fast=False``: one ``network.walk`` per variant), on the first 5 alphas (500 variants)
scaled by 20 unless ``--full``; the sampled variants' totals must be equal. Each time is the
median of ``REPEATS`` runs, the two paths taking turns. Results from one run are quoted in
README.md (Scale).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from fractions import Fraction
from typing import NamedTuple

from convcost import spec
from convcost.analysis.sweep import sweep

REPEATS = 3


class Timing(NamedTuple):
    """One measurement: ``configurations`` by the fast path and by the row path,
    whose time is ``sampled`` configurations' scaled to that number."""

    name: str
    configurations: int
    fast_s: float
    rows_s: float
    sampled: int


def _median_s(*runs: Callable[[], object]) -> list[float]:
    """Each run's median time over ``REPEATS``, the runs interleaved so that a busy machine
    slows them alike."""
    times: list[list[float]] = [[] for _ in runs]
    for _ in range(REPEATS):
        for run, timed in zip(runs, times, strict=True):
            start = time.perf_counter()
            run()
            timed.append(time.perf_counter() - start)
    return [statistics.median(timed) for timed in times]


def mobilenet_v1_variants(full: bool) -> Timing:
    """10,000 width x resolution variants of MobileNet V1."""
    path, shown = spec.shipped("mobilenet_v1")
    net = spec.load(path, shown=shown)
    alphas = [Fraction(n, 40) for n in range(10, 110)]  # 0.25, 0.275, ..., 2.725
    resolutions = list(range(96, 296, 2))  # 96, 98, ..., 294
    sample = alphas if full else alphas[:5]
    fast = sweep(net, alphas, resolutions)
    rows = sweep(net, sample, resolutions, fast=False)
    assert fast.fast and len(fast.rows) == 10_000
    assert [r.totals for r in fast.rows[: len(rows.rows)]] == [r.totals for r in rows.rows]
    fast_s, rows_s = _median_s(
        lambda: sweep(net, alphas, resolutions),
        lambda: sweep(net, sample, resolutions, fast=False),
    )
    count = len(alphas) * len(resolutions)
    sampled = len(sample) * len(resolutions)
    return Timing("MobileNet V1 variants", count, fast_s, rows_s * count / sampled, sampled)


MEASUREMENTS: list[Callable[[bool], Timing]] = [mobilenet_v1_variants]


def main() -> None:
    full = "--full" in sys.argv
    print(f"python {sys.version.split()[0]}, {time.strftime('%Y-%m-%d')}, median of {REPEATS}")
    print("\n| configurations | fast s | row path s | speedup | us each, fast | row path |")
    print("|---|---:|---:|---:|---:|---:|")
    for measure in MEASUREMENTS:
        t = measure(full)
        scaled = "" if t.sampled == t.configurations else f" (from {t.sampled:,}, scaled)"
        print(
            f"| {t.configurations:,} {t.name} | {t.fast_s:.3f} | {t.rows_s:.3f}{scaled} | "
            f"{t.rows_s / t.fast_s:.0f}x | {t.fast_s / t.configurations * 1e6:.1f} | "
            f"{t.rows_s / t.configurations * 1e6:.0f} |"
        )


if __name__ == "__main__":
    main()
