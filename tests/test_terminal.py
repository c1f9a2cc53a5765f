"""Terminal tables fit the terminal: `convcost` in a real pseudo-terminal of 80 and 120
columns (COLUMNS unset, so the width comes from the terminal itself), golden files, and the
views' sums.

Rewrite the goldens with ``pytest --update-golden tests/test_terminal.py`` and review them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from test_report import GoldenCheck
from typer.testing import CliRunner

from convcost.cli import app

pty = pytest.importorskip("pty")  # POSIX only
fcntl = pytest.importorskip("fcntl")
termios = pytest.importorskip("termios")

CONVCOST = str(Path(sys.executable).with_name("convcost"))

COMMANDS = {
    "net_mobilenet_v2": ["net", "mobilenet_v2"],
    "zoo": ["zoo"],
    "layer_3x3_256": ["layer", "--k", "3", "--cin", "256", "--cout", "256"],
    "layer_3x3": ["layer", "--k", "3"],
    "net_mobilenet_v2_depth1": ["net", "mobilenet_v2", "--depth", "1"],
}


def in_terminal(args: list[str], columns: int, env: dict[str, str] | None = None) -> str:
    """What ``convcost args`` prints in a pseudo-terminal ``columns`` wide, 50 lines high."""
    import struct

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    clean = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    process = subprocess.Popen(
        [CONVCOST, *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env={**clean, **(env or {})},
        close_fds=True,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert process.wait(timeout=60) == 0
    return b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


def widest(text: str) -> int:
    # Our tables hold no wide (East Asian) characters: a character is a column.
    return max(len(line) for line in text.splitlines())


@pytest.mark.parametrize("columns", [80, 120])
@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_fits_the_terminal(name: str, columns: int, golden: GoldenCheck) -> None:
    text = in_terminal(COMMANDS[name], columns)
    assert widest(text) <= columns
    golden(f"terminal/{name}_{columns}.txt", text)


def _totals(text: str) -> str:
    (line,) = re.findall(r"^totals: .*(?:\n  .*)*", text, re.M)
    return " ".join(line.split())


def test_depth_keeps_the_totals() -> None:
    """--depth 1 fits 80 columns; its footer and totals are the full table's."""
    env = {"COLUMNS": "80"}
    runner = CliRunner()
    grouped = runner.invoke(app, ["net", "mobilenet_v2", "--depth", "1"], env=env).output
    full = runner.invoke(app, ["net", "mobilenet_v2", "--all"], env={"COLUMNS": "400"}).output
    assert widest(grouped) <= 80
    assert _totals(grouped) == _totals(full)
    footer = next(line for line in grouped.splitlines() if line.startswith("│ total "))
    assert "3,504,872" in footer and "300,774,272" in footer
    assert len([line for line in grouped.splitlines() if line.startswith("│ block")]) == 17


def test_columns_env_sets_the_width() -> None:
    runner = CliRunner()
    for columns in (60, 100, 200):
        out = runner.invoke(app, ["net", "resnet50", "--all"], env={"COLUMNS": str(columns)})
        assert widest(out.output) <= columns


def test_dropped_columns_are_named() -> None:
    out = CliRunner().invoke(app, ["net", "mobilenet_v2"], env={"COLUMNS": "80"}).output
    assert "(left out to fit 80 columns: input, kernel, stride, MACs %, MACs bar)" in out
    wide = CliRunner().invoke(app, ["net", "mobilenet_v2"], env={"COLUMNS": "200"}).output
    assert "left out" not in wide


def test_ascii_borders_in_a_c_locale(tmp_path: Path) -> None:
    """LC_ALL=C without UTF-8 mode: ASCII borders, no codec error."""
    env = {**os.environ, "LC_ALL": "C", "PYTHONUTF8": "0", "COLUMNS": "80"}
    env.pop("PYTHONIOENCODING", None)
    for args in (["net", "mobilenet_v2"], ["zoo"], ["layer", "--k", "3"]):
        done = subprocess.run([CONVCOST, *args], capture_output=True, env=env, timeout=60)
        assert done.returncode == 0, done.stderr
        assert done.stderr == b""
        text = done.stdout.decode("ascii")  # every byte ASCII
        assert text.count("+====") >= 1 and "|" in text


def test_utf8_borders_otherwise() -> None:
    env = {**os.environ, "LC_ALL": "C.UTF-8", "COLUMNS": "80"}
    done = subprocess.run([CONVCOST, "zoo"], capture_output=True, env=env, timeout=60)
    assert "┏" in done.stdout.decode("utf-8")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX terminal")
def test_a_file_gets_the_terminal_width(tmp_path: Path) -> None:
    out = tmp_path / "report.txt"
    result = CliRunner().invoke(
        app, ["net", "mobilenet_v2", "-o", str(out)], env={"COLUMNS": "120"}
    )
    assert result.exit_code == 0
    assert widest(out.read_text(encoding="utf-8")) <= 120


# A layer grid whose CSV takes a few seconds to write (about 300,000 rows).
LONG_GRID = ["layer", "--k", "1,3,5", "--cin", "1..50", "--cout", "1..50", "--h", "8..47"]


def test_long_work_shows_a_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    """After a second, rich's bar on stderr (here the terminal); it is gone at the end, and
    the file holds only the CSV."""
    target = tmp_path / "grid.csv"
    shown = in_terminal([*LONG_GRID, "--w", "8", "-o", str(target)], 80)
    assert "costing configurations" in shown  # the bar's label
    assert target.read_text(encoding="utf-8").count("\n") == 3 * 50 * 50 * 40 + 1


def test_no_progress_bar_when_stderr_is_not_a_terminal(tmp_path: Path) -> None:
    target = tmp_path / "grid.csv"
    done = subprocess.run(
        [CONVCOST, *LONG_GRID, "--w", "8", "-o", str(target)],
        capture_output=True,
        check=True,
    )
    assert done.stderr == b"" and done.stdout == b""
