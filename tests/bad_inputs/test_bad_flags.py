"""The corpus of bad flags: each gives one line on stderr naming the flag, exit code 2, no
output, no traceback, and no file written. Bad specs are in ``test_bad_specs.py``."""

from __future__ import annotations

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
