"""SIGTERM, SIGHUP and SIGQUIT during a large ``--output`` write: the hidden temp file is
removed, no output file appears, and the process dies of the signal it got (a shell shows
128 + its number), as Ctrl-C's KeyboardInterrupt already cleaned up through ``_emit``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals")

ENTRIES = 20_000  # a JSON report of ~15 MB: its write lasts long enough to be interrupted


@pytest.fixture(scope="module")
def big_spec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "big.yaml"
    path.write_text("input: [32, 32, 3]\nlayers:\n" + "  - conv: {c: 8}\n" * ENTRIES)
    return path


def _no_core_dump() -> None:  # SIGQUIT's default action dumps core
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


@pytest.mark.parametrize("name", ["SIGTERM", "SIGHUP", "SIGQUIT"])
def test_a_signal_during_the_write_leaves_no_file(
    name: str, big_spec: Path, tmp_path: Path
) -> None:
    number = getattr(signal, name)
    script = Path(sys.executable).with_name("convcost")
    writing = subprocess.Popen(
        [str(script), "net", str(big_spec), "--format", "json", "-o", "out.json"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=_no_core_dump,
    )
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".out.json.*.tmp")):
        assert writing.poll() is None, "finished before its temp file was seen"
        assert time.monotonic() < deadline, "no temp file appeared"
        time.sleep(0.002)
    writing.send_signal(number)
    stdout, stderr = writing.communicate(timeout=60)
    assert writing.returncode == -number, stderr  # killed by it: 128 + number in a shell
    assert (stdout, stderr) == (b"", b"")
    assert list(tmp_path.iterdir()) == []  # no temp file, no out.json
