"""How convcost grows with the size of its input.

    python benchmarks/bench_scale.py            # 1k, 10k, 100k layers; 100 to 10,000 variants
    python benchmarks/bench_scale.py --quick    # 1k and 10k layers only
    python benchmarks/bench_scale.py --before DIR   # also an earlier checkout, interleaved

Each size runs in a fresh subprocess so that its peak memory (max RSS) is its own. Reported:
seconds to load (YAML -> Spec), walk (Spec -> Report), render CSV and JSON, and peak RSS. A
linear implementation shows times growing ten-fold per row; the per-layer columns stay flat.
Results from one run are quoted in README.md (Scale).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

WORKER = r"""
import json, resource, sys, time
from fractions import Fraction
from convcost import network, spec
from convcost.report import Format, renderer

kind, n = sys.argv[1], int(sys.argv[2])
out = {"n": n}
if kind == "layers":
    # A plain stack of n conv+BN+ReLU entries plus a residual every tenth, like a deep ResNet.
    lines = ["input: [56, 56, 64]", "layers:"]
    for i in range(n):
        if i % 10 == 9:
            lines.append("  - residual: {layers: [conv: {c: 64, act: none}], act: relu}")
        else:
            lines.append("  - conv: {c: 64, k: 3}")
    text = "\n".join(lines) + "\n"
    t0 = time.perf_counter(); s = spec.loads(text, path="generated.yaml")
    t1 = time.perf_counter(); report = network.walk(s)
    t2 = time.perf_counter(); csv_text = renderer(Format.CSV).network(report)
    t3 = time.perf_counter(); json_text = renderer(Format.JSON).network(report)
    t4 = time.perf_counter(); table_text = renderer(Format.TABLE).network(report)
    t5 = time.perf_counter()
    out |= {"rows": len(report.rows), "load": t1 - t0, "walk": t2 - t1, "csv": t3 - t2,
            "json": t4 - t3, "table": t5 - t4,
            "bytes": len(csv_text) + len(json_text) + len(table_text)}
else:
    # A width x resolution sweep of MobileNet V1, walked once per variant.
    s = spec.load(spec.resolve("mobilenet_v1")[0])
    alphas = [Fraction(i, 100) for i in range(25, 125)]
    resolutions = list(range(96, 96 + 8 * 100, 8))
    t0 = time.perf_counter()
    total = 0
    for i in range(n):
        report = network.walk(s, alpha=alphas[i % 100], resolution=resolutions[i // 100 % 100])
        total += report.totals.macs
    out |= {"sweep": time.perf_counter() - t0}
out["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def run(kind: str, n: int, tree: Path | None = None) -> dict[str, float]:
    """One size in a fresh process; ``tree`` runs another checkout's convcost (``-c`` puts the
    current folder first on the path)."""
    done = subprocess.run(
        [sys.executable, "-c", WORKER, kind, str(n)],
        check=True,
        capture_output=True,
        text=True,
        cwd=tree,
    )
    result: dict[str, float] = json.loads(done.stdout)
    return result


def main() -> None:
    quick = "--quick" in sys.argv
    before = Path(sys.argv[sys.argv.index("--before") + 1]) if "--before" in sys.argv else None
    trees: list[tuple[str, Path | None]] = [("", None)]
    if before is not None:
        trees = [(" (before)", before.resolve()), (" (after)", Path(__file__).parents[1])]
    print(f"python {sys.version.split()[0]}, {time.strftime('%Y-%m-%d')}")
    print(
        "\n| entries | rows | load s | walk s | csv s | json s | table s | us/entry | peak RSS MB |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in (1_000, 10_000) if quick else (1_000, 10_000, 100_000):
        for label, tree in trees:
            r = run("layers", n, tree)
            total = r["load"] + r["walk"] + r["csv"] + r["json"] + r["table"]
            print(
                f"| {n:,}{label} | {int(r['rows']):,} | {r['load']:.3f} | {r['walk']:.3f} | "
                f"{r['csv']:.3f} | {r['json']:.3f} | {r['table']:.3f} | "
                f"{total / n * 1e6:.0f} | {r['max_rss_mb']:.0f} |"
            )
    print("\n| variants | sweep s | us/variant | peak RSS MB |")
    print("|---:|---:|---:|---:|")
    for n in (100, 1_000) if quick else (100, 1_000, 10_000):
        for label, tree in trees:
            r = run("sweep", n, tree)
            print(
                f"| {n:,}{label} | {r['sweep']:.3f} | {r['sweep'] / n * 1e6:.0f} | "
                f"{r['max_rss_mb']:.0f} |"
            )


if __name__ == "__main__":
    main()
