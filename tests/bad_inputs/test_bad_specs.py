"""The corpus of broken specs: each ``cases/NAME.yaml`` must fail with the exact one-line
message in ``cases/NAME.expected`` (``{path}`` stands for the path as the user typed it).

The messages were reviewed by hand when each case was added: they name the file, the line, the
layer (as the walker names it) and the field, and suggest the fix when one is likely.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from convcost import cli, network, spec
from convcost.errors import ConvcostError

CASES = Path(__file__).parent / "cases"
NAMES = sorted(p.stem for p in CASES.glob("*.yaml"))


def _expected(name: str, shown: str) -> str:
    return (
        (CASES / f"{name}.expected")
        .read_text(encoding="utf-8")
        .rstrip("\n")
        .replace("{path}", shown)
    )


def test_every_case_has_an_expected_message() -> None:
    expected = sorted(p.stem for p in CASES.glob("*.expected"))
    assert expected == NAMES
    assert len(NAMES) >= 40


@pytest.mark.parametrize("name", NAMES)
def test_bad_spec_message(name: str) -> None:
    path = CASES / f"{name}.yaml"
    with pytest.raises(ConvcostError) as caught:
        network.walk(spec.load(path, shown=f"specs/{name}.yaml"))
    message = str(caught.value)
    assert message == _expected(name, f"specs/{name}.yaml")
    assert "\n" not in message
    assert message.startswith(f"specs/{name}.yaml")


@pytest.mark.parametrize("name", NAMES)
def test_bad_spec_through_the_cli(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`convcost net` prints `error: <message>`, exits 1, writes nothing, and leaves an
    existing output file as it was, even with --force."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / f"{name}.yaml").write_bytes((CASES / f"{name}.yaml").read_bytes())
    (tmp_path / "kept.csv").write_text("an earlier report\n")
    runner = CliRunner()
    for target, force in (("new.csv", []), ("kept.csv", ["--force"])):
        result = runner.invoke(
            cli.app, ["net", f"specs/{name}.yaml", "-f", "csv", "-o", target, *force]
        )
        assert result.exit_code == 1
        assert result.stderr == f"error: {_expected(name, f'specs/{name}.yaml')}\n"
        assert result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.csv", "specs"]
    assert (tmp_path / "kept.csv").read_text() == "an earlier report\n"


def test_the_messages_quoted_in_docs_are_real() -> None:
    """docs/spec.md's Errors section quotes corpus cases; each line is that case's message."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "spec.md").read_text()
    errors = doc[doc.index("## Errors") :]
    block = errors[errors.index("```\n") + 4 : errors.index("\n```", errors.index("```\n") + 4)]
    lines = block.splitlines()
    assert len(lines) >= 3
    for line in lines:
        name = line.split(":", 1)[0].removeprefix("specs/").removesuffix(".yaml")
        assert line == _expected(name, f"specs/{name}.yaml")
