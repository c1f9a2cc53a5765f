"""Fast sweeps against the row path, in the same run (issue 15, item 6).

    python benchmarks/bench_sweep.py          # the row path timed on a sample, scaled
    python benchmarks/bench_sweep.py --full   # the row path over every configuration

Each measurement is a function returning a ``Timing``; ``main`` runs them all and prints one
Markdown table. ``layer_configurations``: 1,000,000 layer configurations of ``convcost layer``
(k x cin x cout x h) by ``analysis.grid`` and by ``separable.compare`` on 2,000 of them,
scaled. ``mobilenet_v1_variants``: 10,000 MobileNet V1 variants, alpha 0.25 to 2.725
in steps of 0.025 (100 values) x resolution 96 to 294 in steps of 2 (100 values), by
``analysis.sweep.sweep`` (A + R - 1 = 199 walks, crossed) and by its row path
(``fast=False``: one ``network.walk`` per variant), on the first 5 alphas (500 variants)
scaled by 20 unless ``--full``; the sampled variants' totals must be equal. Each time is the
median of ``REPEATS`` runs, the two paths taking turns. Results from one run are quoted in
README.md (Scale).
"""

from __future__ import annotations

import itertools
import statistics
import sys
import time
from collections.abc import Callable
from fractions import Fraction
from typing import NamedTuple

from convcost import spec
from convcost.analysis.grid import grid
from convcost.analysis.separable import compare
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


def layer_configurations(full: bool) -> Timing:
    """1,000,000 layer configurations: k 1, 3, 5, 7 x cin 1..50 x cout 1..50 x h 8..107
    (w 56): params, MACs and R of the standard and separable layers, by ``analysis.grid``
    (the formulas per output position, times Hout*Wout) and by ``separable.compare`` per
    configuration (a Comparison each: four layers costed, validated, with their rows), on
    the first 2,000 unless ``--full``."""
    axes = {
        "k": [1, 3, 5, 7],
        "cin": list(range(1, 51)),
        "cout": list(range(1, 51)),
        "h": list(range(8, 108)),
        "w": 56,
    }

    def fast(first: int | None = None) -> list[tuple[object, ...]]:
        """Every configuration costed; the first ``first`` kept (none while timed)."""
        kept = []
        for i, r in enumerate(grid(**axes).rows()):
            if first is not None and i < first:
                standard, separable = (r.standard_params, r.standard_macs), r.separable_params
                kept.append((*standard, separable, r.separable_macs, r.macs_ratio))
        return kept

    configurations = list(itertools.product(axes["k"], axes["cin"], axes["cout"], axes["h"]))
    sample = configurations if full else configurations[:2_000]

    def rows() -> list[tuple[object, ...]]:
        found = []
        for k, cin, cout, h in sample:
            c = compare(k=k, cin=cin, cout=cout, h=h, w=56)
            standard, separable = c.row("standard"), c.row("separable")
            found.append(
                (standard.params, standard.macs, separable.params, separable.macs, c.macs_ratio)
            )
        return found

    assert fast(len(sample)) == rows()
    fast_s, rows_s = _median_s(fast, rows)
    count = len(configurations)
    return Timing("layer configurations", count, fast_s, rows_s * count / len(sample), len(sample))


MEASUREMENTS: list[Callable[[bool], Timing]] = [layer_configurations, mobilenet_v1_variants]


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
