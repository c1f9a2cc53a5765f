"""Cold start of the CLI against two floors, measured in the same run.

    python benchmarks/bench_startup.py [--runs N] [--before DIR]

Times ``convcost layer`` (every dimension given: no sympy) and ``convcost net
configs/mobilenet_v1.yaml`` as fresh subprocesses, interleaved with two floors so that machine
noise hits all of them alike, and prints the median of N runs of each and its ratio to each
floor (goal, issue 13: at most 1.3x):

- the cheapest Typer program on the installed typer: a one-command app with one int option.
  From typer 0.29 this includes pydantic, through which typer converts every option value;
- ``python -c "import typer, rich.table, yaml"``: the imports convcost cannot do without.

Where pydantic is installed, one more row, ``import typer, rich.table, yaml, pydantic`` and
one ``TypeAdapter`` built, shows what typer 0.29's conversion adds to the second floor.

With ``--before DIR`` (a checkout of an earlier commit, e.g. ``git worktree add /tmp/before
REV``) the two convcost commands also run as ``python -m convcost`` from inside that tree and
from inside this one (``-m`` puts the current folder first on the path), interleaved in the
same run, so that a change's cost at start-up is measured before and after on the same machine
at the same time.
"""

from __future__ import annotations

import argparse
import importlib.util
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
TYPER_FLOOR = "floor: Typer app, one int option"
IMPORT_FLOOR = "floor: import typer, rich.table, yaml"
FLOORS = (TYPER_FLOOR, IMPORT_FLOOR)
PYDANTIC_ROW = "import typer, rich.table, yaml + pydantic"


def _convcost() -> list[str]:
    script = Path(sys.executable).parent / "convcost"
    if script.exists():
        return [str(script)]
    found = shutil.which("convcost")
    return [found] if found else [sys.executable, "-m", "convcost"]


def commands(before: Path | None) -> dict[str, tuple[list[str], Path]]:
    """name -> (argv, the folder it runs in); the floors first."""
    python = sys.executable
    cmds = {
        TYPER_FLOOR: ([python, "-c", TYPER_APP], ROOT),
        IMPORT_FLOOR: ([python, "-c", "import typer, rich.table, yaml"], ROOT),
    }
    if importlib.util.find_spec("pydantic") is not None:
        # What typer 0.29 imports to convert a value, built once as typer builds it.
        code = "import typer, rich.table, yaml, pydantic; pydantic.TypeAdapter(int)"
        cmds[PYDANTIC_ROW] = ([python, "-c", code], ROOT)
    cmds.update({name: (argv, ROOT) for name, argv in _convcost_commands(_convcost()).items()})
    if before is not None:
        module = [python, "-m", "convcost"]
        for tree, label in ((before.resolve(), "before"), (ROOT, "after")):
            for name, argv in _convcost_commands(module).items():
                cmds[f"{name} ({label})"] = (argv, tree)
    return cmds


def _convcost_commands(cli: list[str]) -> dict[str, list[str]]:
    layer = ["layer", "--k", "3", "--cin", "256", "--cout", "256", "--h", "56", "--w", "56"]
    return {
        "convcost layer (all dims)": [*cli, *layer],
        "convcost net mobilenet_v1": [*cli, "net", "configs/mobilenet_v1.yaml"],
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
    medians = {name: statistics.median(samples) for name, samples in times.items()}
    from importlib.metadata import version

    print(
        f"python {sys.version.split()[0]}, typer {version('typer')}, {args.runs} runs each, "
        "median wall time; ratio to the Typer floor, ratio to the import floor"
    )
    for name, median in medians.items():
        ratios = "  ".join(f"{median / medians[floor]:5.2f}x" for floor in FLOORS)
        print(f"{name:<46} {median * 1000:7.1f} ms  {ratios}")


if __name__ == "__main__":
    main()
