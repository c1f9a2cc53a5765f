"""The command line: exit codes, exact messages, files, help, and real subprocess runs."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import convcost
from convcost import cli, limits, spec

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def run(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(cli.app, list(args))


def test_layer_json_must_show() -> None:
    result = run("layer", "--k", "3", "--cin", "256", "--cout", "256", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [layer["params"] for layer in data["layers"]] == [589_824, 2_304, 65_536, 67_840]
    assert data["ratio"]["exact"] == "265/2304"
    assert result.stderr == ""


def test_layer_table_seed_example() -> None:
    result = run(
        "layer", "--k", "3", "--cin", "3", "--cout", "4", "--h", "64", "--w", "64", "--padding", "1"
    )
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert any("standard" in line and "442,368" in line for line in lines)
    assert any("separable" in line and "159,744" in line for line in lines)
    assert "  R (MACs)            13/36 = 0.3611" in lines


def test_layer_default_padding_is_same() -> None:
    result = run("layer", "--k", "3", "--cin", "256", "--cout", "256", "-f", "csv")
    assert result.stdout.splitlines()[1] == (
        "standard,Conv 3x3,HxWx256,HxWx256,3x3,1x1,1,589824,589824*H*W,1179648*H*W,1,1"
    )


@pytest.mark.parametrize(
    ("flags", "flag"),
    [
        (["--cin", "0"], "'--cin'"),
        (["--cin", "-1"], "'--cin'"),
        (["--cin", "3.5"], "'--cin'"),
        (["--h", "0"], "'--h'"),
        (["--k", "5", "--h", "3", "--w", "3", "--padding", "valid"], "'--k'"),
        (["--format", "xml"], "'--format'"),
    ],
)
def test_bad_flags_name_the_flag(flags: list[str], flag: str) -> None:
    args = {"--k": "3", "--cin": "3", "--cout": "4"}
    args.update(zip(flags[::2], flags[1::2], strict=True))
    result = run("layer", *[x for pair in args.items() for x in pair])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and flag in result.stderr
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.output


def test_kernel_larger_than_padded_input() -> None:
    result = run(
        "layer", "--k", "5", "--cin", "3", "--cout", "4", "--h", "3", "--w", "3", "--padding", "0"
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("error: Invalid value for '--k': kernel 5 is larger than")


def test_net_json_totals() -> None:
    # A path is that path, from whatever folder the tests run in (it used to fall back to the
    # shipped spec of the same name when the folder held no configs/).
    result = run("net", str(ROOT / "configs" / "mobilenet_v1.yaml"), "--format", "json")
    assert result.exit_code == 0
    totals = json.loads(result.stdout)["totals"]
    assert totals == {
        "params": 4_231_976,
        "buffers": 21_888,
        "macs": 568_740_352,
        "flops": 1_137_480_704,
    }


def test_net_by_type_and_name_lookup() -> None:
    result = run("net", "mobilenet_v1", "--by-type", "-f", "markdown")
    assert result.exit_code == 0
    assert "| Conv 1x1 | 13 | 3,139,584 | 74.19% | 539,492,352 | 94.86% |" in result.stdout
    assert "| Conv DW 3x3 | 13 | 44,640 | 1.05% | 17,385,984 | 3.06% |" in result.stdout
    assert "block1.dw" not in result.stdout


def test_net_alpha_and_resolution() -> None:
    result = run("net", "mobilenet_v1", "--alpha", "0.75", "--resolution", "160", "-f", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["alpha"] == 0.75
    assert data["resolution"] == [160, 160]
    assert data["input"] == [160, 160, 3]
    wide = json.loads(run("net", "mobilenet_v1", "--resolution", "720x1280", "-f", "json").stdout)
    assert wide["input"] == [720, 1280, 3]
    assert wide["totals"]["macs"] == _mobilenet_v1_macs(720, 1280)


def _mobilenet_v1_macs(h: int, w: int) -> int:
    """MobileNet V1's MACs recounted from its Table 1 ('same' padding: ceil(size / stride))."""
    h, w = -(-h // 2), -(-w // 2)
    macs = h * w * 32 * 3 * 9
    cin = 32
    blocks = [
        (64, 1),
        (128, 2),
        (128, 1),
        (256, 2),
        (256, 1),
        (512, 2),
        *[(512, 1)] * 5,
        (1024, 2),
        (1024, 1),
    ]
    for cout, stride in blocks:
        h, w = -(-h // stride), -(-w // stride)
        macs += h * w * cin * 9 + h * w * cin * cout
        cin = cout
    return macs + 1024 * 1000


def test_mobilenet_v1_recount_matches_the_paper() -> None:
    assert _mobilenet_v1_macs(224, 224) == 568_740_352
    bad = run("net", "mobilenet_v1", "--alpha", "abc")
    assert (bad.exit_code, bad.stderr) == (
        2,
        "error: Invalid value for '--alpha': 'abc' is not a number such as 0.75\n",
    )
    bad = run("net", "mobilenet_v1", "--alpha", "-0.5")
    assert (bad.exit_code, bad.stderr) == (
        2,
        "error: Invalid value for '--alpha': -0.5 must be positive\n",
    )


def test_net_unknown_spec_exits_1() -> None:
    result = run("net", "no_such_net")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: no_such_net: no such file, and no shipped spec")
    assert result.stderr.count("\n") == 1 and result.stdout == ""


def test_zoo_lists_every_shipped_spec() -> None:
    result = run("zoo", "-f", "csv")
    assert result.exit_code == 0, result.output
    names = [line.split(",")[0] for line in result.stdout.splitlines()[1:]]
    assert names == spec.zoo_names()
    assert "mobilenet_v1,224x224x3,4231976,21888,568740352," in result.stdout


def test_formula_command() -> None:
    result = run("formula", "ratio")
    assert result.exit_code == 0
    assert result.stdout.startswith("ratio\n")
    assert "R (MACs)" in result.stdout and "C_out + K_h⋅K_w" in result.stdout
    latex = run("formula", "ratio", "--latex")
    assert (
        r"R\text{ (MACs)} &= \frac{C_{\mathrm{out}} + K_{\mathrm{h}} \cdot K_{\mathrm{w}}}"
        r"{C_{\mathrm{out}} \cdot K_{\mathrm{h}} \cdot K_{\mathrm{w}}}"
    ) in latex.stdout
    every = run("formula")
    headings = [line for line in every.stdout.splitlines() if line and not line.startswith(" ")]
    assert headings == ["standard", "depthwise", "pointwise", "separable", "ratio", "output-size"]
    assert run("formula", "nope").exit_code == 2


def test_output_file_is_written_whole_and_never_clobbered(tmp_path: Path) -> None:
    target = tmp_path / "out.md"
    args = [
        "layer",
        "--k",
        "3",
        "--cin",
        "3",
        "--cout",
        "4",
        "-f",
        "markdown",
        "--output",
        str(target),
    ]
    first = run(*args)
    assert (first.exit_code, first.stdout) == (0, "")
    text = target.read_text()
    assert text.startswith("## convcost layer")
    target.write_text("keep me")
    again = run(*args)
    assert again.exit_code == 1  # a write problem, as any other (issue 13)
    assert again.stderr == f"error: {target}: exists; add --force to replace it\n"
    assert target.read_text() == "keep me"
    forced = run(*args, "--force")
    assert forced.exit_code == 0 and target.read_text() == text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.md"]  # no temp file left


def test_output_dash_is_stdout_and_missing_folder_is_an_error(tmp_path: Path) -> None:
    dash = run("layer", "--k", "3", "--cin", "3", "--cout", "4", "-f", "csv", "-o", "-")
    assert dash.exit_code == 0 and dash.stdout.startswith("name,type,")
    missing = tmp_path / "nope" / "out.csv"
    result = run("layer", "--k", "3", "--cin", "3", "--cout", "4", "-o", str(missing))
    assert result.exit_code == 1
    assert result.stderr == f"error: {missing}: cannot write: No such file or directory\n"
    assert not missing.parent.exists()


def test_version_matches_pyproject() -> None:
    found = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M)
    assert found is not None
    assert convcost.__version__ == found.group(1)
    result = run("--version")
    assert (result.exit_code, result.stdout) == (0, f"convcost {found.group(1)}\n")


def test_flag_bounds_are_the_limits_not_a_copy() -> None:
    """cli.py takes every bound from convcost.limits (no YAML there), never its own literal."""
    tree = ast.parse((ROOT / "convcost" / "cli.py").read_text(encoding="utf-8"))
    assigned = {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign | ast.AnnAssign)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name)
    }
    bounds = {name for name in vars(limits) if name.isupper()}
    assert not assigned & bounds
    for name in ("MAX_SIZE", "ALPHA_MIN", "ALPHA_MAX"):
        assert getattr(cli, name) is getattr(limits, name)


COMMANDS = ["layer", "formula", "net", "zoo", "sweep", "compare", "devices", "calibrate", "schema"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command: str) -> None:
    result = run(command, "--help")
    assert result.exit_code == 0
    assert "Example: convcost " + command in result.stdout


def test_commands_listed_are_the_commands() -> None:
    result = run("--help")
    listed = result.stdout.split("Commands:\n", 1)[1].split()
    assert [word for word in listed if word in COMMANDS] == COMMANDS
    registered = {c.callback.__name__ for c in cli.app.registered_commands if c.callback}
    assert registered == set(COMMANDS)


# --- real processes ----------------------------------------------------------------------


def _entry_point() -> str:
    script = Path(sys.executable).parent / "convcost"
    assert script.exists(), "the convcost console script is not installed in this environment"
    return str(script)


def test_installed_entry_point_runs() -> None:
    out = subprocess.run(
        [_entry_point(), "layer", "--k", "3", "--cin", "3", "--cout", "4", "--h", "64", "--w", "64",
         "-f", "csv"],
        capture_output=True, text=True, check=False, cwd=ROOT,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[1].split(",")[8] == "442368"
    bad = subprocess.run(
        [_entry_point(), "layer", "--k", "x"], capture_output=True, text=True, check=False
    )
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr


def _modules_after(argv: list[str]) -> set[str]:
    code = (
        "import sys, io, contextlib\n"
        "from convcost.cli import main\n"
        f"sys.argv = {['convcost', *argv]!r}\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        "        main()\n"
        "    except SystemExit as e:\n"
        "        assert not e.code, e.code\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return set(out.stdout.split())


def test_layer_never_imports_the_yaml_loader() -> None:
    """`convcost layer` starts without PyYAML and without the spec package."""
    modules = _modules_after(
        ["layer", "--k", "3", "--cin", "8", "--cout", "8", "--h", "8", "--w", "8"]
    )
    assert "convcost.analysis.separable" in modules  # the command really ran
    assert "convcost.limits" in modules
    assert not {m for m in modules if m == "yaml" or m.startswith(("yaml.", "convcost.spec"))}


def test_net_does_import_the_yaml_loader() -> None:
    # The check above can fail: reading a spec needs both.
    modules = _modules_after(["net", "configs/mobilenet_v1.yaml"])
    assert {"yaml", "convcost.spec", "convcost.spec.yamltree"} <= modules


def test_numeric_layer_never_imports_sympy() -> None:
    modules = _modules_after(
        ["layer", "--k", "3", "--cin", "3", "--cout", "4", "--h", "64", "--w", "64"]
    )
    assert "convcost.analysis.separable" in modules  # the command really ran
    assert "sympy" not in modules


def test_symbolic_layer_does_import_sympy() -> None:
    # The check above can fail: without --h/--w the same command needs sympy.
    assert "sympy" in _modules_after(["layer", "--k", "3", "--cin", "3", "--cout", "4"])


def test_net_never_imports_sympy() -> None:
    modules = _modules_after(["net", "configs/mobilenet_v1.yaml"])
    assert "convcost.network" in modules and "sympy" not in modules


def test_piped_output_has_no_escape_codes() -> None:
    out = subprocess.run(
        [_entry_point(), "net", "configs/mobilenet_v1.yaml"],
        capture_output=True, check=True, cwd=ROOT,
        env={**os.environ, "FORCE_COLOR": "", "TERM": "xterm-256color"},
    )  # fmt: skip
    assert b"\x1b" not in out.stdout
    assert b"568,740,352" in out.stdout


def _console_examples() -> list[tuple[list[str], str]]:
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    examples = []
    for block in re.findall(r"```console\n(.*?)```", text, re.S):
        command, _, expected = block.partition("\n")
        assert command.startswith("$ convcost ")
        examples.append((command.split()[2:], expected))
    return examples


def test_docs_cli_md() -> None:
    # docs/cli.md's console examples print exactly what the page shows.
    examples = _console_examples()
    assert len(examples) >= 4
    for argv, expected in examples:
        result = run(*argv)
        assert result.exit_code == 0, (argv, result.output)
        assert result.stdout == expected, argv


def _installed() -> str:
    return str(Path(sys.executable).with_name("convcost"))


def test_output_to_a_device_writes_into_it() -> None:
    result = run("net", "mobilenet_v1", "-f", "csv", "-o", os.devnull)
    assert (result.exit_code, result.stderr) == (0, "")
    assert Path(os.devnull).is_char_device()


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_is_one_line_and_exit_1() -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [_installed(), "net", "mobilenet_v1", "-f", "csv"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
        )
    assert (done.returncode, done.stderr) == (
        1,
        "error: cannot write to stdout: No space left on device\n",
    )


def test_a_reader_that_goes_away_ends_quietly(monkeypatch: pytest.MonkeyPatch) -> None:
    """`convcost net big.yaml | head`: when the pipe closes, exit 0 without a word
    (tests/test_unix.py runs real pipes)."""

    class ClosedPipe:
        def writelines(self, pieces: object) -> None:
            raise BrokenPipeError(32, "Broken pipe")

        def fileno(self) -> int:
            raise ValueError("no file descriptor")

    monkeypatch.setattr(cli.sys, "stdout", ClosedPipe())
    with pytest.raises(SystemExit) as caught:
        cli._write_stdout(["a long report\n"])
    assert caught.value.code == 0


def test_layer_with_only_a_kernel_is_all_symbols() -> None:
    result = run("layer", "--k", "3", "-f", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [layer["params"] for layer in data["layers"]] == [
        "9*C_in*C_out",
        "9*C_in",
        "C_in*C_out",
        "C_in*(C_out + 9)",
    ]
    assert data["ratio"]["exact"] == "(C_out + 9)/(9*C_out)"
    assert data["ratio"]["decimal"] is None
    grouped = run("layer", "--k", "3", "--cout", "8", "--groups", "2")
    assert (grouped.exit_code, grouped.stderr) == (
        2,
        "error: Invalid value for '--groups': grouping needs --cin and --cout, to check that "
        "it divides them\n",
    )


def test_net_reads_a_spec_from_stdin() -> None:
    """Scripts that generate variants pipe them in: `generate | convcost net -`."""
    text = "input: [32, 32, 3]\nlayers:\n  - conv: {c: 16, s: 2}\n  - fc: {c: 10}\n"
    result = runner.invoke(cli.app, ["net", "-", "-f", "json"], input=text)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["network"] == "stdin"
    # conv 3x3 s2 'same': 16x16x16 outputs of 27 taps; fc over 16*16*16 features.
    assert data["totals"]["macs"] == 16 * 16 * 16 * 27 + 16 * 16 * 16 * 10
    bad = runner.invoke(cli.app, ["net", "-"], input="input: [32, 32, 3]\nlayers: [relu: 5]\n")
    assert (bad.exit_code, bad.stderr) == (
        1,
        "error: <stdin>:2: the fields of 'relu' must be a mapping, got 5\n",
    )


@pytest.mark.parametrize("fmt", ["table", "csv", "markdown", "json", "latex"])
@pytest.mark.parametrize(
    "args",
    [
        ["net", "mobilenet_v2", "--alpha", "0.35"],
        ["net", "efficientnet_b0", "--resolution", "97x131"],
        ["net", "xception", "--alpha", "1.4", "--by-type"],
        ["layer", "--k", "1x7", "--cout", "8", "--h", "9"],
        [
            "layer",
            "--k",
            "5",
            "--cin",
            "8",
            "--cout",
            "16",
            "--groups",
            "2",
            "--bias",
            "--stride",
            "2",
            "--dilation",
            "2",
            "--padding",
            "valid",
            "--h",
            "33",
            "--w",
            "17",
        ],
        ["zoo"],
    ],
)
def test_every_command_in_every_format(args: list[str], fmt: str) -> None:
    result = run(*args, "--format", fmt)
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("\n") and result.stderr == ""
    if fmt == "json":
        json.loads(result.stdout)


def test_bare_convcost_prints_the_help() -> None:
    """No command is a request for help: the help as `--help` prints it, exit 0, not the
    help folded into one error line."""
    bare = runner.invoke(cli.app, [])
    assert (bare.exit_code, bare.stderr) == (0, "")
    assert bare.stdout.rstrip() == runner.invoke(cli.app, ["--help"]).stdout.rstrip()
    assert bare.stdout.startswith("Usage: convcost [OPTIONS] COMMAND [ARGS]...")


def test_a_variant_says_its_declared_shapes_went_unchecked() -> None:
    """mobilenet_v1 declares its outputs at 224x224 and width 1; at --alpha 0.5 they are not
    checked, and every format that has notes says so (JSON: a key)."""
    unchecked = "declared output shapes not checked: --alpha or --resolution changes them"
    for fmt in ("table", "markdown", "latex"):
        text = runner.invoke(cli.app, ["net", "mobilenet_v1", "--alpha", "0.5", "-f", fmt]).stdout
        assert unchecked in text, fmt
        assert unchecked not in runner.invoke(cli.app, ["net", "mobilenet_v1", "-f", fmt]).stdout
    varied = json.loads(
        runner.invoke(cli.app, ["net", "mobilenet_v1", "--alpha", "0.5", "-f", "json"]).stdout
    )
    assert varied["declared_outputs_checked"] is False
    assert varied["totals"]["macs"] == 149_497_088  # MobileNet paper, Table 6: 150M at 0.5
    plain = json.loads(runner.invoke(cli.app, ["net", "mobilenet_v1", "-f", "json"]).stdout)
    assert "declared_outputs_checked" not in plain
