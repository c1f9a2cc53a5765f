"""Reports are safe to print and to open ("Bounded by construction").

A hand-built ``Report`` with hostile names (terminal escapes, line and paragraph separators, a
right-to-left override, rich markup, spreadsheet formulas, Markdown and LaTeX specials) goes
through every renderer: nothing unprintable comes out, nothing is read as markup, and each
format stays well formed. The loader refuses such names, but the network name defaults to the
spec's file name and library callers build reports directly, so the renderers hold the line
on their own.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_report import rich_drawing
from typer.testing import CliRunner

from convcost import cli, printable
from convcost.layers import Conv2d
from convcost.network import LayerCost, Report, Totals
from convcost.report import Format, _text, latex, renderer

NAMES = (
    "\x1b[2J\x1b[31mred",
    "bell\x07",
    "back\x08space",
    "nel\x85x",
    "ls\u2028ps\u2029x",
    "rlo\u202etxt.exe",
    "new\nline",
    "tab\there",
    "cr\rx",
    "zw\u200bj\ufeff",
    "[bold]x[/]",
    "[/]",
    ":smile:",
    '=HYPERLINK("http://x")',
    "+1",
    "-2",
    "@cmd",
    "|pipe|",
    "<script>",
    "50% & $x_1^2 \\ {~#}",
    "*star* _u_ `c` ~~s~~ &lt; a_b",
    "# heading",
    "> quote",
    "层一",
)
NETWORK = "evil\n\x1b[2J"
SOURCE = "Howard et al. 2017\n  <script>alert(1)</script>\n&lt;b&gt; `code` *x* | y\n"


def _report() -> Report:
    rows = tuple(
        LayerCost(
            name=name,
            layer=Conv2d(4, (3, 3)),
            category=f"cat {name}",
            inputs=((8, 8, 3),),
            output=(8, 8, 4),
            params=i + 1,
            buffers=i,
            macs=10 * (i + 1),
        )
        for i, name in enumerate(NAMES)
    )
    return Report(NETWORK, (8, 8, 3), rows, Totals.of(rows), source=SOURCE)


def _texts(fmt: Format) -> Iterator[str]:
    report = _report()
    found = renderer(fmt)
    yield found.network(report)
    yield found.network(report, by_type=True)
    yield "".join(found.network_chunks(report))
    yield found.zoo([report])


@pytest.mark.parametrize("fmt", list(Format))
def test_nothing_unprintable_comes_out(fmt: Format) -> None:
    for text in _texts(fmt):
        bad = {ch for ch in text if not ch.isprintable() and ch != "\n"}
        assert not bad, sorted(bad)
        assert text.endswith("\n")


def test_the_one_rule() -> None:
    shown = printable.escape("evil\n\x1b[2J\u202e\x85\u2028\xa0层")
    assert shown == r"evil\n\x1b[2J\u202e\x85\u2028\xa0层"
    assert printable.escape("mobilenet_v1") == "mobilenet_v1"
    assert printable.fold("a\n  b\r\n\nc\n") == "a b c"
    assert printable.fold("one line") == "one line"
    assert _text.safe_source(SOURCE) == (
        "Howard et al. 2017 <script>alert(1)</script> &lt;b&gt; `code` *x* | y"
    )
    assert _text.safe_source(None) == ""
    for name in NAMES:  # idempotent, so a renderer may apply it again
        assert _text.safe(_text.safe(name)) == _text.safe(name)


def test_table_prints_names_literally() -> None:
    from convcost.report import table

    text = renderer(Format.TABLE).network(_report())
    lines = text.splitlines()
    assert lines[0] == r"evil\n\x1b[2J, input 8x8x3"
    for shown in (r"\x1b[2J\x1b[31mred", "[bold]x[/]", "[/]", ":smile:", r"rlo\u202etxt.exe"):
        assert f"│ {shown} " in text, shown
    layers = _text.layers_grid(_report())
    assert "".join(table.draw(layers)) == rich_drawing(layers)


def _cells(line: str) -> list[str]:
    """A GFM table row split on the pipes that are not backslash-escaped."""
    cells, current, chars = [], "", iter(line.strip()[1:-1])
    for ch in chars:
        if ch == "\\":
            current += ch + next(chars)
        elif ch == "|":
            cells.append(current.strip())
            current = ""
        else:
            current += ch
    return [*cells, current.strip()]


def _unescaped(text: str) -> str:
    """``text`` less its backslash escapes: what Markdown would read as markup."""
    return re.sub(r"\\.", "", text)


def test_markdown_stays_text_and_tables_stay_tables() -> None:
    for text in _texts(Format.MARKDOWN):
        rows = [line for line in text.splitlines() if line.startswith("|")]
        assert rows
        tables: list[list[str]] = [[]]
        for line in text.splitlines():
            if line.startswith("|"):
                tables[-1].append(line)
            elif tables[-1]:
                tables.append([])
        for lines in filter(None, tables):
            widths = {len(_cells(line)) for line in lines}
            assert len(widths) == 1, lines
        for line in text.splitlines():
            raw = _unescaped(line.removeprefix("## ").removeprefix("### "))
            assert not re.search(r"[<>`*\[\]$~#]|&\w+;", raw), line
            assert not re.search(r"(?<![^\W_])_|_(?![^\W_])", raw), line
    text = renderer(Format.MARKDOWN).network(_report())
    lines = text.splitlines()
    assert lines[0] == r"## evil\\n\\x1b\[2J, input 8x8x3"
    assert lines[2] == (
        r"Source: Howard et al. 2017 \<script\>alert(1)\</script\> \&lt;b\&gt; \`code\` \*x\* \| y"
    )
    assert r"| \[bold\]x\[/\] |" in text
    assert r"| 50% & \$x_1^2 \\ {\~\#} |" in text  # x_1: intraword, never emphasis
    assert r"| \*star\* \_u\_ \`c\` \~\~s\~\~ \&lt; a_b |" in text
    assert r"| \# heading |" in text and r"| \> quote |" in text
    assert r"| \|pipe\| |" in text


def _latex_tokens(line: str) -> str:
    """``line`` less its control sequences (``\\textbackslash``, ``\\&``, ``\\\\``)."""
    return re.sub(r"\\([A-Za-z]+|.)", "", line)


def test_latex_stays_text() -> None:
    for text in _texts(Format.LATEX):
        depth = 0
        for ch in _latex_tokens(text):
            depth += {"{": 1, "}": -1}.get(ch, 0)
            assert depth >= 0
        assert depth == 0
        columns, header = 0, False
        for line in text.splitlines():
            if line.startswith("% "):
                assert line.count("\\") == len(re.findall(r"\\[A-Za-z{}&%$#_]", line))
                continue
            # the maths ($8{\times}8{\times}3$) is ours, made from numbers, never user text
            rest = re.sub(r"\$[^$]*\$", "", _latex_tokens(line))
            assert not re.search(r"[#$%^_~\[\]]", rest.replace("{[}", "").replace("{]}", "")), line
            if header:  # a table's first row names its columns
                columns, header = rest.count("&") + 1, False
            header = header or line == r"\toprule"
            if line.endswith(r" \\") and not line.startswith(r"\multicolumn"):
                assert rest.count("&") == columns - 1, line
    lines = renderer(Format.LATEX).network(_report()).splitlines()
    assert lines[1] == r"% evil\textbackslash{}n\textbackslash{}x1b{[}2J, input 8x8x3"
    assert lines[2].startswith("% MACs = multiply-accumulates")
    specials = r"50\% \& \$x\_1\textasciicircum{}2 \textbackslash{} \{\textasciitilde{}\#\}"
    assert any(line.startswith(f"{specials} & ") for line in lines)
    assert any(line.startswith(r"{[}bold{]}x{[}/{]} & ") for line in lines)
    assert any(line.startswith(r"\textless{}script\textgreater{} & ") for line in lines)


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="needs pdflatex")
def test_latex_compiles(tmp_path: Path) -> None:
    body = "\n".join(_texts(Format.LATEX))
    document = tmp_path / "report.tex"
    document.write_text(
        f"\\documentclass{{article}}\n\\usepackage[T1]{{fontenc}}\n{latex.PREAMBLE}\n"
        # pdflatex has no CJK font; the test is about the escaping, not the glyphs
        "\\DeclareUnicodeCharacter{5C42}{?}\\DeclareUnicodeCharacter{4E00}{?}\n"
        f"\\begin{{document}}\n{body}\\end{{document}}\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", document.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-3000:]


def _neutral(text: str) -> str:
    shown = _text.safe(text)
    return "'" + shown if shown[:1] in ("=", "+", "-", "@") else shown


def test_csv_cells_are_text_not_formulas() -> None:
    report = _report()
    rows = list(csv.reader(io.StringIO(renderer(Format.CSV).network(report))))
    assert len(rows) == len(NAMES) + 1  # header, one per layer: no cell broke a line
    body = rows[1:]
    assert [row[0] for row in body] == [_neutral(name) for name in NAMES]
    assert [row[2] for row in body] == [_neutral(f"cat {name}") for name in NAMES]
    by_name = {row[0]: row for row in body}
    assert by_name['\'=HYPERLINK("http://x")'][7:11] == ["14", "13", "140", "280"]
    for cell in ("'+1", "'-2", "'@cmd", r"\x1b[2J\x1b[31mred", r"tab\there", "|pipe|"):
        assert cell in by_name, cell
    for row in rows:
        assert all(not cell.startswith(("=", "+", "-", "@")) for cell in row), row
    zoo = list(csv.reader(io.StringIO(renderer(Format.CSV).zoo([report]))))
    assert zoo[1][0] == r"evil\n\x1b[2J"
    assert zoo[1][-1] == _text.safe_source(SOURCE)
    by_type = list(csv.DictReader(io.StringIO(renderer(Format.CSV).network(report, by_type=True))))
    assert {r["type"] for r in by_type} == {_neutral(f"cat {n}") for n in NAMES}


def test_json_round_trips_the_exact_strings() -> None:
    report = _report()
    data = json.loads(renderer(Format.JSON).network(report))
    assert data["network"] == NETWORK
    assert data["source"] == SOURCE
    assert [layer["name"] for layer in data["layers"]] == list(NAMES)
    assert {entry["type"] for entry in data["by_type"]} == {f"cat {n}" for n in NAMES}
    text = renderer(Format.JSON).network(report)
    assert r'"rlo\u202etxt.exe"' in text and r'"ls\u2028ps\u2029x"' in text
    assert '"层一"' in text  # printable text stays readable
    assert len(text.splitlines()) == len(text.split("\n")) - 1  # no line break but \n
    zoo = json.loads(renderer(Format.JSON).zoo([report]))
    assert zoo["specs"][0]["network"] == NETWORK and zoo["specs"][0]["source"] == SOURCE


def test_json_writes_lone_surrogates_as_escapes() -> None:
    rows = (LayerCost("half\ud800", Conv2d(1, (1, 1)), "c", ((1, 1, 1),), (1, 1, 1)),)
    text = renderer(Format.JSON).network(Report("n", (1, 1, 1), rows, Totals.of(rows)))
    text.encode("utf-8")  # ensure_ascii=False alone would leave it raw: not writable
    assert json.loads(text)["layers"][0]["name"] == "half\ud800"


SPEC = "input: [8, 8, 3]\nlayers:\n  - conv: {c: 4}\n"


@pytest.mark.parametrize("fmt", [None, "markdown", "latex", "csv", "json"])
def test_a_hostile_file_name_stays_one_line(fmt: str | None, tmp_path: Path) -> None:
    """The network name defaults to the spec's file name, which may hold a newline and ESC."""
    path = tmp_path / "evil\n\x1b[2J.yaml"
    path.write_text(SPEC, encoding="utf-8")
    args = ["net", str(path), *(["-f", fmt] if fmt else [])]
    result = CliRunner().invoke(cli.app, args)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "\x1b" not in out
    assert all(ch.isprintable() or ch == "\n" for ch in out)
    # LaTeX opens with the packages it needs, then its title
    first = out.splitlines()[fmt == "latex"]
    expected = {
        None: r"evil\n\x1b[2J, input 8x8x3",
        "markdown": r"## evil\\n\\x1b\[2J, input 8x8x3",
        "latex": r"% evil\textbackslash{}n\textbackslash{}x1b{[}2J, input 8x8x3",
        "csv": "name,type,category,input,output,kernel,stride,params,buffers,macs,flops,macs_share",
        "json": "{",
    }[fmt]
    assert first == expected
    if fmt == "markdown":
        assert out.splitlines()[1] == ""
    if fmt == "latex":
        assert out.splitlines()[2].startswith("% MACs = ")
    if fmt == "json":
        assert json.loads(out)["network"] == "evil\n\x1b[2J"
