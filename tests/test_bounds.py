"""The worst inputs within the limits finish, under a memory and a time limit, with a clean
error or a result, within the ceilings docs/spec.md (Limits) states.

The cases are benchmarks/bench_limits.py's; each runs as ``convcost net SPEC -f json`` in a
fresh process whose address space is capped with ``resource.setrlimit(RLIMIT_AS)``: a loader
that built the whole YAML tree (2.5 GB for the 16 MiB file) would die with a MemoryError
traceback here.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_limits.py"
_spec = importlib.util.spec_from_file_location("bench_limits", BENCH)
assert _spec is not None and _spec.loader is not None
bench = importlib.util.module_from_spec(_spec)
sys.modules["bench_limits"] = bench
_spec.loader.exec_module(bench)

ADDRESS_SPACE = 1536 * 2**20  # virtual memory; peak RSS stays far below it
SECONDS = 120  # CPU seconds; each case takes 0.1 to 25 s on a 2-core machine

# case -> (exit status, the end of the message or "" for a result, peak RSS ceiling in MB)
EXPECTED = {
    "flow_16mib": (1, "the spec holds more than 3,000,000 YAML values, lists and mappings", 450),
    "input_list_16mib": (1, "repeat: the spec expands to more than 250,000 entries", 550),
    "nested_16mib": (1, "YAML nested too deeply", 150),
    "deep_containers": (1, "layers: blocks are nested more than 50 deep", 100),
    "channels_doubling": (1, "the output has 33,554,432 channels (at most 16,777,216)", 100),
    "repeat_100k": (0, "", 250),
    "defaults_repeat": (1, "repeat: the spec expands to more than 250,000 entries", 100),
    "empty_branches": (1, "branches: the spec expands to more than 250,000 entries", 100),
    "long_names": (1, "(at most 1,000); shorten the names of the blocks around it", 100),
    "name_chars": (
        1,
        "the names of the network's layers add up to more than 50,000,000 characters; "
        "shorten the names of the blocks",
        250,
    ),
    "largest_report": (0, "", 450),
}


LIMITS = {"RLIMIT_AS": ADDRESS_SPACE, "RLIMIT_CPU": SECONDS}


def test_every_case_has_an_expectation() -> None:
    assert sorted(EXPECTED) == sorted(bench.CASES)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_worst_case_is_bounded(name: str, tmp_path: Path) -> None:
    status, ending, ceiling_mb = EXPECTED[name]
    result = bench.run(name, tmp_path, limits=LIMITS)
    stderr = str(result["stderr"])
    assert result["exit"] == status, stderr[-2000:]
    if status:
        assert stderr.startswith("error: ") and stderr.count("\n") == 1, stderr[-2000:]
        assert stderr.rstrip("\n").endswith(ending)
    else:
        assert stderr == ""
    assert result["peak_mb"] < ceiling_mb
