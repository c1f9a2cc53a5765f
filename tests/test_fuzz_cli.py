"""Fuzzing the whole command line in real processes: flags, spec text, files and environment.

Hypothesis draws a case (an argv for ``layer``, ``formula``, ``net``, ``zoo``, ``schema``,
``--version`` or ``--help``, with valid and broken flag values; the spec and the files it
names, as a file, a link, a pipe or stdin; environment variables such as ``LC_ALL=C``,
``PYTHONIOENCODING=ascii``, ``COLUMNS``, ``NO_COLOR``), prepares an empty folder and runs
``python -m convcost ARGV`` there as a real subprocess under resource limits. Whatever the
case, the process must

- exit with 0, 1 or 2, never a traceback or a signal;
- on failure print exactly one line ``error: ...`` of printable text on stderr (UTF-8, or the
  encoding ``PYTHONIOENCODING`` asks for), nothing on stdout, and leave the folder as it was:
  no new file, no hidden temp file ``.NAME.*.tmp``, no existing file changed;
- on success print nothing on stderr and no escape code, change nothing but the ``--output``
  FILE it was given (and then print nothing), and write JSON that parses and CSV whose rows
  all have as many cells as the header;
- stay under two ceilings per case, measured with ``os.wait4``: peak RSS below
  ``RSS_CEILING_MB`` = 200 MB and CPU time (user + system) below ``CPU_CEILING_S`` = 5 s.
  Over 8,000 random cases the worst were 69 MB (a spec of just under 16 MiB on stdin; 56 MB
  for ``formula`` and a symbolic ``layer``) and 1.0 s (``formula``), on a 2-core machine.
  Hard limits make a runaway case fail instead of swapping or hanging CI: ``RLIMIT_AS`` 1 GiB
  (a ``MemoryError`` traceback), ``RLIMIT_CPU`` 20 s (SIGXCPU), ``RLIMIT_FSIZE`` 64 MiB, no
  core files, and 60 s of wall clock (SIGKILL: a read that waits on a pipe).

CI runs ``EXAMPLES`` = 120 cases, about 23 s on a 2-core machine, derandomized: the same cases
on every run, with no example database. ``CONVCOST_FUZZ_CLI_EXAMPLES=2000 python -m pytest -q
tests/test_fuzz_cli.py`` digs deeper with fresh random cases and hypothesis' database under
``.hypothesis/``, which replays a failure first on the next run. Inputs that hit a bug still
open are drawn only with ``CONVCOST_FUZZ_CLI_KNOWN=1``; ``FIXED_BUGS`` keeps one case of each
bug it found, as a regression.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import itertools
import json
import os
import re
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.skipif(
    os.name != "posix" or not hasattr(os, "wait4"), reason="rlimits, os.wait4, named pipes"
)

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = {path.stem: path.read_text("utf-8") for path in sorted(ROOT.glob("configs/*.yaml"))}

# Hard limits the launcher sets for convcost; a case that hits one fails (a signal, or a
# MemoryError traceback).
ADDRESS_SPACE = 2**30
CPU_LIMIT_S = 20
FILE_SIZE = 64 * 2**20
WALL_LIMIT_S = 60.0
# Ceilings asserted per case, three to five times the worst measured (module docstring).
RSS_CEILING_MB = 200
CPU_CEILING_S = 5.0

_DEEPER = os.environ.get("CONVCOST_FUZZ_CLI_EXAMPLES")
EXAMPLES = int(_DEEPER or "120")
_SETTINGS: dict[str, Any] = {
    "max_examples": EXAMPLES,
    "deadline": None,
    "suppress_health_check": [
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
}
if _DEEPER is None:  # CI: the same cases every run, whatever a local database holds
    _SETTINGS.update(derandomize=True, database=None)
FUZZ = settings(**_SETTINGS)

# Inputs that still hit open bugs are drawn only with CONVCOST_FUZZ_CLI_KNOWN=1, so that CI
# stays green until the fixes land; each gate below names its bug. Drop a gate with its fix.
KNOWN = os.environ.get("CONVCOST_FUZZ_CLI_KNOWN") == "1"

# --- the cases ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Setup:
    """Something put in the case's empty folder before the run."""

    kind: str  # "file", "dir", "symlink", "fifo"
    name: str
    data: bytes = b""  # a file's bytes
    target: str = ""  # a symlink's target


@dataclass
class Case:
    argv: list[str]
    stdin: bytes = b""
    env: dict[str, str] = field(default_factory=dict)
    setup: list[Setup] = field(default_factory=list)

    def command_line(self) -> str:
        env = " ".join(f"{k}={v!r}" for k, v in self.env.items())
        args = " ".join(repr(a) for a in self.argv)
        files = "; ".join(
            f"{s.kind} {s.name!r}"
            + (f" -> {s.target!r}" if s.target else "")
            + (f" = {s.data[:400]!r}" if s.kind == "file" else "")
            for s in self.setup
        )
        stdin = f" <<< {self.stdin[:400]!r}" if self.stdin else ""
        return f"[{files}] {env} convcost {args}{stdin}"


def _words(text: str) -> list[str]:
    return text.split(" ")


def _decoded(raw: bytes) -> str:
    """A command-line or file-name string holding ``raw`` as the OS will see it."""
    return os.fsdecode(raw)


ODD_TEXT = ["", " ", "-", "--", "--force", "-f", "x" * 300, "\x1b[2J", "a\nb", "\u202eevil"]
ODD_TEXT += ["\u2028", "\t", "é", "层一", "=1+1", "[bold]x[/]", _decoded(b"\xff\xfe")]

# Flag values; `_words` splits on spaces, so values with spaces are added apart.
NUMBERS = _words("0 1 2 3 7 64 -1 -3 +3 03 1_000 2.5 3.0 1e3 1e100000000 -1e100000000 nan inf")
NUMBERS += [*_words("16777216 16777217 0x10 0b11 three 3/4"), str(2**63), "0" * 40 + "3"]
NUMBERS += ["9" * 32, "9" * 33, "9" * 5000, " 3 ", "\t3", "3\n"]
NUMBERS += ["\u0663", "\uff13", "\u22123"]  # Arabic-Indic and fullwidth 3, a minus sign
PAIRS = [*_words("3x3 1x7 7X1 0x3 3x0 3x3x3 x3 3x x -1x2 2x-1"), "3 x 3"]
PADDINGS = [*_words("same valid SAME full sam s 0 1 2x0 0x3"), " Valid "]
ALPHAS = _words("0.75 3/4 1 0.25 1.4 2 100 100.0000001 101 0.001 0.0009 1e-3 .5 5. 1e307")
ALPHAS += _words("1e308 1e309 1e-400 1e100000000 1e-100000000 -1 -0.5 0 0.0 0/1 1/0 0/0")
ALPHAS += _words("+0.75 1/3 22/7 nan NaN inf -inf 0x1p-2 1,5 1e+00000000000000000000000000001")
ALPHAS += ["3 / 4", "1" + "0" * 31, "0." + "0" * 30 + "1"]
RESOLUTIONS = _words("224 160 1 2 32 720x1280 16777216 16777216x16777216 224x")
FORMATS = [*_words("table csv markdown json latex JSON Csv xml tab md"), ""]
SHIPPED_NAMES = _words("mobilenet_v1 mobilenet_v1.yaml mobilenet_v1.yml MobileNet_V1 vgg16")
SHIPPED_NAMES += _words("resnet18_cifar xception configs/mobilenet_v2.yaml ./mobilenet_v1")
SHIPPED_NAMES += ["mobilenet_v1 "]

# Spec text: mutations of the shipped configs, YAML-ish token soup, deep nesting, big numbers.
YAML_VALUES = _words("0 -1 1 2 3 64 0.5 2.0 1e3 1.0e+3 1e400 -1e400 .inf -.inf .nan 0x1F 0o17")
YAML_VALUES += _words("017 0b101 1_000 1:20 190:20:30 2024-01-01 2001-12-14t21:59:43.10-05:00")
YAML_VALUES += _words("yes no on Off y ~ null '' \"\" [] {} [[3]] 16777216 16777217 4096 -0 +5")
YAML_VALUES += _words("= << &x *x 100001 1000000000 250001 same valid none up")
YAML_VALUES += [str(2**63), "9" * 40, "9" * 41, "9" * 5000, "1" + "0" * 39, "[3, 3]", "[3, 3, 3]"]
YAML_VALUES += ["!!int 3", "!!int 3.5", "!!int ''", "!!float 3", "!!float x", "!!str 3"]
YAML_VALUES += ["!!bool 3", "!!null 3", "!!binary aGVsbG8=", "!!timestamp 2024-01-01", "!foo 3"]
YAML_VALUES += ["!!python/object/apply:os.system ['true']", "!!python/name:os.system", "&x 3"]
YAML_VALUES += ["!<tag:yaml.org,2002:int> 3", '"\\x1b[2J"', '"a\\nb"', '"\\u202e"', '"\\0"']
KEYS = _words("input layers name source defaults width_rule c cout k s stride n repeat t exp")
KEYS += _words("groups padding dilation output scale bias bn act se split branches shortcut")
KEYS += [*_words("size p multiplier expansion bogus << = 1"), "? x", ""]
ENTRY_TYPES = _words("conv depthwise pointwise separable fc batchnorm relu maxpool avgpool")
ENTRY_TYPES += _words("global_avgpool adaptive_avgpool flatten dropout channel_shuffle basic")
ENTRY_TYPES += _words("inverted_residual bottleneck shuffle_unit sequence residual concat nope")
ODD_CHARS = ["\x00", "\x07", "\x08", "\x1b", "\x7f", "\x85", "\u2028", "\u2029", "\u202e"]
ODD_CHARS += ["\u200b", "\ufeff", "\ufffe", "\t", "\r", "\r\n", "\n", "é", "层"]
ODD_CHARS += ["\udcff"]  # written as the byte 0xff: not UTF-8
ODD_CHARS += list(":-#&*!|>%@`'\"{}[],?\\")
TOKENS = ["- ", ": ", "{", "}", "[", "]", ", ", "&a ", "*a", "<<: ", "|\n", ">-\n", '"', "'"]
TOKENS += ["# c\n", "%YAML 1.1\n", "%TAG ! tag:x,2000:\n", "---\n", "...\n", "? ", "\n", "  "]
TOKENS += [*KEYS[:20], *ENTRY_TYPES, *YAML_VALUES[:40], *ODD_CHARS]
TAGS = _words("!!int !!float !!str !!bool !!null !!map !!seq !!set !!omap !!binary !foo")
TAGS += _words("!!timestamp !!python/tuple !<tag:yaml.org,2002:str>")
NAMES = ['"\\x1b[2J"', '"evil\\nline"', '"\\u202eevil"', "'=HYPERLINK(\"x\")'", "'a|b'"]
NAMES += ["'[bold]x[/]'", "'<script>'", "'$\\\\_%&#{}~^'", "'*x'", "'- x'", "'层一'", "'conv1'"]
NAMES += ["'a.b'", "''", "~", "3", "[1]", "'" + "n" * 201 + "'"]
REPEATS = [*_words("0 -1 2 3 2.5 3.0 100001 1000000000 1e9 yes [2]"), "9" * 41]
NUMBER_TOKEN = re.compile(r"(?<![\w.])\d+(?![\w.])")
KEY_TOKEN = re.compile(r"(?<![\w])([a-z_]+)(?=: )")


def _number(extra: list[str]) -> st.SearchStrategy[str]:
    """A flag's number: valid half the time, so that later flags and the work get their turn."""
    valid = st.integers(min_value=1, max_value=64).map(str)
    return st.one_of(
        valid,
        valid,
        valid,
        st.sampled_from(NUMBERS + extra),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.sampled_from(ODD_TEXT),
    )


MUTATIONS = _words("number number key line dup insert char truncate tag anchor name n")


def _index(draw: st.DrawFn, items: list[Any]) -> int:
    return draw(st.integers(min_value=0, max_value=len(items) - 1))


@st.composite
def _mutated_config(draw: st.DrawFn) -> str:
    """A shipped config after one to four edits of its text."""
    text = SHIPPED[draw(st.sampled_from(sorted(SHIPPED)))]
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        op = draw(st.sampled_from(MUTATIONS))
        lines = text.splitlines(keepends=True) or [""]
        at = _index(draw, lines)
        numbers = list(NUMBER_TOKEN.finditer(text))
        keys = list(KEY_TOKEN.finditer(text))
        values = list(re.finditer(r": ", text))
        if op == "number" and numbers:
            hit = numbers[_index(draw, numbers)]
            text = text[: hit.start()] + draw(st.sampled_from(YAML_VALUES)) + text[hit.end() :]
        elif op == "key" and keys:
            hit = keys[_index(draw, keys)]
            text = (
                text[: hit.start()] + draw(st.sampled_from(KEYS + ENTRY_TYPES)) + text[hit.end() :]
            )
        elif op == "line":
            del lines[at]
            text = "".join(lines)
        elif op == "dup":
            lines[at:at] = [lines[at]] * draw(st.integers(min_value=1, max_value=50))
            text = "".join(lines)
        elif op == "insert":
            indent = " " * (len(lines[at]) - len(lines[at].lstrip(" ")))
            tokens = draw(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=8))
            lines.insert(at, indent + "".join(tokens) + "\n")
            text = "".join(lines)
        elif op == "char":
            spot = draw(st.integers(min_value=0, max_value=len(text)))
            text = text[:spot] + draw(st.sampled_from(ODD_CHARS)) + text[spot:]
        elif op == "truncate":
            text = text[: draw(st.integers(min_value=0, max_value=len(text)))]
        elif op == "tag" and values:
            spot = values[_index(draw, values)].end()
            text = text[:spot] + draw(st.sampled_from(TAGS)) + " " + text[spot:]
        elif op == "anchor" and "{" in text:
            first, last = text.index("{"), text.rindex("{")
            text = text[:first] + "&a " + text[first:last] + "*a\n" + text[last + 1 :]
            if draw(st.booleans()):
                text = text.replace("layers:", "layers:\n  - {<<: *a}", 1)
        elif op == "name":
            key, value = draw(st.sampled_from(["name", "source"])), draw(st.sampled_from(NAMES))
            if draw(st.booleans()) and "{" in text:
                text = text.replace("{", "{" + f"{key}: {value}, ", 1)
            else:
                text = f"{key}: {value}\n" + re.sub(rf"(?m)^{key}:.*\n", "", text)
        elif op == "n" and "}" in text:
            ends = [m.start() for m in re.finditer(r"\}", text)]
            spot = ends[_index(draw, ends)]
            text = text[:spot] + f", n: {draw(st.sampled_from(REPEATS))}" + text[spot:]
    return text


@st.composite
def _soup(draw: st.DrawFn) -> str:
    """Random YAML-ish text, sometimes after a valid header so it gets past the top level."""
    head = draw(st.sampled_from(["", "input: [8, 8, 3]\nlayers:\n", "input: [8, 8, 3]\n"]))
    body = "".join(draw(st.lists(st.sampled_from(TOKENS), max_size=60)))
    return head + body


@st.composite
def _deep(draw: st.DrawFn) -> str:
    depths = [2, 49, 50, 51, 60, 999, 1000, 1001, 1500, 20_000]
    depth = draw(st.sampled_from(depths))
    shape = draw(st.sampled_from(["flow", "map", "block", "sequence", "residual", "concat"]))
    head = "input: [8, 8, 3]\nlayers: "
    if shape == "flow":
        return head + "[" * depth + "relu" + "]" * depth + "\n"
    if shape == "map":
        return head + "{a: " * depth + "1" + "}" * depth + "\n"
    if shape == "block":
        return head + "\n" + "".join("  " * i + "-\n" for i in range(min(depth, 2000)))
    wrap = {
        "sequence": ("{sequence: {layers: [", "]}}"),
        "residual": ("{residual: {layers: [", "]}}"),
        "concat": ("{concat: {branches: [[", "], []]}}"),
    }[shape]
    depth = min(depth, 1001)
    return head + "[" + wrap[0] * depth + "relu" + wrap[1] * depth + "]\n"


@st.composite
def _big(draw: st.DrawFn) -> str:
    value = draw(st.sampled_from(YAML_VALUES))
    where = draw(st.sampled_from(["input", "c", "k", "s", "n", "t", "groups", "padding", "size"]))
    if where == "input":
        return f"input: [{value}, 8, 3]\nlayers: [relu]\n"
    entry = {"t": "inverted_residual", "size": "adaptive_avgpool", "padding": "maxpool"}
    kind = entry.get(where, "conv")
    extra = ", c: 8" if where != "c" and kind in ("conv", "inverted_residual") else ""
    return f"input: [8, 8, 3]\nlayers:\n  - {kind}: {{{where}: {value}{extra}}}\n  - fc: {{c: 2}}\n"


@st.composite
def _valid(draw: st.DrawFn) -> str:
    """A small spec that loads, with names that a report must print safely."""
    names = ["a", "层一", "=cmd", "-x", "a|b", "<b>", "[bold]x[/]", "$\\_%&#{}~^", "*x", "é́"]
    layers = []
    for i in range(draw(st.integers(min_value=1, max_value=6))):
        name = draw(st.sampled_from(names))
        kind = draw(st.sampled_from(["conv", "separable", "relu", "batchnorm", "maxpool"]))
        width = ", c: 8" if kind in ("conv", "separable") else ""
        layers.append(f"  - {kind}: {{name: {json.dumps(f'{name}{i}')}{width}}}\n")
    source = json.dumps(draw(st.sampled_from(["x", "a\nb", "<script>", "=1", "层"])))
    return f"name: {json.dumps(draw(st.sampled_from(names)))}\nsource: {source}\n" + (
        "input: [32, 32, 3]\nlayers:\n" + "".join(layers) + "  - global_avgpool\n  - fc: {c: 3}\n"
    )


# Just over and just under the 16 MiB a spec may have; both must be answered in a moment.
# A case holds only the marker (hypothesis prints cases); `_materialize` pads the text.
OVER, UNDER = b"\0<over 16 MiB>", b"\0<under 16 MiB>"
OVERSIZE = [b"#" + OVER, b"input: [8, 8, 3]\nlayers: [relu]\n#" + UNDER]


def _materialize(data: bytes) -> bytes:
    for mark, size in ((OVER, 2**24 + 1), (UNDER, 2**24 - 1)):
        if data.endswith(mark):
            head = data[: -len(mark)]
            return head + b"x" * (size - len(head) - 1) + b"\n"
    return data


def _encoded(text: str, how: str) -> bytes:
    if how == "utf-16":
        return text.encode("utf-16", "surrogatepass")
    data = text.encode("utf-8", "surrogateescape" if how == "utf-8" else "surrogatepass")
    return {"bom": b"\xef\xbb\xbf" + data, "crlf": data.replace(b"\n", b"\r\n")}.get(how, data)


@st.composite
def spec_bytes(draw: st.DrawFn) -> bytes:
    if draw(st.integers(min_value=0, max_value=40)) == 0:
        return draw(st.sampled_from(OVERSIZE))
    text: str = draw(
        st.one_of(
            st.sampled_from(sorted(SHIPPED.values())),
            _mutated_config(),
            _mutated_config(),
            _soup(),
            _deep(),
            _big(),
            _valid(),
            st.text(max_size=80),
        )
    )
    try:
        how = draw(st.sampled_from(["utf-8"] * 8 + ["bom", "crlf", "utf-16"]))
        return _encoded(text, how)
    except UnicodeEncodeError:  # a lone surrogate from st.text
        return text.encode("utf-8", "replace")


SPEC_FILE_NAMES = _words("spec.yaml net.yml mobilenet_v1.yaml mobilenet_v1 =HYPERLINK(1).yaml")
SPEC_FILE_NAMES += _words("a|b.yaml [bold]x.yaml 层一.yaml -dash.yaml .hidden.yaml")
SPEC_FILE_NAMES += ["sp ace.yaml", "evil\n\x1b[2J.yaml", "\u202eevil.yaml", "n" * 250 + ".yaml"]
SPEC_FILE_NAMES += [_decoded(b"\xff.yaml")]
OUTPUT_NAMES = _words("out.csv out.json out sub/out.csv newdir/ . .. - --force existing.csv")
OUTPUT_NAMES += _words("existing.csv/ folder folder/ folder/out.csv link.csv dangling.csv")
OUTPUT_NAMES += _words("fifo.csv /dev/null /dev/full spec.yaml")
OUTPUT_NAMES += ["", " ", "x" * 255, "x" * 256, "x" * 250 + ".csv", "d" * 200 + "/" + "x" * 60]
OUTPUT_NAMES += ["evil\n\x1b[2J.txt", _decoded(b"\xff.csv")]


@st.composite
def _output_flags(draw: st.DrawFn, setup: list[Setup]) -> list[str]:
    if not draw(st.booleans()):
        return []
    name = draw(st.sampled_from(OUTPUT_NAMES))
    base = name.rstrip("/")
    if base.startswith("existing.csv"):
        setup.append(Setup("file", "existing.csv", b"keep me\n"))
    elif base.startswith("folder"):
        setup.append(Setup("dir", "folder"))
    elif base == "link.csv":
        setup.append(Setup("file", "existing.csv", b"keep me\n"))
        setup.append(Setup("symlink", "link.csv", target="existing.csv"))
    elif base == "dangling.csv":
        setup.append(Setup("symlink", "dangling.csv", target="nowhere/x.csv"))
    elif base == "fifo.csv":
        setup.append(Setup("fifo", "fifo.csv"))
    elif base == "sub/out.csv" and draw(st.booleans()):
        setup.append(Setup("dir", "sub"))
    if name.startswith("/dev/") and not os.path.exists(name):
        name = "/dev/null"
    flags = [draw(st.sampled_from(["-o", "--output"])), name]
    if draw(st.booleans()):
        flags.append("--force")
    return flags


def _format_flags(draw: st.DrawFn) -> list[str]:
    if not draw(st.booleans()):
        return []
    fmt = draw(st.one_of(st.sampled_from(FORMATS[:5]), st.sampled_from(FORMATS)))
    return [draw(st.sampled_from(["-f", "--format"])), fmt]


SPEC_SOURCES = ["file"] * 6 + ["stdin"] * 3 + ["shipped"] * 2 + ["missing", "special", "odd"]


@st.composite
def _spec_argument(draw: st.DrawFn, case: Case) -> str:
    how = draw(st.sampled_from(SPEC_SOURCES))
    if how == "file":
        name = draw(st.sampled_from(SPEC_FILE_NAMES))
        case.setup.append(Setup("file", name, draw(spec_bytes())))
        return name
    if how == "stdin":
        case.stdin = draw(spec_bytes())
        return "-"
    if how == "shipped":
        return draw(st.sampled_from(SHIPPED_NAMES))
    if how == "missing":
        return draw(
            st.sampled_from(["nope.yaml", "/no/such/dir/resnet50.yml", "sub/x.yaml", "~/x.yaml"])
        )
    if how == "special":
        kind = draw(st.sampled_from(["dir", "symlink", "dangling", "loop", "fifo", "device"]))
        if kind == "device":
            return os.devnull
        if kind == "symlink":
            case.setup.append(Setup("file", "real.yaml", draw(spec_bytes())))
            case.setup.append(Setup("symlink", "mobilenet_v2.yaml", target="real.yaml"))
        elif kind == "dangling":
            case.setup.append(Setup("symlink", "mobilenet_v2.yaml", target="nowhere"))
        elif kind == "loop":
            case.setup.append(Setup("symlink", "mobilenet_v2.yaml", target="mobilenet_v2.yaml"))
        else:
            case.setup.append(Setup(kind, "mobilenet_v2.yaml"))
        return "mobilenet_v2.yaml"
    return draw(st.sampled_from(ODD_TEXT))


def _shuffled(draw: st.DrawFn, groups: list[list[str]]) -> list[str]:
    order = draw(st.permutations(range(len(groups)))) if groups else []
    return [arg for i in order for arg in groups[i]]


JUNK_ARGS = _words("--bogus -x extra -- --help --version -h --k --alpha=1")
FORMULAS = _words("standard depthwise pointwise separable ratio output-size RATIO output_size x")
FORMULAS += [""]
TOP_LEVEL = [[], ["help"], ["bogus"], ["NET"], ["ne"], ["--version"], ["--help"], ["--help", "net"]]
TOP_LEVEL += [["--version", "zoo"], ["zoo", "--version"], *[[a] for a in ODD_TEXT]]
COMMANDS = ["net"] * 8 + ["layer"] * 4 + _words("formula zoo schema top top")
if KNOWN:  # known bug: with no shell among its parents, "Shell  not supported." (no error:)
    COMMANDS.append("completion")


@st.composite
def cases(draw: st.DrawFn) -> Case:
    case = Case(argv=[])
    command = draw(st.sampled_from(COMMANDS))
    groups: list[list[str]] = []
    if command == "net":
        groups.append([draw(_spec_argument(case))])
        if draw(st.booleans()):
            fine = st.sampled_from(ALPHAS[:10])
            alpha = draw(st.one_of(fine, fine, st.sampled_from(ALPHAS), st.floats().map(repr)))
            groups.append(["--alpha", alpha])
        if draw(st.booleans()):
            groups.append(["--resolution", draw(_number(RESOLUTIONS + PAIRS))])
        if draw(st.booleans()):
            groups.append(["--by-type"])
        groups += [_format_flags(draw), draw(_output_flags(case.setup))]
    elif command == "layer":
        if draw(st.integers(min_value=0, max_value=9)):
            groups.append(["--k", draw(_number(PAIRS))])
        for flag in ["--cin", "--cout", "--h", "--w", "--groups"]:
            if draw(st.integers(min_value=0, max_value=3)):
                groups.append([flag, draw(_number([]))])
        for flag, values in [("--stride", PAIRS), ("--dilation", PAIRS), ("--padding", PADDINGS)]:
            if draw(st.booleans()):
                groups.append([flag, draw(_number(values))])
        if draw(st.booleans()):
            groups.append([draw(st.sampled_from(["--bias", "--no-bias"]))])
        groups += [_format_flags(draw), draw(_output_flags(case.setup))]
    elif command == "formula":
        kind = draw(st.sampled_from(FORMULAS))
        groups.append([kind] if draw(st.booleans()) else [])
        groups.append(["--latex"] if draw(st.booleans()) else [])
    elif command in ("zoo", "schema"):
        if command == "zoo":
            groups.append(_format_flags(draw))
        groups.append(draw(_output_flags(case.setup)))
    if draw(st.integers(min_value=0, max_value=7)) == 0:  # a stray flag or argument
        groups.append([draw(st.sampled_from(JUNK_ARGS + ODD_TEXT))])
    args = _shuffled(draw, groups)
    if command == "top":
        case.argv = list(draw(st.sampled_from(TOP_LEVEL)))
    elif command == "completion":  # typer's completion: `--install-completion` is never run
        case.argv = ["--show-completion"]
        case.env["SHELL"] = draw(st.sampled_from(["/bin/bash", "/bin/zsh", "/bin/nope", ""]))
    else:
        case.argv = [command, *args]
    if draw(st.integers(min_value=0, max_value=9)) == 0:  # `--help` anywhere beats the rest
        case.argv.insert(draw(st.integers(min_value=0, max_value=len(case.argv))), "--help")
    case.env.update(draw(_environment()))
    return case


ENVIRONMENT = {
    "LANG": ["C", "POSIX", "C.UTF-8", "en_US.UTF-8", "tr_TR.UTF-8", "xx_YY.nonsense"],
    "LC_ALL": ["C", "POSIX", "C.UTF-8", "de_DE.ISO-8859-1", ""],
    "LC_CTYPE": ["C", "UTF-8"],
    "PYTHONIOENCODING": ["ascii", "latin-1", "utf-8", "ascii:strict", "latin-1:replace"],
    "PYTHONUTF8": ["0", "1"],
    "COLUMNS": ["0", "1", "4", "20", "40", "80", "250", "100000", "-1", "abc", ""],
    "LINES": ["0", "1", "5", "100000", "x"],
    "NO_COLOR": ["1", ""],
    "FORCE_COLOR": ["1", "0", ""],
    "TERM": ["dumb", "xterm-256color", "vt100", ""],
    "CLICOLOR_FORCE": ["1"],
    "PYTHONHASHSEED": ["0", "4242"],
}


@st.composite
def _environment(draw: st.DrawFn) -> dict[str, str]:
    keys = draw(st.lists(st.sampled_from(sorted(ENVIRONMENT)), unique=True, max_size=4))
    return {key: draw(st.sampled_from(ENVIRONMENT[key])) for key in keys}


# --- running a case -------------------------------------------------------------------------

# Inherited variables that would steer the child away from what the case draws.
_STRIPPED = {*ENVIRONMENT, "LANGUAGE", "SHELL", "PYTHONSTARTUP", "_CONVCOST_COMPLETE"}


@dataclass
class Result:
    status: int  # the exit status, or -N when killed by signal N
    stdout: bytes
    stderr: bytes
    cpu_s: float
    rss_mb: float
    wall_s: float
    timed_out: bool


# A forked child's peak RSS starts at its parent's (Linux counts the parent's pages the child
# shares until exec), so a small launcher process sets the limits, starts convcost, enforces
# the wall clock and reports convcost's own os.wait4 figures: a big pytest process cannot
# inflate them. Its argv: report file, wall seconds, address space, CPU seconds, file size,
# then the command.
LAUNCHER = """
import os, resource, signal, sys
report, wall, address, cpu, size = sys.argv[1], float(sys.argv[2]), *map(int, sys.argv[3:6])
resource.setrlimit(resource.RLIMIT_AS, (address, address))
resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
restore = [signal.SIGPIPE, signal.SIGXFSZ]
pid = os.posix_spawn(sys.argv[6], sys.argv[6:], os.environ, setsigdef=restore)
killed = []
def stop(*_):
    killed.append(1)
    os.kill(pid, signal.SIGKILL)
signal.signal(signal.SIGALRM, stop)
signal.setitimer(signal.ITIMER_REAL, wall)
_, status, use = os.wait4(pid, 0)
signal.setitimer(signal.ITIMER_REAL, 0)
with open(report, "w") as out:
    out.write(f"{os.waitstatus_to_exitcode(status)} {use.ru_utime + use.ru_stime} "
              f"{use.ru_maxrss} {len(killed)}")
"""


def _prepare(case: Case, work: Path) -> None:
    for item in case.setup:
        path = work / item.name
        if os.path.lexists(path):
            continue
        if item.kind == "file":
            path.write_bytes(_materialize(item.data))
        elif item.kind == "dir":
            path.mkdir()
        elif item.kind == "symlink":
            os.symlink(item.target, path)
        elif item.kind == "fifo":
            os.mkfifo(path)


def run_case(case: Case, home: Path) -> Result:
    """Run ``case`` in ``home/work``, through the launcher; stdin, stdout and stderr are files
    (a pipe could fill and stall the child)."""
    (home / "stdin").write_bytes(_materialize(case.stdin))
    env = {k: v for k, v in os.environ.items() if k not in _STRIPPED and not k.startswith("LC_")}
    env.update(case.env, HOME=str(home))
    limits = [WALL_LIMIT_S, ADDRESS_SPACE, CPU_LIMIT_S, FILE_SIZE]
    launcher = [sys.executable, "-I", "-S", "-c", LAUNCHER, str(home / "report"), *map(str, limits)]
    with (
        open(home / "stdin", "rb") as stdin,
        open(home / "stdout", "wb") as stdout,
        open(home / "stderr", "wb") as stderr,
    ):
        start = time.monotonic()
        subprocess.run(
            [*launcher, sys.executable, "-m", "convcost", *case.argv],
            cwd=home / "work",
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            env=env,
            check=True,
            timeout=WALL_LIMIT_S + 30,
        )
        wall = time.monotonic() - start
    status, cpu, rss, killed = (home / "report").read_text().split()
    return Result(
        status=int(status),
        stdout=(home / "stdout").read_bytes(),
        stderr=(home / "stderr").read_bytes(),
        cpu_s=float(cpu),
        rss_mb=int(rss) / 1024,  # kilobytes on Linux
        wall_s=wall,
        timed_out=killed == "1",
    )


def snapshot(work: Path) -> dict[str, tuple[str, bytes]]:
    """Every entry under ``work``: kind and content (files), target (links); never opens a
    named pipe."""
    seen: dict[str, tuple[str, bytes]] = {}
    for folder, dirs, files in os.walk(work):
        for name in dirs + files:
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, work)
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode):
                seen[rel] = ("link", os.fsencode(os.readlink(path)))
            elif stat.S_ISREG(mode):
                seen[rel] = ("file", Path(path).read_bytes())
            elif stat.S_ISDIR(mode):
                seen[rel] = ("dir", b"")
            else:
                seen[rel] = ("other", b"")
    return seen


def _format_of(argv: list[str]) -> str | None:
    """The report format asked for, if the command prints a report."""
    if not argv or argv[0] not in ("layer", "net", "zoo") or "--help" in argv:
        return None
    fmt, output = None, ""
    for flag, value in itertools.pairwise(argv):
        if flag in ("-f", "--format"):
            fmt = value.lower()
        elif flag in ("-o", "--output"):
            output = value
    if fmt is None:  # the format --output's extension names (docs/cli.md), else table
        fmt = _NAMED_BY.get(os.path.splitext(output)[1].lower(), "table")
    return fmt


_NAMED_BY = {".txt": "table", ".csv": "csv", ".md": "markdown", ".markdown": "markdown"}
_NAMED_BY |= {".json": "json", ".tex": "latex"}


def _outputs_of(argv: list[str]) -> set[str]:
    return {os.path.normpath(value) for value in argv if value}


def problems(
    case: Case, result: Result, before: dict[str, Any], after: dict[str, Any]
) -> list[str]:
    """What the case's run did wrong: empty when it kept every rule of the module docstring."""
    found = []
    if result.timed_out:
        found.append(f"still running after {WALL_LIMIT_S:.0f} s: killed")
    if result.status not in (0, 1, 2):
        found.append(f"exit status {result.status}")
    for where, data in (("stderr", result.stderr), ("stdout", result.stdout)):
        if b"Traceback (most recent call last)" in data:
            found.append(f"a traceback on {where}")
    if result.rss_mb >= RSS_CEILING_MB:
        found.append(f"peak RSS {result.rss_mb:.0f} MB >= {RSS_CEILING_MB} MB")
    if result.cpu_s >= CPU_CEILING_S:
        found.append(f"{result.cpu_s:.1f} s of CPU >= {CPU_CEILING_S} s")
    changed = {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}
    if result.status == 0:
        if result.stderr:
            found.append("stderr is not empty on success")
        if b"\x1b" in result.stdout:
            found.append("an escape character on stdout")
        if changed - _outputs_of(case.argv):
            found.append(f"changed files it was not asked to write: {sorted(changed)}")
        if changed and result.stdout:
            found.append("wrote a file and printed on stdout too")
        written = [after[name][1] for name in changed if after.get(name, ("",))[0] == "file"]
        fmt = _format_of(case.argv)
        for text in [result.stdout, *written]:
            found += _format_problems(fmt, text)
    elif result.status in (1, 2):
        # stderr follows PYTHONIOENCODING where a case sets it (reports are UTF-8 always).
        encoding = case.env.get("PYTHONIOENCODING", "").partition(":")[0] or "utf-8"
        try:
            message = result.stderr.decode(encoding)
        except UnicodeDecodeError:
            message = ""
            found.append(f"stderr is not {encoding}")
        line = message[:-1]
        if not (message.startswith("error: ") and message.endswith("\n") and "\n" not in line):
            found.append("stderr is not one line 'error: ...'")
        elif not line.isprintable():
            found.append("the error line holds unprintable characters")
        if result.stdout:
            found.append("stdout is not empty on failure")
        if changed:
            found.append(f"files changed on failure: {sorted(changed)}")
    return found


def _format_problems(fmt: str | None, data: bytes) -> list[str]:
    if fmt not in ("json", "csv") or not data:
        return []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return [f"{fmt} output is not UTF-8"]
    if fmt == "json":
        try:
            json.loads(text)
        except ValueError as error:
            return [f"JSON output does not parse: {error}"]
        return []
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if len({len(row) for row in rows}) > 1:
        return ["CSV rows differ in their number of cells"]
    return []


def _check(case: Case, cpu_ceiling_s: float = CPU_CEILING_S) -> None:
    with tempfile.TemporaryDirectory(prefix="convcost-fuzz-") as folder:
        home = Path(folder)
        (home / "work").mkdir()
        _prepare(case, home / "work")
        before = snapshot(home / "work")
        result = run_case(case, home)
        after = snapshot(home / "work")
    found = problems(case, result, before, after)
    if cpu_ceiling_s < result.cpu_s < CPU_CEILING_S:
        found.append(f"{result.cpu_s:.1f} s of CPU >= {cpu_ceiling_s} s")
    assert not found, (
        f"{'; '.join(found)}\ncase: {case.command_line()}\nexit {result.status}, "
        f"{result.cpu_s:.2f} s CPU, {result.rss_mb:.0f} MB\n"
        f"stderr: {result.stderr[-2000:]!r}\nstdout: {result.stdout[:500]!r}"
    )


@FUZZ
@given(cases())
def test_the_command_line_survives_anything(case: Case) -> None:
    _check(case)


# Bugs this fuzzer found, one small case each, kept as regressions: sympy's ASCII printer
# (KeyError 'lfloor' where stdout is not UTF-8), click's usage errors echoing argv unescaped,
# and flow lists nested past 1,000 levels (libyaml stops them at once; rewording its message
# with the pure-Python parser took time quadratic in depth: 35 s for 20,000 levels).
FIXED_BUGS = [
    pytest.param(
        Case(["formula", "output-size"], env={"PYTHONIOENCODING": "ascii"}),
        CPU_CEILING_S,
        id="formula-ascii-stdout",
    ),
    pytest.param(Case(["zoo", "\u202eevil"]), CPU_CEILING_S, id="usage-error-unescaped"),
    pytest.param(
        Case(["net", "deep.yaml"], setup=[Setup("file", "deep.yaml", b"[" * 20_000)]),
        1.0,
        id="deep-flow-nesting",
    ),
]


@pytest.mark.parametrize(("case", "cpu_ceiling_s"), FIXED_BUGS)
def test_fixed_bug(case: Case, cpu_ceiling_s: float) -> None:
    _check(case, cpu_ceiling_s)


def test_the_checks_catch_each_kind_of_failure() -> None:
    """The checker itself can fail: each rule flags a run that breaks it."""
    case = Case(["net", "spec.yaml", "-o", "out.csv"])
    ok = Result(status=0, stdout=b"", stderr=b"", cpu_s=0.1, rss_mb=20, wall_s=0.2, timed_out=False)
    written = {"out.csv": ("file", b"name\n")}
    assert problems(case, ok, {}, written) == []
    bad = [
        (dataclasses.replace(ok, status=-9), {}, "exit status -9"),
        (
            dataclasses.replace(ok, status=1, stderr=b"Traceback (most recent call last):\n"),
            {},
            "traceback",
        ),
        (dataclasses.replace(ok, status=1, stderr=b"error: a\nb\n"), {}, "one line"),
        (dataclasses.replace(ok, status=2, stderr=b"error: \x1b[2J\n"), {}, "unprintable"),
        (dataclasses.replace(ok, status=1, stderr=b"error: x\n"), written, "changed on failure"),
        (ok, {".out.csv.a1b2.tmp": ("file", b"")}, "not asked to write"),
        (dataclasses.replace(ok, stdout=b"\x1b[31m"), {}, "escape character"),
        (dataclasses.replace(ok, rss_mb=RSS_CEILING_MB), {}, "peak RSS"),
        (dataclasses.replace(ok, cpu_s=CPU_CEILING_S), {}, "of CPU"),
        (dataclasses.replace(ok, timed_out=True), {}, "killed"),
    ]
    for result, after, wanted in bad:
        assert any(wanted in found for found in problems(case, result, {}, after)), wanted
    json_case = Case(["zoo", "-f", "json"])
    assert problems(json_case, dataclasses.replace(ok, stdout=b"{"), {}, {})[0].startswith("JSON")
