"""The corpus of broken device profiles: each ``devices/NAME.yaml`` fails with the one line in
``devices/NAME.expected`` (``{path}`` is the path as typed), naming the file, the line and the
field, through the library and through ``convcost net --device`` (exit 1, nothing on stdout).
Profiles are read as specs are (the bounded reader, the hardened YAML tree), so an anchor is
refused here too."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from convcost import cli
from convcost.devices import load_device
from convcost.errors import ConvcostError

CASES = Path(__file__).parent / "devices"
NAMES = sorted(p.stem for p in CASES.glob("*.yaml"))


def _expected(name: str, shown: str) -> str:
    text = (CASES / f"{name}.expected").read_text(encoding="utf-8")
    return text.rstrip("\n").replace("{path}", shown)


def test_every_case_has_an_expected_message() -> None:
    assert sorted(p.stem for p in CASES.glob("*.expected")) == NAMES
    assert len(NAMES) >= 15


@pytest.mark.parametrize("name", NAMES)
def test_bad_device_message(name: str) -> None:
    shown = f"devices/{name}.yaml"
    with pytest.raises(ConvcostError) as caught:
        load_device(CASES / f"{name}.yaml")
    message = str(caught.value).replace(str(CASES / f"{name}.yaml"), shown)
    assert message == _expected(name, shown)
    line = message.split(":")[1]
    assert line.isdigit(), "every message names the line"


@pytest.mark.parametrize("name", NAMES)
def test_bad_device_through_the_cli(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "devices").mkdir()
    (tmp_path / "devices" / f"{name}.yaml").write_bytes((CASES / f"{name}.yaml").read_bytes())
    result = CliRunner().invoke(
        cli.app, ["net", "mobilenet_v1", "--device", f"devices/{name}.yaml"]
    )
    assert result.exit_code == 1
    assert result.stderr == f"error: {_expected(name, f'devices/{name}.yaml')}\n"
    assert result.stdout == ""
