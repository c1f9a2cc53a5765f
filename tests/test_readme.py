"""README.md opens with the two commands a newcomer runs; CI runs exactly its test command."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _opening_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("```", 2)[1]
    return [line for line in block.splitlines() if line.strip()]


def test_readme_opens_with_install_and_run_then_test() -> None:
    install, test = _opening_commands()
    assert install.endswith("convcost net configs/mobilenet_v1.yaml")
    assert "pip install ." in install
    assert test.startswith("pip install '.[test]' && ")


def test_ci_runs_exactly_the_readme_test_command() -> None:
    readme_test = _opening_commands()[1].split(" && ", 1)[1]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()
    assert ci[-1] == readme_test
    assert "python -m pip install --quiet '.[test]'" in ci


def test_readme_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The library examples are doctests; the YAML example is a spec that loads and walks."""
    import doctest

    from convcost import network, spec

    monkeypatch.chdir(ROOT)
    result = doctest.testfile(str(ROOT / "README.md"), module_relative=False)
    assert result.attempted >= 4 and result.failed == 0
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    tiny = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    report = network.walk(spec.loads(tiny, path="tiny.yaml"))
    # conv 3x3 s2: 16x16x16 outputs of 27 taps; two separables at 16x16 (16->32, 32->32);
    # inverted residual 32 -> 192 -> stride 2 -> 32 at 8x8; fc 32 -> 10.
    expected = (
        16 * 16 * 16 * 27
        + 16 * 16 * (16 * 9 + 16 * 32)
        + 16 * 16 * (32 * 9 + 32 * 32)
        + 16 * 16 * 32 * 192
        + 8 * 8 * 192 * 9
        + 8 * 8 * 192 * 32
        + 32 * 10
    )
    assert report.totals.macs == expected


def test_readme_tour_prints_the_figures_it_quotes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util
    import re
    import shlex

    from typer.testing import CliRunner

    from convcost import cli

    monkeypatch.chdir(tmp_path)
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    tour = text.split("## A short tour", 1)[1].split("```", 2)[1]
    commands = [line for line in tour.splitlines() if line.startswith("convcost ")]
    assert len(commands) >= 6
    torch = importlib.util.find_spec("torch") is not None
    for line in commands:
        command, _, comment = line.partition("#")
        if not torch and ("--measure" in command or command.startswith("convcost calibrate")):
            continue  # the measure extra (PyTorch); tests/test_measure.py has them without it
        result = CliRunner().invoke(cli.app, shlex.split(command)[1:])
        assert result.exit_code == 0, (line, result.output)
        for figure in re.findall(r"\d[\d,]*\d(?:\.\d+%|/\d+)?|\d", comment):
            if "," in figure or "%" in figure or "/" in figure:
                assert figure in result.stdout, (line, figure)
