"""The worst inputs within convcost's limits: how long each takes and how much memory.

    python benchmarks/bench_limits.py            # every case, one fresh process each
    python benchmarks/bench_limits.py flow_16mib # one case

Each case is a spec written to a temporary folder and run as ``convcost net SPEC -f json``
(stdout to /dev/null) in a fresh process; reported are its exit status, its message, the wall
time and its peak memory (max RSS, from ``os.wait4``). docs/spec.md (Limits) quotes one run;
tests/test_bounds.py runs the same cases under a memory and a time limit.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

MIB = 2**20
FILE_BYTES = 16 * MIB  # the loader's limit on a spec file


def _flow_16mib() -> str:
    """16 MiB of flow scalars, with an '&' in a comment (which once meant the pure-Python
    composer): more YAML nodes than the loader keeps."""
    head = "# an &anchor in a comment\ninput: ["
    tail = "1]\nlayers: [conv]\n"
    return head + "1," * ((FILE_BYTES - len(head) - len(tail)) // 2) + tail


def _input_list_16mib() -> str:
    """A 16 MiB list of one-word entries (``- relu``): more entries than the loader expands."""
    head = "input: [8, 8, 3]\nlayers:\n"
    return head + "  - relu\n" * ((FILE_BYTES - len(head)) // 9)


def _nested_16mib() -> str:
    """16 MiB of '[': libyaml stops at 1,000 levels (rewording its message with the
    pure-Python parser once took time quadratic in the depth)."""
    head = "input: [8, 8, 3]\nlayers: "
    return head + "[" * (FILE_BYTES - len(head))


def _deep_containers() -> str:
    """51 containers nested: one more than the limit, refused as it is read."""
    layers = "[relu]"
    for _ in range(51):
        layers = f"[{{sequence: {{layers: {layers}}}}}]"
    return f"input: [8, 8, 3]\nlayers: {layers}\n"


def _channels_doubling() -> str:
    """A concat of two identity branches repeated 50,000 times: channels double each time,
    refused at the first that passes 16,777,216."""
    return "input: [8, 8, 16]\nlayers:\n  - concat: {branches: [[], []], n: 50000}\n"


def _repeat_100k() -> str:
    """The largest `n` (100,000) on a convolution: 300,000 rows, accepted."""
    return "input: [56, 56, 64]\nlayers:\n  - conv: {c: 64, n: 100000}\n"


def _defaults_repeat() -> str:
    """A default 'layers' of 100 convolutions, used by an entry repeated 100,000 times."""
    return (
        "input: [8, 8, 3]\n"
        "defaults: {residual: {layers: [{conv: {c: 3, n: 100}}]}}\n"
        "layers:\n"
        "  - residual: {n: 100000}\n"
    )


def _empty_branches() -> str:
    """A concat of 100,000 empty branches repeated 100,000 times (700 KB)."""
    return (
        "input: [8, 8, 3]\nlayers:\n  - concat: {n: 100000, branches: ["
        + ", ".join(["[]"] * 100_000)
        + "]}\n"
    )


def _long_names() -> str:
    """50 nested sequences with 200-character names around a convolution repeated 66,666
    times (34 KB): full names longer than the loader allows."""
    name = "x" * 200
    layers = "[{conv: {c: 3, n: 66666}}]"
    for _ in range(49):
        layers = f"[{{sequence: {{name: {name}, layers: {layers}}}}}]"
    return f"input: [8, 8, 3]\nlayers:\n  - sequence: {{name: {name}, layers: {layers}}}\n"


def _name_chars() -> str:
    """250,000 rows under a 190-character block name: 50 MB of names, the most a report keeps."""
    return (
        "input: [8, 8, 3]\nlayers:\n"
        f"  - sequence: {{name: {'n' * 190}, layers: [{{conv: {{c: 3, n: 100000}}}}]}}\n"
    )


def _largest_report() -> str:
    """The largest accepted report: 166,666 inverted residuals of 6 rows each, 999,996 rows
    (the limits: 250,000 entries, 1,000,000 rows)."""
    return (
        "input: [8, 8, 16]\nlayers:\n"
        "  - inverted_residual: {t: 1, c: 16, n: 100000}\n"
        "  - inverted_residual: {t: 1, c: 16, n: 66666}\n"
    )


CASES: dict[str, Callable[[], str]] = {
    "flow_16mib": _flow_16mib,
    "input_list_16mib": _input_list_16mib,
    "nested_16mib": _nested_16mib,
    "deep_containers": _deep_containers,
    "channels_doubling": _channels_doubling,
    "repeat_100k": _repeat_100k,
    "defaults_repeat": _defaults_repeat,
    "empty_branches": _empty_branches,
    "long_names": _long_names,
    "name_chars": _name_chars,
    "largest_report": _largest_report,
}


# A small process starts each case and reads its peak memory: Linux keeps a process's peak
# RSS across fork and exec, so a child forked straight from a big parent (pytest) would
# report at least the parent's size. The launcher is about 10 MB; it sets the limits, runs
# convcost with stdout to /dev/null and stderr through, and prints the child's status and
# peak RSS as JSON.
LAUNCHER = r"""
import json, os, resource, sys
for name, value in json.loads(sys.argv[1]).items():
    resource.setrlimit(getattr(resource, name), (value, value))
pid = os.fork()
if pid == 0:
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
print(json.dumps({"exit": os.waitstatus_to_exitcode(status), "peak_kb": usage.ru_maxrss}))
"""


def run(name: str, folder: Path, *, limits: dict[str, int] | None = None) -> dict[str, object]:
    """Run one case as ``convcost net`` in a fresh process under ``limits`` (resource names
    and values, e.g. ``{"RLIMIT_AS": 2**30}``): exit status, stderr, seconds, peak MB."""
    spec = folder / f"{name}.yaml"
    spec.write_text(CASES[name](), encoding="utf-8")
    argv = [sys.executable, "-m", "convcost", "net", str(spec), "-f", "json"]
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", LAUNCHER, json.dumps(limits or {}), *argv],
        capture_output=True,
        check=True,
    )
    seconds = time.perf_counter() - start
    report = json.loads(done.stdout)
    return {
        "case": name,
        "bytes": spec.stat().st_size,
        "exit": report["exit"],
        "stderr": done.stderr.decode("utf-8", "replace"),
        "seconds": seconds,
        "peak_mb": report["peak_kb"] / 1024,
    }


def main() -> None:
    names = sys.argv[1:] or list(CASES)
    print(f"{'case':<18} {'bytes':>10} {'exit':>4} {'s':>6} {'peak MB':>8}  message")
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            r = run(name, Path(tmp))
            message = str(r["stderr"]).strip().split(": ", 2)[-1][:70]
            print(
                f"{name:<18} {r['bytes']:>10,} {r['exit']:>4} {r['seconds']:>6.2f} "
                f"{r['peak_mb']:>8.0f}  {message}"
            )


if __name__ == "__main__":
    main()
