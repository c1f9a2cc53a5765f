"""README.md opens with the two commands a newcomer runs; CI runs exactly its test command."""

from __future__ import annotations

from pathlib import Path

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
