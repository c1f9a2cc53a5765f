"""Unix manners and machine formats (issue 13, items 3 and 4).

- CSV holds no totals row, so a column's sum is its total; ``--totals`` is the totals' own CSV.
- A table's column titles are its CSV/JSON keys in words (``tables.Column``).
- ``--output``'s extension picks the format when ``--format`` is left out; a mismatch, or an
  extension that names no format, is a bad flag (exit 2) and nothing is written.
- A reader that closes the pipe (``| head -1``) ends convcost quietly with exit 0, in every
  format, checked on real pipes: a shell pipeline, and a pipe closed before the first write.
- An existing ``--output`` file without ``--force`` is exit 1, like every write problem.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from convcost import cli, network, spec
from convcost.analysis.separable import compare
from convcost.report import Format
from convcost.report._text import zoo_table
from convcost.tables import Table

runner = CliRunner()
CONVCOST = str(Path(sys.executable).with_name("convcost"))
posix = pytest.mark.skipif(os.name != "posix", reason="POSIX pipes and sh")
LAYER = ["layer", "--k", "3", "--cin", "3", "--cout", "4", "--h", "8", "--w", "8"]


def run(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(cli.app, list(args))


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture(scope="module")
def mobilenet() -> network.Report:
    return network.walk(spec.load(spec.resolve("mobilenet_v1")[0]))


# --- CSV: no totals row; the totals in their own CSV ---------------------------------------


@pytest.mark.parametrize(
    "flags",
    [
        [],
        ["--by-type"],
        ["--terms"],
        ["--convention", "fvcore"],
        ["--convention", "thop", "--terms"],
    ],
    ids=["layers", "by_type", "terms", "fvcore", "thop_terms"],
)
def test_csv_columns_sum_to_the_json_totals(flags: list[str]) -> None:
    """No row is a total, so summing a column in a spreadsheet gives the total (issue 13)."""
    rows = _rows(run("net", "mobilenet_v1", "-f", "csv", *flags).stdout)
    totals = json.loads(run("net", "mobilenet_v1", "-f", "json", *flags).stdout)["totals"]
    first = next(iter(rows[0]))  # name, type or term
    assert all(row[first] != "total" for row in rows)
    assert sum(int(row["macs"]) for row in rows) == totals["macs"]
    if "params" in rows[0]:
        assert sum(int(row["params"]) for row in rows) == totals["params"]
    if "buffers" in rows[0]:
        assert sum(int(row["buffers"]) for row in rows) == totals["buffers"]


def test_every_csv_has_no_totals_row() -> None:
    for args in (["zoo"], ["layer", "--k", "3", "--cin", "3", "--cout", "4", "--h", "8"]):
        rows = list(csv.reader(io.StringIO(run(*args, "-f", "csv").stdout)))
        assert all(row[0] != "total" for row in rows), args


def test_totals_csv_is_one_row_with_the_json_totals_keys() -> None:
    result = run("net", "mobilenet_v1", "-f", "csv", "--totals")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == "params,buffers,macs,flops\n4231976,21888,568740352,1137480704\n"
    preset = run("net", "mobilenet_v1", "-f", "csv", "--totals", "--convention", "fvcore")
    assert preset.stdout.splitlines() == [
        "params,buffers,macs,flops,convention",
        "4231976,21888,578875904,1157751808,fvcore",
    ]


def test_totals_from_the_extension(tmp_path: Path) -> None:
    result = run("net", "mobilenet_v1", "--totals", "-o", str(tmp_path / "t.csv"))
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert (tmp_path / "t.csv").read_text().startswith("params,buffers,macs,flops\n")


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (
            ["--totals"],
            "error: Invalid value for '--totals': only CSV takes it (-f csv); table always "
            "shows totals\n",
        ),
        (
            ["--totals", "-f", "json"],
            "error: Invalid value for '--totals': only CSV takes it (-f csv); json always "
            "shows totals\n",
        ),
        (
            ["--totals", "--by-type", "-f", "csv"],
            "error: Invalid value for '--totals': a CSV holds one table: leave out --by-type "
            "and --terms\n",
        ),
    ],
)
def test_totals_is_a_csv_table_of_its_own(flags: list[str], message: str) -> None:
    result = run("net", "mobilenet_v1", *flags)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", message)


# --- column names: the table's title is the CSV/JSON key in words --------------------------


def _key(title: str) -> str:
    """The rule of tables.Column: lower case, `` %`` as ``_share``, spaces as ``_``."""
    return title.lower().replace(" %", "_share").replace(" ", "_")


def _tables(report: network.Report) -> list[Table]:
    return [
        report.layer_table(),
        report.by_type_table(),
        report.totals_table(),
        report.terms_table(),
        zoo_table([report]),
        compare(k=(3, 3), cin=8, cout=16, h=8, w=8).kinds_table(),
    ]


def test_every_title_is_its_key_in_words(mobilenet: network.Report) -> None:
    for table in _tables(mobilenet):
        for column in table.columns:
            if column.title:  # '' for a column people do not see
                assert _key(column.title) == column.key, (table.key, column)


@pytest.mark.parametrize(
    ("args", "start"),
    [
        (["net", "mobilenet_v1"], "| name |"),
        (["net", "mobilenet_v1", "--by-type"], "| type |"),
        (["zoo"], "| name |"),
        (LAYER, "| name |"),
    ],
    ids=["layers", "by_type", "zoo", "layer"],
)
def test_table_columns_are_csv_columns_by_name(args: list[str], start: str) -> None:
    """Each column people see (here in Markdown, whose titles the terminal shares) is in the
    CSV under its name, in the same order."""
    header = next(csv.reader(io.StringIO(run(*args, "-f", "csv").stdout)))
    markdown = run(*args, "-f", "markdown").stdout
    line = next(line for line in markdown.splitlines() if line.startswith(start))
    keys = [_key(title.strip()) for title in line.strip("|").split(" | ")]
    assert [key for key in header if key in keys] == keys


def test_csv_header_is_the_json_keys() -> None:
    header = next(csv.reader(io.StringIO(run("net", "mobilenet_v1", "-f", "csv").stdout)))
    layer = json.loads(run("net", "mobilenet_v1", "-f", "json").stdout)["layers"][0]
    assert set(header) <= set(layer)


# --- the format from --output's extension ---------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("out.txt", Format.TABLE),
        ("out.csv", Format.CSV),
        ("OUT.CSV", Format.CSV),
        ("out.md", Format.MARKDOWN),
        ("out.markdown", Format.MARKDOWN),
        ("out.json", Format.JSON),
        ("out.tex", Format.LATEX),
        ("out", Format.TABLE),  # no extension: the default, as on stdout
        ("v1.2/out", Format.TABLE),  # a dot in a folder's name is no extension
    ],
)
def test_the_extension_picks_the_format(name: str, fmt: Format, tmp_path: Path) -> None:
    (tmp_path / "v1.2").mkdir()
    target = tmp_path / name
    result = run(*LAYER, "-o", str(target))
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert target.read_text() == run(*LAYER, "-f", fmt.value).stdout
    again = run(*LAYER, "-f", fmt.value, "-o", str(target), "--force")  # agreeing: fine
    assert again.exit_code == 0, again.stderr


def test_every_format_has_an_extension() -> None:
    assert set(cli.SUFFIXES) == set(Format)
    suffixes = [s for group in cli.SUFFIXES.values() for s in group]
    assert len(suffixes) == len(set(suffixes))


def test_zoo_and_net_take_the_extension_too(tmp_path: Path) -> None:
    assert run("zoo", "-o", str(tmp_path / "zoo.json")).exit_code == 0
    assert json.loads((tmp_path / "zoo.json").read_text())
    assert run("net", "mobilenet_v1", "-o", str(tmp_path / "net.md")).exit_code == 0
    assert (tmp_path / "net.md").read_text().startswith("## mobilenet_v1")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["-f", "json", "-o", "out.csv"],
            "error: Invalid value for '--format': json does not match the --output extension "
            "'.csv' (csv); leave --format out, or end the name in .json\n",
        ),
        (
            ["-f", "table", "-o", "out.md"],
            "error: Invalid value for '--format': table does not match the --output extension "
            "'.md' (markdown); leave --format out, or end the name in .txt\n",
        ),
        (
            ["-o", "out.xlsx"],
            "error: Invalid value for '--output': no format has the extension '.xlsx'; add "
            "--format, or end the name in .txt, .csv, .md, .json or .tex\n",
        ),
    ],
)
def test_a_mismatch_is_a_bad_flag_and_writes_nothing(
    args: list[str], message: str, tmp_path: Path
) -> None:
    args = [str(tmp_path / arg) if arg.startswith("out.") else arg for arg in args]
    for command in (LAYER, ["net", "mobilenet_v1"], ["zoo"]):
        result = run(*command, *args)
        assert (result.exit_code, result.stdout, result.stderr) == (2, "", message), command
        assert list(tmp_path.iterdir()) == []


def test_an_unknown_extension_with_a_format_is_written(tmp_path: Path) -> None:
    result = run(*LAYER, "-f", "csv", "-o", str(tmp_path / "out.dat"))
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "out.dat").read_text() == run(*LAYER, "-f", "csv").stdout


def test_stdout_and_dash_keep_the_default_table() -> None:
    assert run(*LAYER).stdout == run(*LAYER, "-o", "-").stdout == run(*LAYER, "-f", "table").stdout


# --- existing files, empty names, bare convcost ---------------------------------------------


def test_an_existing_file_is_exit_1_like_every_write_problem(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("keep me")
    result = run(*LAYER, "-o", str(target))
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"error: {target}: exists; add --force to replace it\n"
    assert target.read_text() == "keep me"
    assert run(*LAYER, "-o", str(target), "--force").exit_code == 0
    assert target.read_text() == run(*LAYER, "-f", "csv").stdout


def test_an_empty_output_name_is_a_bad_flag() -> None:
    result = run(*LAYER, "-o", "")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        "error: Invalid value for '--output': empty; give a file name, or - for stdout\n"
    )


def test_bare_convcost_prints_the_help() -> None:
    result = run()
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.startswith("Usage: convcost [OPTIONS] COMMAND [ARGS]...\n")
    assert result.stdout == run("--help").stdout


# --- a reader that goes away: exit 0, nothing on stderr -------------------------------------


CLOSED_PIPE_RUNS = [
    *(["net", "resnet50", "-f", fmt.value] for fmt in Format),
    ["net", "resnet50", "-f", "csv", "--totals"],
    ["zoo", "-f", "csv"],
    [*LAYER, "-f", "json"],
    ["formula"],
    ["schema"],
    ["--version"],
    [],  # the help, printed by convcost
    ["--help"],  # printed by click
    ["net", "--help"],
]


@posix
@pytest.mark.parametrize("args", CLOSED_PIPE_RUNS, ids=lambda args: " ".join(args) or "bare")
def test_a_pipe_closed_before_the_first_write_exits_0(args: list[str]) -> None:
    """The reader is gone before convcost writes a byte: every write (and the flush at
    exit) meets EPIPE, deterministically, and none may print or change the exit status."""
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run([CONVCOST, *args], stdout=write, stderr=subprocess.PIPE, timeout=60)
    finally:
        os.close(write)
    assert (done.returncode, done.stderr) == (0, b"")


@posix
@pytest.mark.skipif(shutil.which("head") is None, reason="needs head")
@pytest.mark.parametrize("fmt", ["csv", "json", "table"])
def test_head_in_a_shell_pipeline_exits_0_every_time(fmt: str, tmp_path: Path) -> None:
    """issue 13's must-show: `convcost net resnet50 -f FMT | head -1`, a few times over."""
    script = (
        'for i in 1 2 3 4 5; do { "$0" net resnet50 -f "$1" 2>>err; echo $? >>status; } '
        "| head -1 >/dev/null; done"
    )
    subprocess.run(["sh", "-c", script, CONVCOST, fmt], cwd=tmp_path, check=True, timeout=120)
    assert (tmp_path / "status").read_text() == "0\n" * 5
    assert (tmp_path / "err").read_text() == ""


@posix
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_whose_reader_goes_away_exits_0(tmp_path: Path) -> None:
    """``-o fifo.json`` read by ``head -c 1``: as on stdout, the end is quiet."""
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        import fcntl

        size = getattr(fcntl, "F_SETPIPE_SZ", None)
        if size is not None:  # Linux: a 4 KiB pipe, so the 47 KB report must wait for reads
            fcntl.fcntl(reader, size, 4096)
        writing = subprocess.Popen(
            [CONVCOST, "net", "resnet50", "-o", str(fifo)], stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 60
        first = b""
        while not first:  # b"" until convcost opens its end; BlockingIOError until it writes
            assert writing.poll() is None and time.monotonic() < deadline, "nothing written"
            with contextlib.suppress(BlockingIOError):
                first = os.read(reader, 1)
            time.sleep(0.005)
        assert first == b"{"
    finally:
        os.close(reader)
    _, stderr = writing.communicate(timeout=60)
    assert (writing.returncode, stderr) == (0, b"")
