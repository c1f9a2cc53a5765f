"""The corpus of bad files: a SPEC or an ``--output`` that names something convcost must not
guess about or wait on. Each gives one line ``error: ...`` on stderr (exit 1, or 2 for an
``--output`` that cannot name a file), nothing on stdout, no traceback and no file written,
through CliRunner and through the installed ``convcost``. Bad specs are in
``test_bad_specs.py``, bad flags in ``test_bad_flags.py``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType

import pytest
from typer.testing import CliRunner

from convcost import cli

runner = CliRunner()
LONG = "a" * 300 + ".yaml"  # longer than any file name may be (NAME_MAX is 255 bytes)
needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")


def _nothing() -> None:
    pass


def _dangling() -> None:
    os.symlink("nowhere", "mobilenet_v2.yaml")


def _loop() -> None:
    os.symlink("resnet18.yaml", "resnet18.yaml")


def _folder_loop() -> None:
    os.symlink("loop", "loop")


def _folder() -> None:
    os.mkdir("mobilenet_v1")


def _out_folder() -> None:
    os.mkdir("out")


def _fifo() -> None:
    os.mkfifo("mobilenet_v1.yaml")


def _file() -> None:
    Path("x.yaml").write_text("input: [8, 8, 3]\nlayers: [relu]\n")


# (setup run in an empty folder, SPEC, the one line on stderr); all exit 1.
SPECS = [
    pytest.param(
        _nothing,
        "/no/such/dir/resnet50.yml",
        "error: /no/such/dir/resnet50.yml: no such file; for the shipped spec of that name, "
        "type resnet50\n",
        id="missing-path-named-like-a-shipped-spec",
    ),
    pytest.param(
        _nothing,
        "configs/mobilenet_v1.yaml",
        "error: configs/mobilenet_v1.yaml: no such file; for the shipped spec of that name, "
        "type mobilenet_v1\n",
        id="shipped-path-typed-from-another-folder",
    ),
    pytest.param(
        _nothing,
        "nets/mine.yaml",
        "error: nets/mine.yaml: no such file\n",
        id="missing-path",
    ),
    pytest.param(
        _dangling,
        "mobilenet_v2.yaml",
        "error: mobilenet_v2.yaml: is a broken symbolic link to 'nowhere'\n",
        id="dangling-link-named-like-a-shipped-spec",
    ),
    pytest.param(
        _loop,
        "resnet18.yaml",
        "error: resnet18.yaml: is a symbolic link loop (too many levels of symbolic links)\n",
        id="looping-link-named-like-a-shipped-spec",
    ),
    pytest.param(
        _folder_loop,
        "loop/resnet18.yaml",
        "error: loop/resnet18.yaml: too many levels of symbolic links\n",
        id="looping-folder",
    ),
    pytest.param(
        _folder,
        "mobilenet_v1",
        "error: mobilenet_v1: is a directory, not a spec file\n",
        id="folder-named-like-a-shipped-spec",
    ),
    pytest.param(
        _fifo,
        "mobilenet_v1.yaml",
        "error: mobilenet_v1.yaml: is a named pipe (FIFO), not a spec file; read a stream with "
        "'convcost net -'\n",
        id="fifo-named-like-a-shipped-spec",
        marks=needs_fifo,
    ),
    pytest.param(
        _nothing,
        os.devnull,
        f"error: {os.devnull}: is a character device, not a spec file; read a stream with "
        "'convcost net -'\n",
        id="device",
    ),
    pytest.param(_nothing, LONG, f"error: {LONG}: file name too long\n", id="name-too-long"),
    pytest.param(
        _file,
        "x.yaml/y.yaml",
        "error: x.yaml/y.yaml: cannot read: Not a directory\n",
        id="file-used-as-folder",
    ),
]

# (setup, --output, exit code, the one line on stderr) for `convcost net mobilenet_v1 -f csv`.
OUTPUTS = [
    pytest.param(
        _nothing,
        "",
        2,
        "error: Invalid value for '--output': empty; give a file name, or - for stdout\n",
        id="empty",
    ),
    pytest.param(
        _nothing,
        "newdir/",
        2,
        "error: Invalid value for '--output': newdir/ names a folder; give a file name\n",
        id="trailing-slash",
    ),
    pytest.param(
        _nothing,
        ".",
        2,
        "error: Invalid value for '--output': . names a folder; give a file name\n",
        id="dot",
    ),
    pytest.param(_out_folder, "out", 1, "error: out: is a directory\n", id="folder"),
    pytest.param(
        _nothing, LONG, 1, f"error: {LONG}: cannot write: File name too long\n", id="name-too-long"
    ),
    pytest.param(
        _fifo,
        "mobilenet_v1.yaml",
        1,
        "error: mobilenet_v1.yaml: is a named pipe that nothing reads; start its reader first\n",
        id="fifo-nothing-reads",
        marks=needs_fifo,
    ),
    pytest.param(
        _loop,
        "resnet18.yaml",
        1,
        "error: resnet18.yaml: cannot write: Too many levels of symbolic links\n",
        id="looping-link",
    ),
    pytest.param(
        _nothing,
        "nope/out.csv",
        1,
        "error: nope/out.csv: cannot write: No such file or directory\n",
        id="missing-folder",
    ),
]


@pytest.fixture(autouse=True)
def _never_waits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each case runs in an empty folder; one that waits on a pipe fails instead of hanging."""
    monkeypatch.chdir(tmp_path)

    def stop(signum: int, frame: FrameType | None) -> None:
        raise TimeoutError("convcost waited on a special file")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def _listing() -> list[str]:
    return sorted(os.listdir("."))


def _installed() -> str:
    script = Path(sys.executable).with_name("convcost")
    assert script.exists(), "the convcost console script is not installed in this environment"
    return str(script)


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [_installed(), *args], capture_output=True, timeout=60, check=False, env=env
    )


def _assert_one_error_line(done: subprocess.CompletedProcess[bytes], code: int) -> str:
    stderr = done.stderr.decode()
    assert (done.returncode, done.stdout) == (code, b""), stderr
    assert stderr.startswith("error: ") and stderr.count("\n") == 1
    assert "Traceback" not in stderr
    return stderr


@pytest.mark.parametrize(("setup", "typed", "stderr"), SPECS)
def test_bad_spec_file(setup: Callable[[], None], typed: str, stderr: str) -> None:
    setup()
    before = _listing()
    result = runner.invoke(cli.app, ["net", typed, "-f", "csv", "-o", "out.csv"])
    assert (result.exit_code, result.stderr, result.stdout) == (1, stderr, "")
    assert _listing() == before


@pytest.mark.parametrize(("setup", "typed", "stderr"), SPECS)
def test_bad_spec_file_in_a_real_process(
    setup: Callable[[], None], typed: str, stderr: str
) -> None:
    setup()
    before = _listing()
    done = _run("net", typed, "-f", "csv", "-o", "out.csv")
    assert _assert_one_error_line(done, 1) == stderr
    assert _listing() == before


@pytest.mark.parametrize(("setup", "output", "code", "stderr"), OUTPUTS)
def test_bad_output(setup: Callable[[], None], output: str, code: int, stderr: str) -> None:
    setup()
    before = _listing()
    result = runner.invoke(cli.app, ["net", "mobilenet_v1", "-f", "csv", "-o", output])
    assert (result.exit_code, result.stderr, result.stdout) == (code, stderr, "")
    assert _listing() == before


@pytest.mark.parametrize(("setup", "output", "code", "stderr"), OUTPUTS)
def test_bad_output_in_a_real_process(
    setup: Callable[[], None], output: str, code: int, stderr: str
) -> None:
    setup()
    before = _listing()
    done = _run("net", "mobilenet_v1", "-f", "csv", "-o", output)
    assert _assert_one_error_line(done, code) == stderr
    assert _listing() == before


def test_bare_names_still_find_the_shipped_specs_from_any_folder() -> None:
    for typed in ("mobilenet_v1", "mobilenet_v1.yaml"):
        result = runner.invoke(cli.app, ["net", typed, "--by-type", "-f", "csv"])
        assert result.exit_code == 0, result.output
        assert "\nConv 1x1,13,3139584,0.741872,539492352,0.948574\n" in result.stdout


def test_zoo_ignores_files_named_like_shipped_specs() -> None:
    Path("mobilenet_v1").write_text("input: [8, 8, 3]\nlayers: [relu]\n")
    result = runner.invoke(cli.app, ["zoo", "-f", "csv"])
    assert result.exit_code == 0, result.output
    assert "mobilenet_v1,224x224x3,4231976,21888,568740352," in result.stdout


def _refuse_for(name: str, real: Callable[..., object]) -> Callable[..., object]:
    """``real`` (os.open, os.stat, ...), failing with EACCES for ``name``: root may read and
    search anything, so permission problems are simulated."""

    def refuse(path: str | os.PathLike[str], *args: object, **kwargs: object) -> object:
        if os.fspath(path) == name:
            raise PermissionError(13, "Permission denied", name)
        return real(path, *args, **kwargs)

    return refuse


def test_an_unreadable_spec(monkeypatch: pytest.MonkeyPatch) -> None:
    _file()
    monkeypatch.setattr(os, "open", _refuse_for("x.yaml", os.open))
    result = runner.invoke(cli.app, ["net", "x.yaml"])
    assert (result.exit_code, result.stderr, result.stdout) == (
        1,
        "error: x.yaml: permission denied\n",
        "",
    )


def test_a_spec_behind_a_folder_we_may_not_search(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("lstat", "stat"):
        monkeypatch.setattr(os, name, _refuse_for("locked/x.yaml", getattr(os, name)))
    result = runner.invoke(cli.app, ["net", "locked/x.yaml"])
    assert (result.exit_code, result.stderr) == (1, "error: locked/x.yaml: permission denied\n")


def test_an_output_folder_we_may_not_write(monkeypatch: pytest.MonkeyPatch) -> None:
    os.mkdir("locked")

    def refuse(*args: object, **kwargs: object) -> tuple[int, str]:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    result = runner.invoke(cli.app, ["net", "mobilenet_v1", "-o", "locked/out.csv"])
    assert (result.exit_code, result.stderr) == (
        1,
        "error: locked/out.csv: cannot write: Permission denied\n",
    )
    assert os.listdir("locked") == []


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads anything")
def test_real_permissions_in_a_real_process() -> None:
    _file()
    os.chmod("x.yaml", 0)
    os.mkdir("locked")
    os.chmod("locked", 0o500)
    try:
        unreadable = _assert_one_error_line(_run("net", "x.yaml"), 1)
        unwritable = _assert_one_error_line(_run("net", "mobilenet_v1", "-o", "locked/o.csv"), 1)
    finally:
        os.chmod("locked", 0o700)
    assert unreadable == "error: x.yaml: permission denied\n"
    assert unwritable == "error: locked/o.csv: cannot write: Permission denied\n"


@needs_fifo
def test_a_named_pipe_with_a_reader_gets_the_report() -> None:
    """`-o fifo` writes into the pipe, as `> fifo` would, once something reads it."""
    os.mkfifo("report.csv")
    args = ["net", "mobilenet_v1", "-f", "csv", "--by-type", "-o", "report.csv"]
    reader = os.open("report.csv", os.O_RDONLY | os.O_NONBLOCK)  # the reader comes first
    try:
        done = _run(*args)  # a short report: the pipe's buffer holds it all
        received = os.read(reader, 1 << 16)
        result = runner.invoke(cli.app, args)
        received_too = os.read(reader, 1 << 16)
    finally:
        os.close(reader)
    assert (done.returncode, done.stderr, result.exit_code, result.stderr) == (0, b"", 0, "")
    assert received.endswith(b"\nPooling,1,0,0.000000,0,0.000000\n")
    assert received_too == received
    assert _listing() == ["report.csv"] and Path("report.csv").is_fifo()


def _closed(redirect: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    """Run convcost with stdin (``<&-``) or stdout (``>&-``) closed, as a shell can."""
    return subprocess.run(
        ["sh", "-c", f'exec "$0" "$@" {redirect}', _installed(), *args],
        stderr=subprocess.PIPE,
        timeout=60,
        check=False,
    )


def test_closed_stdin() -> None:
    done = _closed("<&-", "net", "-")
    assert (done.returncode, done.stderr) == (1, b"error: <stdin>: cannot read: stdin is closed\n")


@pytest.mark.parametrize("args", [["zoo"], ["--version"], ["formula", "ratio"]])
def test_closed_stdout(args: list[str]) -> None:
    done = _closed(">&-", *args)
    assert (done.returncode, done.stderr) == (1, b"error: cannot write to stdout: it is closed\n")


@pytest.mark.parametrize(
    "env",
    [{"PYTHONIOENCODING": "ascii"}, {"PYTHONIOENCODING": "latin-1"}, {"LANG": "C", "LC_ALL": "C"}],
    ids=["ascii", "latin-1", "C-locale"],
)
@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_reports_are_utf8_whatever_the_locale(env: dict[str, str], fmt: str) -> None:
    text = "name: Réseau·1\ninput: [8, 8, 3]\nlayers: [relu: {name: réseau·1}]\n"
    Path("r.yaml").write_text(text, "utf-8")
    done = _run("net", "r.yaml", "-f", fmt, env={**os.environ, **env})
    assert (done.returncode, done.stderr) == (0, b"")
    assert "éseau·1".encode() in done.stdout


def test_a_file_name_that_is_not_utf8_names_the_network_with_u_fffd() -> None:
    name = os.fsdecode(b"\xff.yaml")
    Path(name).write_text("input: [8, 8, 3]\nlayers: [relu]\n")
    printed = _run("net", name, "-f", "json")
    written = _run("net", name, "-f", "json", "-o", "out.json")
    assert (printed.returncode, printed.stderr, written.returncode, written.stderr) == (
        0,
        b"",
        0,
        b"",
    )
    assert b'"network": "\xef\xbf\xbd"' in printed.stdout
    assert printed.stdout == Path("out.json").read_bytes()
