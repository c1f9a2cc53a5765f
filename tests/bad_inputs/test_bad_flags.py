"""The corpus of bad flags: each gives one line on stderr naming the flag, exit code 2, no
output, no traceback, and no file written. Bad specs are in ``test_bad_specs.py``."""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from typer.testing import CliRunner

from convcost import cli

runner = CliRunner()

# `convcost layer --cin 3 --cout 4 FLAGS`
LAYER_FLAGS = [
    (["--k", "0"], "error: Invalid value for '--k': 0 must be positive\n"),
    (["--k", "-3"], "error: Invalid value for '--k': -3 must be positive\n"),
    (["--k", "2.5"], "error: Invalid value for '--k': '2.5' is not an integer\n"),
    (
        ["--k", "1x7x2"],
        "error: Invalid value for '--k': '1x7x2' is not a number or an HxW pair such as 1x7\n",
    ),
    (
        ["--k", "3", "--groups", "2"],
        "error: Invalid value for '--groups': 2 does not divide cin=3\n",
    ),
    (
        ["--k", "3", "--padding", "full"],
        "error: Invalid value for '--padding': "
        "'full' is not 'same', 'valid', a number or an HxW pair\n",
    ),
    (["--k", "3", "--stride", "0x1"], "error: Invalid value for '--stride': 0 must be positive\n"),
    (
        ["--k", "3", "--padding", "-1"],
        "error: Invalid value for '--padding': -1 must be zero or more\n",
    ),
]


@pytest.mark.parametrize(("flags", "stderr"), LAYER_FLAGS)
def test_bad_layer_flags(flags: list[str], stderr: str) -> None:
    result = runner.invoke(cli.app, ["layer", "--cin", "3", "--cout", "4", *flags])
    assert (result.exit_code, result.stderr, result.stdout) == (2, stderr, "")


# `convcost net mobilenet_v1 FLAGS`
NET_FLAGS = [
    (["--alpha", "0"], "error: Invalid value for '--alpha': 0 must be positive\n"),
    (["--alpha", "-0.5"], "error: Invalid value for '--alpha': -0.5 must be positive\n"),
    (
        ["--alpha", "abc"],
        "error: Invalid value for '--alpha': 'abc' is not a number such as 0.75\n",
    ),
    (
        ["--alpha", "nan"],
        "error: Invalid value for '--alpha': 'nan' is not a number such as 0.75\n",
    ),
    (
        ["--alpha", "inf"],
        "error: Invalid value for '--alpha': 'inf' is not a number such as 0.75\n",
    ),
    (
        ["--alpha", "3/0"],
        "error: Invalid value for '--alpha': '3/0' is not a number such as 0.75\n",
    ),
    (
        ["--alpha", "1_000"],
        "error: Invalid value for '--alpha': '1_000' is not a number such as 0.75\n",
    ),
    # alpha runs from 0.001 to 100; the text is bounded before Fraction builds anything.
    (["--alpha", "1e307"], "error: Invalid value for '--alpha': 1e307 is larger than 100\n"),
    (
        ["--alpha", "1e100000000"],
        "error: Invalid value for '--alpha': 1e100000000 is larger than 100\n",
    ),
    (["--alpha", "100.5"], "error: Invalid value for '--alpha': 100.5 is larger than 100\n"),
    (["--alpha", "1/1001"], "error: Invalid value for '--alpha': 1/1001 is smaller than 0.001\n"),
    (
        ["--alpha", "1e-100000000"],
        "error: Invalid value for '--alpha': 1e-100000000 is smaller than 0.001\n",
    ),
    (["--alpha", "0e999999"], "error: Invalid value for '--alpha': 0e999999 must be positive\n"),
    (
        ["--alpha", "-1e999999"],
        "error: Invalid value for '--alpha': -1e999999 must be positive\n",
    ),
    (
        ["--alpha", "0." + "7" * 40],
        "error: Invalid value for '--alpha': '0.777777777777777777777777777777'... is longer "
        "than 32 characters\n",
    ),
    (["--resolution", "0"], "error: Invalid value for '--resolution': 0 must be positive\n"),
    (
        ["--resolution", "1000000000"],
        "error: Invalid value for '--resolution': 1000000000 is larger than 16,777,216\n",
    ),
    (
        ["--resolution", "224.5"],
        "error: Invalid value for '--resolution': '224.5' is not an integer\n",
    ),
    (
        ["--resolution", "224x0"],
        "error: Invalid value for '--resolution': 0 must be positive\n",
    ),
    (
        ["--resolution", "9" * 100_000],
        "error: Invalid value for '--resolution': '99999999999999999999999999999999'... is "
        "longer than 32 characters\n",
    ),
    (
        ["--resolution", "x".join(["1"] * 100_000)],
        "error: Invalid value for '--resolution': '1x1x1x1x1x1x1x1x1x1x1x1x1x1x1x1x'... is not "
        "a number or an HxW pair such as 1x7\n",
    ),
    (
        ["--format", "xml"],
        "error: Invalid value for '--format' / '-f': 'xml' is not one of 'table', 'csv', "
        "'markdown', 'json', 'latex'.\n",
    ),
]


@pytest.mark.parametrize(("flags", "stderr"), NET_FLAGS)
def test_bad_net_flags(flags: list[str], stderr: str, tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    result = runner.invoke(cli.app, ["net", "mobilenet_v1", *flags, "-o", str(target)])
    assert (result.exit_code, result.stderr, result.stdout) == (2, stderr, "")
    assert not target.exists()


@pytest.mark.parametrize("spec", ["", "   "])
def test_an_empty_spec_argument_is_a_usage_error(spec: str) -> None:
    result = runner.invoke(cli.app, ["net", spec])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        "error: Invalid value for 'SPEC': empty; give a spec file, a shipped name "
        "(convcost zoo) or -\n"
    )


@pytest.mark.parametrize(("typed", "alpha"), [("0.75", Fraction(3, 4)), ("3/4", Fraction(3, 4)),
    ("1e-3", Fraction(1, 1000)), ("1E2", Fraction(100)), (" +.5 ", Fraction(1, 2))])  # fmt: skip
def test_alpha_in_range_stays_exact(typed: str, alpha: Fraction) -> None:
    assert cli.parse_alpha(typed) == alpha


# `convcost COMMAND FLAGS`: --output must name a file; checked before any work is done.
OUTPUT_FLAGS = [
    (
        ["-o", ""],
        "error: Invalid value for '--output': empty; give a file name, or - for stdout\n",
    ),
    (
        ["--output", "newdir/"],
        "error: Invalid value for '--output': newdir/ names a folder; give a file name\n",
    ),
    (
        ["-o", "a/.."],
        "error: Invalid value for '--output': a/.. names a folder; give a file name\n",
    ),
]


@pytest.mark.parametrize(("flags", "stderr"), OUTPUT_FLAGS)
@pytest.mark.parametrize("command", [["net", "mobilenet_v1"], ["zoo"], ["schema"]])
def test_bad_output_flags(
    command: list[str],
    flags: list[str],
    stderr: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli.app, [*command, *flags])
    assert (result.exit_code, result.stderr, result.stdout) == (2, stderr, "")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "flags",
    [
        ["--alpha", "1e100000000"],
        ["--alpha", "1e307"],
        ["--resolution", "9" * 100_000],
        ["-o", ""],
        ["--output", "newdir/"],
    ],
)
def test_bad_flags_in_a_real_process(flags: list[str], tmp_path: Path) -> None:
    """The installed script: one line, exit 2, no traceback, nothing written, and fast (the
    timeout fails a parse that builds a number of 10^8 digits)."""
    stderr = {tuple(f): e for f, e in NET_FLAGS + OUTPUT_FLAGS}[tuple(flags)]
    script = Path(sys.executable).with_name("convcost")
    done = subprocess.run(
        [str(script), "net", "mobilenet_v1", *flags],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert (done.returncode, done.stderr, done.stdout) == (2, stderr, "")
    assert list(tmp_path.iterdir()) == []
