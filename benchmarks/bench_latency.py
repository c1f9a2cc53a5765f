"""The calibrated ``host`` roofline against measured latency (issue 16, items 5 and 6).

    python benchmarks/bench_latency.py                      # every shipped 2-D network
    python benchmarks/bench_latency.py --networks mobilenet_v2,resnet18 --repeats 3

Needs PyTorch (``pip install 'convcost[measure]'``). Calibrates a ``host`` profile on this
machine (``convcost calibrate``: micro-benchmarks, not these networks), then for every
shipped 2-D network at batch 1 and ``--threads`` (1): builds it as PyTorch modules, measures
the whole network (the fastest of ``--repeats`` runs after one warm-up, the least disturbed
on a shared machine; each row timed inside the runs) and predicts it with the roofline on
``host``. Prints Markdown: per network the
measured and predicted milliseconds, the error (predicted / measured - 1) and the median of
the per-row errors; then the error by row kind over all networks. docs/hardware.md
("Measured on this machine") quotes two runs. The goal (issue 16): every network within 25%.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Sequence
from fractions import Fraction
from typing import NamedTuple

from convcost import spec
from convcost.analysis import measure as M
from convcost.analysis.calibrate import calibrate
from convcost.analysis.roofline import roofline, row_kind
from convcost.devices import Device
from convcost.network import walk
from convcost.spec.zoo import shipped, zoo_names

GOAL = Fraction(1, 4)


class Result(NamedTuple):
    """One network: measured and predicted seconds, and its rows' (kind, measured, predicted)."""

    network: str
    rows: int
    measured: Fraction
    predicted: Fraction
    per_row: tuple[tuple[str, Fraction, Fraction], ...]

    @property
    def error(self) -> Fraction:
        """predicted / measured - 1."""
        return self.predicted / self.measured - 1

    @property
    def row_error(self) -> Fraction:
        """The median over rows of |predicted / measured - 1| (rows that took any time)."""
        return Fraction(statistics.median(abs(p / m - 1) for _, m, p in self.per_row if m))


def networks_2d() -> list[str]:
    """The shipped specs whose input is an image, (H, W, C)."""
    return [name for name in zoo_names() if len(spec.load(shipped(name)[0]).input) == 3]


def run(name: str, host: Device, threads: int, repeats: int) -> Result:
    report = walk(spec.load(shipped(name)[0]))
    measured = M.measure(report, threads=threads, warmup=1, repeats=repeats, alone=False)
    predicted = roofline(report, host)
    per_row = tuple(
        (row_kind(row), timing.least, estimate.time)
        for row, timing, estimate in zip(report.rows, measured.rows, predicted.rows, strict=True)
    )
    whole = measured.network_time
    assert whole is not None  # measure times the network unless told not to
    return Result(name, len(report.rows), whole.least, predicted.time, per_row)


def _pct(value: Fraction) -> str:
    return f"{float(value) * 100:+.0f}%"


def markdown(results: Sequence[Result], threads: int, repeats: int, conditions: str) -> str:
    """The tables docs/hardware.md quotes."""
    lines = [
        f"Batch 1, {threads} thread{'s' if threads != 1 else ''}, fp32; {conditions}; the fastest "
        f"of {repeats} runs after 1 warm-up (the least disturbed on a shared machine). "
        "Error = predicted / measured - 1; the row error is the median over a network's rows "
        "of |error|.",
        "",
        "| network | rows | measured ms | predicted ms | error | row error (median) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {r.network} | {r.rows} | {float(r.measured) * 1e3:.2f} | "
        f"{float(r.predicted) * 1e3:.2f} | {_pct(r.error)} | {float(r.row_error) * 100:.0f}% |"
        for r in results
    ]
    within = sum(abs(r.error) <= GOAL for r in results)
    lines += [
        "",
        f"Within 25%: {within} of {len(results)} networks.",
        "",
        "| row kind | rows | measured ms | predicted ms | error | row error (median) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    kinds: dict[str, list[tuple[Fraction, Fraction]]] = {}
    for r in results:
        for kind, m, p in r.per_row:
            kinds.setdefault(kind, []).append((m, p))
    for kind, pairs in sorted(kinds.items(), key=lambda kv: -sum(m for m, _ in kv[1])):
        m = sum((m for m, _ in pairs), Fraction(0))
        p = sum((p for _, p in pairs), Fraction(0))
        median = statistics.median(abs(b / a - 1) for a, b in pairs if a)
        lines.append(
            f"| {kind} | {len(pairs)} | {float(m) * 1e3:.2f} | {float(p) * 1e3:.2f} | "
            f"{_pct(p / m - 1)} | {float(median) * 100:.0f}% |"
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--networks", help="comma-separated shipped specs (default: every 2-D)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--profile", help="write the calibrated host profile to this file")
    args = parser.parse_args(argv)
    names = args.networks.split(",") if args.networks else networks_2d()
    calibration = calibrate(args.threads)
    if args.profile:
        with open(args.profile, "w", encoding="utf-8") as file:
            file.write(calibration.text)
    results = []
    for name in names:
        results.append(run(name, calibration.device, args.threads, args.repeats))
        print(f"{name}: done", file=sys.stderr)
    conditions = (
        f"this machine ({M.machine()}), torch {calibration.torch_version}, host profile "
        f"calibrated in {float(calibration.seconds):.1f} s"
    )
    sys.stdout.write(markdown(results, args.threads, args.repeats, conditions))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
