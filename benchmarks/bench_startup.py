"""Cold start of the CLI against the import floor of its dependencies, in the same run.

    python benchmarks/bench_startup.py [--runs N] [--before DIR]

Times ``convcost layer`` (every dimension given: no sympy), ``convcost net
configs/mobilenet_v1.yaml`` and ``python -c "import typer, rich.table, yaml"`` as fresh
subprocesses, interleaved so that machine noise hits all three alike, and prints the median of
N runs of each and the ratio of each command to the floor (goal, issue 2: at most 1.3x).

With ``--before DIR`` (a checkout of an earlier commit, e.g. ``git worktree add /tmp/before
REV``) the two convcost commands also run as ``python -m convcost`` from inside that tree and
from inside this one (``-m`` puts the current folder first on the path), interleaved in the
same run, so that a change's cost at start-up is measured before and after on the same machine
at the same time.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TYPER_APP = """
import typer
app = typer.Typer()
@app.command()
def one(n: int = 1) -> None:
    pass
app(["--n", "2"], standalone_mode=False)
"""


def _convcost() -> list[str]:
    script = Path(sys.executable).parent / "convcost"
    if script.exists():
        return [str(script)]
    found = shutil.which("convcost")
    return [found] if found else [sys.executable, "-m", "convcost"]


def commands(before: Path | None) -> dict[str, tuple[list[str], Path]]:
    """name -> (argv, the folder it runs in)."""
    cmds = {name: (argv, ROOT) for name, argv in _commands(_convcost()).items()}
    if before is not None:
        module = [sys.executable, "-m", "convcost"]
        for tree, label in ((before.resolve(), "before"), (ROOT, "after")):
            for name, argv in _commands(module).items():
                if name.startswith("convcost"):
                    cmds[f"{name} ({label})"] = (argv, tree)
    return cmds


def _commands(cli: list[str]) -> dict[str, list[str]]:
    return {
        "floor: import typer, rich.table, yaml": [
            sys.executable,
            "-c",
            "import typer, rich.table, yaml",
        ],
        "convcost layer (all dims)": [
            *cli,
            "layer",
            "--k",
            "3",
            "--cin",
            "256",
            "--cout",
            "256",
            "--h",
            "56",
            "--w",
            "56",
        ],
        "convcost net mobilenet_v1": [*cli, "net", "configs/mobilenet_v1.yaml"],
        # What any Typer command with one int option costs: from typer 0.29, parsing a value
        # imports pydantic (about 45 ms), which the floor above does not include.
        "typer app with one int option": [sys.executable, "-c", TYPER_APP],
    }


def _once(argv: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    env = {**os.environ, "NO_COLOR": "1"}
    subprocess.run(argv, cwd=cwd, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--before", type=Path, help="an earlier checkout to time beside this one")
    args = parser.parse_args()
    cmds = commands(args.before)
    times: dict[str, list[float]] = {name: [] for name in cmds}
    for argv, cwd in cmds.values():  # warm the OS file cache and the .pyc files once
        _once(argv, cwd)
    for _ in range(args.runs):
        for name, (argv, cwd) in cmds.items():
            times[name].append(_once(argv, cwd))
    floor = statistics.median(next(iter(times.values())))
    from importlib.metadata import version

    print(
        f"python {sys.version.split()[0]}, typer {version('typer')}, {args.runs} runs each, "
        "median wall time"
    )
    for name, samples in times.items():
        median = statistics.median(samples)
        print(f"{name:<46} {median * 1000:7.1f} ms  {median / floor:5.2f}x")


if __name__ == "__main__":
    main()
