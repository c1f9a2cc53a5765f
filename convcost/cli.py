"""The ``convcost`` command line: parse flags, call the library, pick a renderer, write.

Errors leave through one place, :class:`_Group.main`: a ``ConvcostError`` (bad spec, bad
file) prints ``error: <message>`` on stderr and exits 1; a usage error (bad flag) prints
``error: <message naming the flag>`` and exits 2. Neither prints a traceback.

Heavy modules are imported inside the commands that need them (rich only for tables, sympy
only for symbolic answers), so that a start costs little more than importing typer
(benchmarks/bench_startup.py).
"""

import codecs
import contextlib
import errno
import io
import itertools
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from enum import Enum
from fractions import Fraction
from typing import IO, TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from convcost import __version__, conventions, printable
from convcost.conventions import ConventionName
from convcost.errors import ConvcostError
from convcost.formulas import DType, FormulaKind
from convcost.limits import (
    ALPHA_MAX,
    ALPHA_MIN,
    MAX_BATCH,
    MAX_LIST_ITEMS,
    MAX_NAME,
    MAX_ROWS,
    MAX_SIZE,
)
from convcost.report import HUMAN_FORMATS, Format, Units, renderer

if TYPE_CHECKING:
    from convcost.views import View

# A number on the command line is at most this long, checked before anything parses it.
MAX_NUMBER_TEXT = 32
# The narrowest table convcost fits (a COLUMNS of 5 is read as this).
MIN_WIDTH = 40


class _Group(TyperGroup):
    """Typer's group with convcost's single error exit (and no rich error panels)."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            result = super().main(
                args=args,
                prog_name=prog_name,
                complete_var=complete_var,
                standalone_mode=False,
                windows_expand_args=windows_expand_args,
                **extra,
            )
        except ConvcostError as error:
            _fail(str(error), 1)
        except typer.Abort:
            _fail("aborted", 1)
        except typer.TyperException as error:  # click's ClickException/UsageError in typer
            if isinstance(error, typer.BadParameter) and isinstance(error.__cause__, ValueError):
                # typer 0.29 checks a choice (--format xml) through pydantic, which starts the
                # message with "Value error, "; say it as typer 0.28 does.
                error.message = error.message.removeprefix("Value error, ")
            _fail(error.format_message(), getattr(error, "exit_code", 1))
        code = result if isinstance(result, int) else 0
        if not standalone_mode:
            return code
        sys.exit(code)

    # click prints help (`convcost net --help | true`) itself, and turns a closed pipe into
    # exit 1; parsing (the top-level --help) and running a command end quietly, as reports do.
    # (Any: click's Context is typer's private typer._click.Context.)
    def make_context(self, *args: Any, **extra: Any) -> Any:
        try:
            return super().make_context(*args, **extra)
        except BrokenPipeError:
            _reader_gone()

    def invoke(self, *args: Any, **extra: Any) -> Any:
        try:
            return super().invoke(*args, **extra)
        except BrokenPipeError:
            _reader_gone()


def _fail(message: str, code: int) -> None:
    # click's usage errors quote argv as typed: make a bidi override or ESC in it visible.
    text = printable.escape(" ".join(message.split()))
    if text and sys.stderr is not None:  # empty when click has printed the help
        sys.stderr.write(f"error: {text}\n")
    sys.exit(code)


app = typer.Typer(
    cls=_Group,
    name="convcost",
    help="Exact params, MACs and FLOPs of convolution layers and whole CNNs.\n\n"
    "Conventions: MACs are multiply-accumulates (bias adds are not MACs), FLOPs = 2 x "
    "MACs, params are trainable (weights, biases, norm gamma/beta, PReLU, layer scale); "
    "running statistics of norms are buffers.",
    # A bare `convcost` prints the help (_root), not the help folded into one error line.
    invoke_without_command=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # click's plain help: re-wraps docstring paragraphs, no box art
)


def _version(value: bool) -> None:
    if value:
        _write_stdout([f"convcost {__version__}\n"])
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Exact params, MACs and FLOPs of convolution layers and whole CNNs."""
    if ctx.invoked_subcommand is None:
        _write_stdout([ctx.get_help() + "\n"])


# --- flag parsing ---------------------------------------------------------------------------


def _bad(flag: str, message: str) -> typer.BadParameter:
    return typer.BadParameter(message, param_hint=f"'{flag}'")


def _clipped(text: str) -> str:
    """``text`` quoted for a message, cut short: a flag's value can be megabytes long."""
    return repr(text) if len(text) <= MAX_NUMBER_TEXT else f"{text[:MAX_NUMBER_TEXT]!r}..."


def _output_flag(output: str | None) -> str | None:
    """``--output`` names a file (or is ``-``), checked before any work is done."""
    if output is None or output == "-":
        return output
    if not output:
        raise _bad("--output", "empty; give a file name, or - for stdout")
    if os.path.basename(output) in ("", ".", ".."):  # newdir/ would become a file 'newdir'
        raise _bad("--output", f"{output} names a folder; give a file name")
    return output


FormatOption = Annotated[
    Format | None,
    typer.Option(
        "--format",
        "-f",
        case_sensitive=False,
        show_default=False,
        help="Output format. Left out: the one --output's extension names (.txt .csv .md "
        ".json .tex), else table.",
    ),
]

# The extension that names each format, for --output (issue 13): the first is the one a
# message suggests. A program opening out.csv expects CSV, whoever wrote it.
SUFFIXES: dict[Format, tuple[str, ...]] = {
    Format.TABLE: (".txt",),
    Format.CSV: (".csv",),
    Format.MARKDOWN: (".md", ".markdown"),
    Format.JSON: (".json",),
    Format.LATEX: (".tex",),
}
_SUFFIX_FORMAT = {suffix: fmt for fmt, suffixes in SUFFIXES.items() for suffix in suffixes}


def _format(fmt: Format | None, output: str | None) -> Format:
    """The format of a report command: ``--format``, or else the one ``--output``'s extension
    names, or else ``table``. Called first in each command, before any work is done.

    An extension that names another format than ``--format`` is a bad flag, and so is one
    that names none when ``--format`` is left out (``out.xlsx``, ``plot.png``): either would
    write a file that its name misdescribes. A name without an extension (``out``,
    ``/dev/null``, a named pipe) says nothing, so ``--format`` or ``table`` decides.
    """
    if output is None or output == "-":
        return Format.TABLE if fmt is None else fmt
    suffix = os.path.splitext(output)[1]
    named = _SUFFIX_FORMAT.get(suffix.lower())
    if fmt is None:
        if named is not None:
            return named
        if not suffix:
            return Format.TABLE
        *first, last = (suffixes[0] for suffixes in SUFFIXES.values())
        known = f"{', '.join(first)} or {last}"
        raise _bad(
            "--output",
            f"no format has the extension {_clipped(suffix)}; add --format, or end the name "
            f"in {known}",
        )
    if named is not None and named is not fmt:
        raise _bad(
            "--format",
            f"{fmt.value} does not match the --output extension {suffix!r} ({named.value}); "
            f"leave --format out, or end the name in {SUFFIXES[fmt][0]}",
        )
    return fmt


ConventionOption = Annotated[
    ConventionName,
    typer.Option(
        "--convention",
        case_sensitive=False,
        help="What MACs count: exact (convcost: conv and linear) or a peer's rules "
        "(docs/peers.md).",
    ),
]
OutputOption = Annotated[
    str | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        help="Write to FILE (whole or not at all) instead of stdout; '-' means stdout.",
        callback=_output_flag,
    ),
]
ForceOption = Annotated[bool, typer.Option("--force", help="Replace FILE if it exists.")]


def _plot_flag(plot: str | None) -> str | None:
    """``--plot`` names a .png or .svg file, checked before any work is done."""
    if plot is None:
        return None
    from convcost.report.plot import FORMATS

    if os.path.splitext(plot)[1].lower() not in FORMATS or not os.path.basename(plot):
        raise _bad("--plot", f"{_clipped(plot)}: end the file name in .png or .svg")
    return plot


PlotOption = Annotated[
    str | None,
    typer.Option(
        "--plot",
        metavar="FILE",
        help="Also draw a picture into FILE, PNG or SVG by its extension (whole or not at "
        "all; --force replaces it). Needs matplotlib: pip install 'convcost[plot]'.",
        callback=_plot_flag,
    ),
]


def _plot_ready(plot: str | None, output: str | None, force: bool) -> None:
    """Before any work: ``--plot`` needs matplotlib (an extra), and neither it nor
    ``--output`` may replace a file without ``--force`` (the writes check again)."""
    if plot is None:
        return
    try:
        import matplotlib  # noqa: F401  # only to say how to install it, in one line
    except ImportError:
        raise ConvcostError("--plot needs matplotlib: pip install 'convcost[plot]'") from None
    if output is not None and os.path.abspath(output) == os.path.abspath(plot):
        raise _bad("--plot", "names the --output file; give each its own")
    for name in (plot, output):
        if name is not None and not force and os.path.isfile(name):
            raise _exists(name)


def _plot(plot: str | None, force: bool, figure: Callable[[Any], Any]) -> None:
    """Draw ``figure(convcost.report.plot)`` into ``--plot``'s file in the format its
    extension names, whole or not at all as ``--output`` is written. Called before the report
    is written, so that a reader that stops early (``| head``) does not stop the picture."""
    if plot is None:
        return
    from convcost.report import plot as plotting

    try:
        drawn = figure(plotting)
    except ConvcostError as error:
        if error.field == "plot":  # more than a picture holds
            raise _bad("--plot", error.message) from None
        raise
    image = plotting.image(drawn, plotting.FORMATS[os.path.splitext(plot)[1].lower()])
    _write_file([image], plot, force, binary=True)


UnitsOption = Annotated[
    Units | None,
    typer.Option(
        "--units",
        case_sensitive=False,
        show_default=False,
        help="Counts for people: raw (3,504,872, the default), si (3.50M), or K, M, G (one "
        "unit, two decimals). CSV and JSON always hold the exact integers.",
    ),
]


def _view(fmt: Format, all_rows: bool, depth: int | None, top: int | None) -> "View | None":
    """The rows a per-layer table shows: folded unless ``--all``, grouped by ``--depth``,
    the ``--top`` K. CSV and JSON always hold every row, so these flags are errors there."""
    from convcost.views import View

    if fmt not in HUMAN_FORMATS:
        for flag, given in (("--depth", depth), ("--top", top), ("--all", all_rows or None)):
            if given is not None:
                raise _bad(flag, f"is for table, markdown and latex; {fmt.value} has every row")
        return None
    return View(fold=not all_rows, depth=depth, top=top)


def _layout(
    fmt: Format, output: str | None, units: Units | None, view: "View | None" = None
) -> dict[str, Any]:
    """The ``layout`` keyword of a renderer for people; none for CSV and JSON.

    A terminal table is as wide as ``COLUMNS``, else the terminal, else 80 columns
    (``shutil.get_terminal_size``), and has ASCII borders when stdout's encoding, which the
    locale sets, is not UTF-8 (``LC_ALL=C``)."""
    if fmt not in HUMAN_FORMATS:
        if units is not None:
            raise _bad("--units", f"is for table, markdown and latex; {fmt.value} has exact ints")
        return {}
    from convcost.report import Layout

    units = Units.RAW if units is None else units
    if fmt is not Format.TABLE:
        return {"layout": Layout(view, units)}
    import shutil

    width = max(shutil.get_terminal_size().columns, MIN_WIDTH)
    to_stdout = output is None or output == "-"
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    ascii = to_stdout and codecs.lookup(encoding).name != "utf-8"
    return {"layout": Layout(view, units, width, ascii)}


def _positive(text: str, flag: str, minimum: int = 1, maximum: int = MAX_SIZE) -> int:
    if len(text.strip()) > MAX_NUMBER_TEXT:
        raise _bad(flag, f"{_clipped(text.strip())} is longer than {MAX_NUMBER_TEXT} characters")
    try:
        value = int(text, 10)
    except ValueError:
        raise _bad(flag, f"{text!r} is not an integer") from None
    if value < minimum:
        raise _bad(flag, f"{text} must be {'positive' if minimum else 'zero or more'}")
    if value > maximum:
        raise _bad(flag, f"{text} is larger than {maximum:,}")
    return value


def _count(flag: str, maximum: int = MAX_SIZE) -> Callable[[str], int]:
    """The parser of an int flag such as ``--cin``: 1 to ``maximum``, said as ``--k`` says it.

    Not typer's ``min``/``max``: typer 0.29 checks those through pydantic, whose message
    ("Input should be greater than or equal to 1") leaves out the value and is not typer
    0.28's. A default arrives as an int.
    """
    return lambda text: _positive(str(text), flag, maximum=maximum)


# Issue 16: what bytes and times are counted for, shared by net --memory and --device. Left
# out (None), fp32 and batch 1; a command without a use for them says so.
DTypeOption = Annotated[
    DType | None,
    typer.Option(
        "--dtype",
        case_sensitive=False,
        show_default=False,
        help="Data type of weights and activations: fp32 (4 bytes a value, the default), "
        "fp16 or bf16 (2), int8 (1).",
    ),
]
BatchOption = Annotated[
    int | None,
    typer.Option(
        "--batch",
        parser=_count("--batch", MAX_BATCH),
        metavar="N",
        show_default=False,
        help=f"Batch size, 1 (the default) to {MAX_BATCH:,}: N times the activations and "
        "FLOPs; the weights are read once.",
    ),
]
InPlaceOption = Annotated[
    bool,
    typer.Option(
        "--in-place",
        help="Activations and adds write into their input where nothing reads it later "
        "(PyTorch's inplace=True, out += identity).",
    ),
]
DeviceOption = Annotated[
    str | None,
    typer.Option(
        "--device",
        metavar="NAME|FILE",
        help="Estimate times on a device: a shipped profile (convcost devices) or a YAML "
        "profile of your own. Per row: FLOPs, bytes moved, FLOPs per byte, attainable "
        "GFLOP/s, compute- or memory-bound, time (roofline). See --dtype, --batch.",
    ),
]
MeasureOption = Annotated[
    bool,
    typer.Option(
        "--measure",
        help="Build the rows as PyTorch modules and time them on this machine's CPU (and "
        "CUDA where PyTorch has it): each row alone and inside the whole network, median "
        "of the runs; beside the --device prediction when given. Needs the measure extra: "
        "pip install 'convcost[measure]'. See --threads, --batch.",
    ),
]
ThreadsOption = Annotated[
    int | None,
    typer.Option(
        "--threads",
        parser=_count("--threads", 1024),
        metavar="T",
        show_default=False,
        help="PyTorch's thread count for --measure and calibrate (torch.set_num_threads), "
        "1 by default: on a small machine more threads can be much slower.",
    ),
]


class Algo(str, Enum):
    """``--algo``: how 3x3 stride-1 convolutions are computed (issue 16; analysis.winograd)."""

    DIRECT = "direct"
    WINOGRAD = "winograd"


def _tile(text: str) -> int:
    if text.strip() not in ("2", "4"):
        raise _bad("--tile", f"expected 2 or 4, got {_clipped(text)}")
    return int(text)


AlgoOption = Annotated[
    Algo,
    typer.Option(
        "--algo",
        case_sensitive=False,
        help="winograd: instead of the usual table, each 3x3 stride-1 dilation-1 "
        "convolution's multiplications by Winograd's F(2x2,3x3) beside the direct ones, with "
        "the transforms and the FLOPs ratio (CSV: the rows; net --totals: the totals).",
    ),
]
TileOption = Annotated[
    int | None,
    typer.Option(
        "--tile",
        parser=_tile,
        metavar="2|4",
        show_default=False,
        help="Winograd's output tile, with --algo winograd: 2 for F(2x2,3x3) (the default), "
        "4 for F(4x4,3x3).",
    ),
]


def _winograd_flags(algo: Algo, tile: int | None, *others: tuple[str, object]) -> None:
    """--tile needs --algo winograd, whose tables replace the usual ones: the ``others``
    (flag, value) that shape those do not go with it."""
    if algo is Algo.DIRECT:
        if tile is not None:
            raise _bad("--tile", "picks Winograd's tile: add --algo winograd")
        return
    for flag, value in others:
        if value not in (None, False):
            raise _bad(flag, "does not go with --algo winograd, whose tables replace the others")


def _winograd_text(
    result: Any, fmt: Format, totals: bool | None, convention: Any, layout: dict[str, Any]
) -> str:
    """--algo winograd: the rows, then for ``net`` the network's totals, and the notes; a
    CSV holds one table (the rows, or with --totals the totals), JSON all in one object.
    ``totals`` is None for ``layer``, whose four kinds have no totals table."""
    draw = renderer(fmt).table
    notes = result.notes()
    whole = [result.totals_table()] if fmt is not Format.CSV and totals is not None else []
    if fmt is Format.CSV:
        return str(draw(result.totals_table() if totals else result.table(), notes, convention))
    if fmt is Format.JSON:
        return str(draw(result.table(), notes, convention, more=whole))
    if not whole:
        return str(draw(result.table(), notes, convention, **layout))
    rows = draw(result.table(), [], None, **layout)
    return f"{rows}\n{draw(whole[0], notes, convention, **layout)}"


def _winograd_layer(
    comparison: Any, tile: int | None, fmt: Format, convention: Any, layout: dict[str, Any]
) -> str:
    """``layer --algo winograd``: the four kinds, direct and by Winograd."""
    from convcost.analysis.winograd import layer_winograd

    if comparison.symbolic or not isinstance(comparison.cout, int):
        raise _bad("--algo", "winograd counts whole tiles: give --h, --w, --cin and --cout")
    result = layer_winograd(comparison, tile or 2)
    return _winograd_text(result, fmt, None, convention, layout)


def parse_pair(text: str, flag: str, minimum: int = 1) -> tuple[int, int]:
    """``3`` -> (3, 3); ``1x7`` -> (1, 7) (height x width)."""
    parts = text.strip().lower().split("x")
    if len(parts) == 1:
        value = _positive(parts[0], flag, minimum)
        return value, value
    if len(parts) == 2 and all(parts):
        return _positive(parts[0], flag, minimum), _positive(parts[1], flag, minimum)
    raise _bad(flag, f"{_clipped(text)} is not a number or an HxW pair such as 1x7")


def parse_padding(text: str) -> tuple[int, int] | str:
    """``same`` (TensorFlow), ``valid`` (no padding), ``1`` or ``0x3`` (per side, H x W)."""
    word = text.strip().lower()
    if word in ("same", "valid"):
        return word
    if word and word[0].isalpha():
        raise _bad("--padding", f"{_clipped(text)} is not 'same', 'valid', a number or an HxW pair")
    return parse_pair(text, "--padding", minimum=0)


_ALPHA = re.compile(
    r"(?P<sign>[+-]?)(?:(?P<num>[0-9]+)/(?P<den>[0-9]+)"
    r"|(?P<mantissa>[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE](?P<exp>[+-]?[0-9]+))?)"
)


def parse_alpha(text: str) -> Fraction:
    """A width multiplier such as ``0.75`` or ``3/4``, exactly, from ALPHA_MIN to ALPHA_MAX.

    The text is bounded before ``Fraction`` sees it: ``Fraction("1e100000000")`` builds an
    integer of 10^8 digits, and ``1e307`` overflows later where channels become floats.
    """
    word = text.strip()
    if len(word) > MAX_NUMBER_TEXT:
        raise _bad("--alpha", f"{_clipped(word)} is longer than {MAX_NUMBER_TEXT} characters")
    match = _ALPHA.fullmatch(word)
    if match is None or (match["den"] is not None and not match["den"].strip("0")):
        raise _bad("--alpha", f"{_clipped(text)} is not a number such as 0.75")
    if match["sign"] == "-" or not (match["num"] or match["mantissa"]).strip("0."):
        raise _bad("--alpha", f"{word} must be positive")
    # At most 32 digits: beyond +-100 the exponent alone puts the value out of range.
    exponent = int(match["exp"] or 0)
    value = None if abs(exponent) > 100 else Fraction(word)
    if exponent > 100 or (value is not None and value > ALPHA_MAX):
        raise _bad("--alpha", f"{word} is larger than {ALPHA_MAX}")
    if value is None or value < ALPHA_MIN:
        raise _bad("--alpha", f"{word} is smaller than {float(ALPHA_MIN)}")
    return value


# --- writing --------------------------------------------------------------------------------


def _emit(text: str | Iterable[str], output: str | None, force: bool) -> None:
    """Print ``text``, or write it to ``output`` whole or not at all (temp file + rename).

    ``text`` may come in pieces (CSV and JSON rows), written as they are made. A device or a
    named pipe that exists is written into, never replaced by a file (``-o /dev/null``).
    """
    pieces = (text,) if isinstance(text, str) else text
    if output is None or output == "-":
        _write_stdout(pieces)
        return
    _write_file(pieces, output, force)


def _write_file(
    pieces: Iterable[str] | Iterable[bytes], output: str, force: bool, *, binary: bool = False
) -> None:
    """Write ``pieces`` (UTF-8 text, or the bytes of an image when ``binary``) to the file
    ``output``, whole or not at all; into an existing device or named pipe."""
    import stat

    try:
        mode: int | None = os.stat(output).st_mode
    except FileNotFoundError:  # nothing there (a broken link: os.link below refuses it)
        mode = None
    except OSError as error:  # a name too long, a link loop, a folder we may not search
        raise _unwritable(error, output) from None
    if mode is not None and stat.S_ISDIR(mode):
        raise ConvcostError("is a directory", path=output)
    if mode is not None and not stat.S_ISREG(mode):
        _write_into(pieces, output, fifo=stat.S_ISFIFO(mode), binary=binary)
        return
    if mode is not None and not force:
        raise _exists(output)
    with _signals_unwind():
        _write_whole(pieces, output, force, binary=binary)


def _opened(fd: int, binary: bool) -> IO[Any]:
    """``fd`` for writing: bytes as they are, text as UTF-8 with its newlines kept."""
    return os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="")


def _write_whole(
    pieces: Iterable[str] | Iterable[bytes], output: str, force: bool, *, binary: bool = False
) -> None:
    """Write to a hidden temp file beside ``output``, then rename it into place."""
    import tempfile  # ~5 ms at start; only writing a file needs it
    from pathlib import Path

    path = Path(output)
    tmp: str | None = None
    try:
        with _signals_held():  # none may fall between creating the file and naming it
            # The name is cut short so that the temp file's name fits where output's does.
            prefix = f".{path.name[:48]}."
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=".tmp")
        with _opened(fd, binary) as handle:
            handle.writelines(pieces)
            handle.flush()
            os.fsync(handle.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        if force:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)  # atomic no-clobber: fails if the file appeared meanwhile
            except FileExistsError:
                raise _exists(output) from None
            except OSError:  # a file system without hard links
                os.replace(tmp, path)
    except OSError as error:
        raise _unwritable(error, output) from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)


def _write_into(
    pieces: Iterable[str] | Iterable[bytes], output: str, *, fifo: bool, binary: bool = False
) -> None:
    """Write into an existing device or named pipe.

    Opened non-blocking: a named pipe that nothing reads is an error at once, where a plain
    open would wait for a reader forever. Once open, writes wait for the reader as on any pipe.
    """
    nonblocking = getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(output, os.O_WRONLY | nonblocking | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        if fifo and error.errno == errno.ENXIO:
            raise ConvcostError(
                "is a named pipe that nothing reads; start its reader first", path=output
            ) from None
        raise _unwritable(error, output) from None
    try:
        if nonblocking:
            os.set_blocking(fd, True)
        with _opened(fd, binary) as handle:
            handle.writelines(pieces)
    except BrokenPipeError:
        return  # its reader went away, as `| head` does on stdout: a quiet end, exit 0
    except OSError as error:
        raise _unwritable(error, output) from None


def _unwritable(error: OSError, output: str) -> ConvcostError:
    return ConvcostError(f"cannot write: {error.strerror or error}", path=output)


def _exists(output: str) -> ConvcostError:
    # A write problem like the others (exit 1), not a bad flag: the flag is fine, the file
    # system holds something (issue 13).
    return ConvcostError("exists; add --force to replace it", path=output)


def _unwinding(signal: Any) -> list[int]:
    """The signals that unwind a write: SIGTERM, SIGHUP and SIGQUIT where they exist."""
    return [getattr(signal, n) for n in ("SIGTERM", "SIGHUP", "SIGQUIT") if hasattr(signal, n)]


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold Ctrl-C and the unwinding signals back for a moment; they arrive on leaving."""
    import signal

    if not hasattr(signal, "pthread_sigmask"):  # Windows
        yield
        return
    held = {signal.SIGINT, *_unwinding(signal)}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


class _Signalled(BaseException):
    """SIGTERM, SIGHUP or SIGQUIT came while a file was being written."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def _signals_unwind() -> Iterator[None]:
    """Let SIGTERM, SIGHUP and SIGQUIT unwind the code inside, then die of the same signal.

    By default these signals end the process on the spot, leaving the hidden temp file of a
    half-written ``--output`` behind. Raised as an exception instead, they pass through the
    ``finally`` that removes it (as Ctrl-C's KeyboardInterrupt does); then the signal is sent
    again with its default action, so that the caller sees the usual status (128 + its number
    in a shell). The handlers are in place for the write only.
    """
    import signal

    numbers = _unwinding(signal)

    def unwind(signum: int, frame: object) -> None:
        for number in numbers:  # a second signal must not cut the cleanup short
            signal.signal(number, signal.SIG_IGN)
        raise _Signalled(signum)

    try:
        previous = {number: signal.signal(number, unwind) for number in numbers}
    except ValueError:  # not the main thread, where only the main thread may set handlers
        yield
        return
    try:
        yield
    except _Signalled as caught:
        signal.signal(caught.signum, signal.SIG_DFL)
        os.kill(os.getpid(), caught.signum)
        sys.exit(128 + caught.signum)  # not reached where the signal ends the process
    finally:
        for number, handler in previous.items():
            signal.signal(number, signal.SIG_DFL if handler is None else handler)


def _write_stdout(pieces: Iterable[str]) -> None:
    """Print ``pieces`` in UTF-8; a reader that went away (``| head``) ends the command quietly,
    exit 0 (:func:`_reader_gone`).

    Reports are UTF-8 whatever the locale says (``PYTHONIOENCODING=ascii``, an old ``LANG``),
    as ``--output`` files are: escaping would change names in CSV and JSON.
    """
    stdout = sys.stdout
    if stdout is None:  # started with stdout closed: `convcost zoo >&-`
        raise ConvcostError("cannot write to stdout: it is closed")
    if isinstance(stdout, io.TextIOWrapper) and codecs.lookup(stdout.encoding).name != "utf-8":
        stdout.reconfigure(encoding="utf-8")
    try:
        stdout.writelines(pieces)
        stdout.flush()
    except BrokenPipeError:
        _reader_gone()
    except OSError as error:
        raise ConvcostError(f"cannot write to stdout: {error.strerror or error}") from None


def _reader_gone() -> NoReturn:
    """End quietly with exit 0: stdout's reader has closed the pipe (``| head -1``).

    The reader took what it wanted; the shell's ``head`` and ``grep -q`` rely on a writer
    that stops without complaint, and ``set -o pipefail`` must not fail for it (issue 13).
    The data still buffered would raise again when Python flushes stdout at exit, printing
    "Exception ignored ... BrokenPipeError" and exiting 120: stdout is pointed at devnull
    first, so that flush succeeds and says nothing.
    """
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    sys.exit(0)


# --- commands -------------------------------------------------------------------------------

_LAYER_FLAGS = {
    "k": "--k",
    "groups": "--groups",
    "cin": "--cin",
    "cout": "--cout",
    "stride": "--stride",
    "padding": "--padding",
    "dilation": "--dilation",
    "h": "--h",
    "w": "--w",
}

# Work that has run this long shows a progress bar on a terminal's stderr.
PROGRESS_AFTER = 1.0  # seconds
_PROGRESS_EVERY = 4096  # rows between two looks at the clock


@contextlib.contextmanager
def _progress(label: str, total: int) -> Iterator[Callable[..., None]]:
    """``advance(done)`` for work of ``total`` steps (``advance(done, total)`` where the
    total changes on the way): once the work has run PROGRESS_AFTER seconds, a rich progress
    bar on stderr shows ``done``, removed when the work ends. Never when stderr is not a
    terminal, so that piped or redirected output holds no bar."""
    stream = sys.stderr
    if stream is None or not stream.isatty():
        yield lambda done, total=None: None
        return
    import time

    start = time.monotonic()
    bar: Any = None
    task: Any = None

    def advance(done: int, steps: int | None = None) -> None:
        nonlocal bar, task
        if bar is None:
            if time.monotonic() - start < PROGRESS_AFTER:
                return
            from rich.console import Console
            from rich.progress import Progress

            bar = Progress(console=Console(file=stream), transient=True)
            bar.start()
            task = bar.add_task(label, total=steps or total)
        bar.update(task, completed=done, total=steps or total)

    try:
        yield advance
    finally:
        if bar is not None:
            bar.stop()


def _counted(rows: Iterable[Any], advance: Callable[[int], None]) -> Iterator[Any]:
    """``rows``, passed on one by one, telling ``advance`` how many have gone by every
    few thousand (a table that measures its columns first reads them twice: the bar runs
    twice)."""
    for done, row in enumerate(rows, 1):
        if not done % _PROGRESS_EVERY:
            advance(done)
        yield row


@app.command()
def layer(
    k: Annotated[
        str,
        typer.Option(
            "--k", metavar="K|KHxKW|LIST", help="Kernel size: 3, or 1x7 (height x width)."
        ),
    ],
    cin: Annotated[
        str | None,
        typer.Option(
            "--cin",
            metavar="N|LIST",
            help="Input channels; left out, the symbol C_in.",
        ),
    ] = None,
    cout: Annotated[
        str | None,
        typer.Option(
            "--cout",
            metavar="N|LIST",
            help="Output channels; left out, the symbol C_out.",
        ),
    ] = None,
    h: Annotated[
        str | None,
        typer.Option(
            "--h",
            metavar="N|LIST",
            help="Input height; left out, it stays the symbol H.",
        ),
    ] = None,
    w: Annotated[
        str | None,
        typer.Option(
            "--w",
            metavar="N|LIST",
            help="Input width; left out, it stays the symbol W.",
        ),
    ] = None,
    stride: Annotated[
        str,
        typer.Option("--stride", metavar="S|SHxSW|LIST", help="Stride, on the depthwise stage."),
    ] = "1",
    padding: Annotated[
        str,
        typer.Option(
            "--padding",
            metavar="P|PHxPW|same|valid",
            help="Padding per side, or 'same' (TensorFlow: Hout = ceil(H/S)) or 'valid' (0).",
        ),
    ] = "same",
    dilation: Annotated[
        str, typer.Option("--dilation", metavar="D|DHxDW|LIST", help="Dilation.")
    ] = "1",
    groups: Annotated[
        str,
        typer.Option("--groups", metavar="N|LIST", help="Groups of the standard convolution."),
    ] = "1",
    bias: Annotated[
        bool, typer.Option("--bias/--no-bias", help="Give every convolution a bias.")
    ] = False,
    algo: AlgoOption = Algo.DIRECT,
    tile: TileOption = None,
    device: DeviceOption = None,
    dtype: DTypeOption = None,
    batch: BatchOption = None,
    measure: MeasureOption = False,
    threads: ThreadsOption = None,
    units: UnitsOption = None,
    convention_name: ConventionOption = ConventionName.EXACT,
    fmt: FormatOption = None,
    output: OutputOption = None,
    force: ForceOption = False,
    plot: PlotOption = None,
) -> None:
    """Compare standard, depthwise, pointwise and depthwise-separable versions of one layer.

    Shows output shape, params, MACs and FLOPs of each, and R = separable / standard as an
    exact fraction and a decimal, beside the approximation 1/(Kh*Kw) + 1/Cout. Depthwise is the
    separable layer's first stage (it carries the stride), pointwise its second. Padding
    defaults to 'same'. Without --h/--w the counts keep the symbols H and W; R is exact anyway.
    Without --cin/--cout they stay the symbols C_in and C_out, and so does R.

    Any dimension also takes a list, 3,5,7, or a range, 16..1024*2 (doubling) or 96..224/32
    (stepping): then every combination is costed, one row each, with R exact and as a
    percentage, and a summary by kernel of where R is within 10% of 1/K^2. At most 1,000,000
    combinations (1,000 with a symbol left in). --plot draws R against Cout for each kernel,
    with 1/K^2.

    With --device, the four kinds on that device (roofline: compute- or memory-bound, the
    estimated time) and the predicted speedup of separable over standard beside R; --dtype
    and --batch set what is moved and computed.

    With --measure, the four kinds built in PyTorch and timed on this machine (separable as
    its two layers run one after the other), and the measured speedup beside R and, with
    --device, the predicted one; --threads sets PyTorch's threads (1).

    Example: convcost layer --k 3 --cin 256 --cout 256 --h 56 --w 56 --stride 2
    Example: convcost layer --k 3,5,7 --cout 16..1024*2 --cin 32 --h 56 --w 56
    Example: convcost layer --k 3 --cin 256 --cout 256 --h 56 --w 56 --device jetson-nano
    """
    _measure_ready(measure, threads, dtype)
    fmt = _format(fmt, output)
    layout = _layout(fmt, output, units)
    given: dict[str, list[Sequence[Any]]] = {
        "k": parse_pairs(k, "--k"),
        "stride": parse_pairs(stride, "--stride"),
        "dilation": parse_pairs(dilation, "--dilation"),
        "groups": parse_counts(groups, "--groups"),
    }
    for name, text in (("cin", cin), ("cout", cout), ("h", h), ("w", w)):
        given[name] = [(None,)] if text is None else parse_counts(text, f"--{name}")
    pad = parse_padding(padding)
    convention = conventions.convention(convention_name)
    _winograd_flags(algo, tile, ("--plot", plot))
    lengths = {name: sum(map(len, segments)) for name, segments in given.items()}
    from convcost.analysis.grid import MAX_CONFIGURATIONS, grid
    from convcost.analysis.separable import compare

    size = 1
    for name, length in lengths.items():
        size *= length
        if size > MAX_CONFIGURATIONS:  # checked before any list is made
            counts = " x ".join(f"{n:,}" for n in lengths.values() if n > 1)
            raise _bad(f"--{name}", f"{counts} combinations is more than {MAX_CONFIGURATIONS:,}")
    if plot is not None and (size == 1 or cin is None or cout is None):
        raise _bad("--plot", "draws R over a grid: give --cin, --cout and a list (16..1024*2)")
    if measure and (size != 1 or algo is Algo.WINOGRAD):
        flag = "--algo" if algo is Algo.WINOGRAD else "--measure"
        raise _bad(flag, "--measure times one layer, direct: give each dimension one value")
    if device is None:
        for flag, given_value in (("--dtype", dtype), ("--batch", batch)):
            if given_value is not None and not measure:
                raise _bad(flag, "sets what a device moves and computes; add --device")
    elif size != 1:
        raise _bad("--device", "times one layer: give one value for each dimension")
    elif algo is Algo.WINOGRAD:
        raise _bad("--device", "times the direct convolution; leave out --algo winograd")
    _plot_ready(plot, output, force)
    values = {name: [v for segment in given[name] for v in segment] for name in given}
    if algo is Algo.WINOGRAD and size > 1:
        raise _bad("--algo", "winograd counts one layer: give each flag one value, not a list")
    try:
        if size == 1:
            one = {name: value[0] for name, value in values.items()}
            result = compare(padding=pad, bias=bias, convention=convention, **one)  # type: ignore[arg-type]
            if algo is Algo.WINOGRAD:
                _emit(_winograd_layer(result, tile, fmt, convention, layout), output, force)
                return
            on = None if device is None else _on_device(result, device, dtype, batch)
            if measure:
                text = _layer_measured_text(result, on, threads, batch, fmt, convention, layout)
                _emit(text, output, force)
                return
            if on is not None:
                _emit(_layer_device_text(result, on, fmt, convention, layout), output, force)
                return
            _emit(renderer(fmt).comparison(result, **layout), output, force)
            return
        sweep = grid(padding=pad, bias=bias, convention=convention, **values)  # type: ignore[arg-type]
    except ConvcostError as error:
        if error.field in _LAYER_FLAGS:
            raise _bad(_LAYER_FLAGS[error.field], error.message) from None
        raise
    _plot(plot, force, lambda p: p.layer_grid_figure(sweep))
    draw = renderer(fmt).table
    with _progress("costing configurations", sweep.size) as advance:
        table = sweep.table()
        table = table._replace(rows=lambda: _counted(sweep.rows(), advance))
        if fmt not in HUMAN_FORMATS:
            _emit(draw(table, [], convention, **layout), output, force)
            return
        pieces = [draw(table, [], None, **layout)]
        pieces.append(draw(sweep.summary_table(), sweep.notes, convention, **layout))
    _emit("\n".join(pieces), output, force)


@app.command()
def formula(
    kind: Annotated[
        FormulaKind | None,
        typer.Argument(case_sensitive=False, help="Which formulas; all when left out."),
    ] = None,
    latex: Annotated[bool, typer.Option("--latex", help="Print LaTeX.")] = False,
    dims: Annotated[
        int,
        typer.Option(
            "--dims",
            parser=_count("--dims", 3),
            metavar="1|2|3",
            help="Spatial axes: 1 (L, as Conv1d), 2 (H, W), 3 (D, H, W, as Conv3d).",
        ),
    ] = 2,
) -> None:
    """Print the derived formulas (params, MACs, FLOPs, R, output size), simplified by sympy.

    Symbols: H, W input size; H_out, W_out output size; C_in, C_out channels; K (K_h, K_w)
    kernel; S stride; P padding; D dilation; G groups. With --dims 1 the axis is L (L_out,
    K_l); with --dims 3 a depth D_out, K_d comes first.

    Example: convcost formula ratio --latex
    """
    from convcost.formulas import derive
    from convcost.report.formula import render

    kinds = list(FormulaKind) if kind is None else [kind]
    _write_stdout([render({k.value: derive(k, dims) for k in kinds}, latex=latex)])


class RewriteTarget(str, Enum):
    """``net --as``: the form every unit is rewritten to (analysis.rewrite)."""

    STANDARD = "standard"
    SEPARABLE = "separable"


@app.command()
def net(
    spec: Annotated[
        str,
        typer.Argument(
            metavar="SPEC",
            help="A YAML spec file, the name of a shipped one (convcost zoo), or - for stdin.",
        ),
    ],
    alpha: Annotated[
        str | None,
        typer.Option(
            "--alpha", metavar="A", help="Width multiplier, e.g. 0.75, rounded by the spec's rule."
        ),
    ] = None,
    resolution: Annotated[
        str | None,
        typer.Option(
            "--resolution",
            metavar="N|HxW",
            help="Input size: N for NxN, or HxW (720x1280); a 1-D spec's length N; a 3-D spec's "
            "frames (D kept).",
        ),
    ] = None,
    by_type: Annotated[
        bool,
        typer.Option(
            "--by-type",
            help="Only the totals and the breakdown by layer type (MobileNet "
            "Table 2); JSON always has both.",
        ),
    ] = False,
    terms: Annotated[
        bool,
        typer.Option(
            "--terms",
            help="Add the cost terms (conv and linear MACs, BatchNorm, activation and pooling "
            "elements, bias adds, ...) with each one's weight under --convention "
            "(CSV: only that table).",
        ),
    ] = False,
    totals: Annotated[
        bool,
        typer.Option(
            "--totals",
            help="CSV: the totals (params, buffers, MACs, FLOPs) as one row, instead of the "
            "layer rows, which have no totals row. The other formats always show them.",
        ),
    ] = False,
    depth: Annotated[
        int | None,
        typer.Option(
            "--depth",
            parser=_count("--depth", MAX_NAME),
            metavar="N",
            help="Group rows by the first N parts of their dotted names (block2.expand.bn is "
            "block2 at depth 1), each group one row with its sums, as torchinfo's depth.",
        ),
    ] = None,
    top: Annotated[
        int | None,
        typer.Option(
            "--top",
            parser=_count("--top", MAX_ROWS),
            metavar="K",
            help="Only the K rows with the most MACs, largest first.",
        ),
    ] = None,
    all_rows: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Every layer its own row. By default, rows without MACs that keep their "
            "shape (BatchNorm, activations, adds) are folded into the row before them.",
        ),
    ] = False,
    rewrite_as: Annotated[
        RewriteTarget | None,
        typer.Option(
            "--as",
            help="What if: standard replaces every depthwise-separable unit by the full "
            "convolution, separable every full KxK convolution but the stem by depthwise then "
            "pointwise; the rewritten network's report, then each unit's saving "
            "(CSV: only the units).",
        ),
    ] = None,
    memory: Annotated[
        bool,
        typer.Option(
            "--memory",
            help="Bytes instead: each row's weights, inputs, output, traffic (their sum), "
            "FLOPs per byte and the activation bytes live while it runs; the model size and "
            "the peak (CSV: the rows; --totals: the totals). See --dtype, --batch, --in-place.",
        ),
    ] = False,
    dtype: DTypeOption = None,
    batch: BatchOption = None,
    in_place: InPlaceOption = False,
    device: DeviceOption = None,
    algo: AlgoOption = Algo.DIRECT,
    tile: TileOption = None,
    measure: MeasureOption = False,
    threads: ThreadsOption = None,
    units: UnitsOption = None,
    convention_name: ConventionOption = ConventionName.EXACT,
    fmt: FormatOption = None,
    output: OutputOption = None,
    force: ForceOption = False,
    plot: PlotOption = None,
) -> None:
    """Cost a whole network: per-layer table, totals, and the breakdown by layer type.

    Columns: name, category, input and output shape, kernel, stride, params, MACs, share of
    the MACs. Totals: params, buffers, MACs, FLOPs (= 2 x MACs). With --by-type only the
    totals and the breakdown are printed (CSV: the breakdown rows). A CSV has no totals row,
    so each column sums to its total; --totals gives them as a CSV of their own. --plot
    draws each row's MACs and params as bars, coloured by layer type.

    With --measure, every row built in PyTorch and timed on this machine, alone and inside
    the whole network, beside the --device prediction when given.

    Example: convcost net mobilenet_v1 --alpha 0.75 --resolution 160 --by-type
    """
    _measure_ready(measure, threads, dtype)
    fmt = _format(fmt, output)
    _winograd_flags(
        algo,
        tile,
        *{"--memory": memory, "--device": device, "--depth": depth, "--top": top}.items(),
        *{"--by-type": by_type, "--terms": terms, "--as": rewrite_as, "--plot": plot}.items(),
    )
    if measure:
        _measured_flags(
            algo, totals, memory, in_place, depth, top, by_type, terms, rewrite_as, plot
        )
    elif device is None:
        _memory_flags(memory, dtype, batch, in_place, depth, top, by_type, terms, rewrite_as, plot)
    else:
        _device_flags(memory, in_place, depth, top, by_type, terms, rewrite_as)
    view = _view(fmt, all_rows, depth, top)
    layout = _layout(fmt, output, units, view)
    if totals and fmt is not Format.CSV:
        raise _bad("--totals", f"only CSV takes it (-f csv); {fmt.value} always shows totals")
    if totals and (by_type or terms):
        raise _bad("--totals", "a CSV holds one table: leave out --by-type and --terms")
    if plot is not None and rewrite_as is not None:
        raise _bad("--plot", "draws the network as written; leave out --as")
    width = None if alpha is None else parse_alpha(alpha)
    size = None if resolution is None else parse_pair(resolution, "--resolution")
    _plot_ready(plot, output, force)
    from convcost.network import Variant, walk

    loaded = _load_spec(spec)
    variant = Variant(width, size)
    convention = conventions.convention(convention_name)
    if rewrite_as is not None:
        if totals or (fmt is Format.CSV and (by_type or terms)):
            raise _bad(
                "--as", "a CSV holds one table, the units: leave out --totals, --by-type, --terms"
            )
        chunks = _rewritten(loaded, variant, rewrite_as, convention, fmt, by_type, terms, layout)
        _emit(chunks, output, force)
        return
    report = walk(loaded, variant, convention=convention)
    if measure:
        text = _measured_text(report, device, threads, batch, fmt, convention, layout)
        _emit(text, output, force)
        return
    if algo is Algo.WINOGRAD:
        from convcost.analysis.winograd import network_winograd

        winograd = network_winograd(report, tile or 2)
        _emit(_winograd_text(winograd, fmt, totals, convention, layout), output, force)
        return
    if device is not None:
        from convcost.analysis.roofline import roofline

        profile = _device(device)
        try:
            estimated = roofline(report, profile, (dtype or DType.FP32).value, batch or 1)
        except ConvcostError as error:
            if error.field == "--dtype":
                raise _bad("--dtype", error.message) from None
            raise
        _plot(plot, force, lambda p: p.roofline_figure(estimated))
        _emit(_device_text(estimated, fmt, totals, convention, layout), output, force)
        return
    if memory:
        from convcost.analysis.memory import memory as memory_of

        result = memory_of(report, dtype or DType.FP32, batch or 1, in_place)
        _emit(_memory_text(result, fmt, totals, convention, layout), output, force)
        return
    from convcost.views import COMPACT

    # The rows the table shows; CSV and JSON have no view, so the terminal's default.
    _plot(plot, force, lambda p: p.network_figure(report, view or COMPACT))
    if totals:  # CSV alone takes it (checked above)
        chunks = renderer(fmt).network_chunks(report, totals=True)
    else:
        chunks = renderer(fmt).network_chunks(report, by_type=by_type, terms=terms, **layout)
    _emit(chunks, output, force)


def _memory_flags(
    memory: bool,
    dtype: DType | None,
    batch: int | None,
    in_place: bool,
    *others: object,
) -> None:
    """``net --memory`` shows every row in its own table: the views and the other tables of
    ``net`` do not apply; without it (and without --device), --dtype, --batch and
    --in-place have nothing to count."""
    if not memory:
        for flag, given in (("--dtype", dtype), ("--batch", batch)):
            if given is not None:
                raise _bad(flag, "goes with --memory or --device; add one")
        if in_place:
            raise _bad("--in-place", "goes with --memory; add it")
        return
    flags = ("--depth", "--top", "--by-type", "--terms", "--as", "--plot")
    for flag, other in zip(flags, others, strict=True):
        if other not in (None, False):
            raise _bad(flag, "does not go with --memory, whose table has every row")


def _device(device: str) -> Any:
    """``--device``: a shipped profile by name, or a profile file."""
    from convcost.devices import load_device

    if not device.strip():
        raise _bad("--device", "empty; give a profile file or a shipped name (convcost devices)")
    return load_device(device)


def _on_device(comparison: Any, device: str, dtype: DType | None, batch: int | None) -> Any:
    """``layer --device``: the four kinds on the device; a layer left symbolic, or a data type
    the device has no peak for, is a bad flag."""
    from convcost.analysis.roofline import layer_roofline

    profile = _device(device)
    try:
        return layer_roofline(comparison, profile, (dtype or DType.FP32).value, batch or 1)
    except ConvcostError as error:
        if error.field in ("--device", "--dtype"):
            raise _bad(error.field, error.message) from None
        raise


def _layer_device_text(
    comparison: Any, on: Any, fmt: Format, convention: Any, layout: dict[str, Any]
) -> str:
    """``layer --device``: for people, the comparison, the four kinds on the device and the
    speedup beside R; CSV the kinds on the device; JSON those and the speedup."""
    draw = renderer(fmt).table
    if fmt is Format.CSV:
        return str(draw(on.table(), [], convention))
    if fmt is Format.JSON:
        return str(draw(on.table(), [], convention, more=[on.speedup_table()]))
    pieces = [renderer(fmt).comparison(comparison, **layout), draw(on.table(), [], None, **layout)]
    pieces.append(draw(on.speedup_table(), [], None, **layout))
    return "\n".join(pieces)


def _device_flags(memory: bool, in_place: bool, *others: object) -> None:
    """``net --device`` shows every row in its own table: --memory, --in-place and the views
    and other tables of ``net`` do not go with it."""
    flags = ("--memory", "--in-place", "--depth", "--top", "--by-type", "--terms", "--as")
    for flag, other in zip(flags, (memory, in_place, *others), strict=True):
        if other not in (None, False):
            raise _bad(flag, "does not go with --device, whose table has every row")


def _device_text(
    result: Any, fmt: Format, totals: bool, convention: Any, layout: dict[str, Any]
) -> str:
    """``net --device``: the rows, then the network's time; a CSV holds one of the two
    tables (the rows, or with --totals the totals), JSON both in one object."""
    draw = renderer(fmt).table
    if fmt is Format.CSV:
        return str(draw(result.totals_table() if totals else result.table(), [], convention))
    if fmt is Format.JSON:
        return str(draw(result.table(), [], convention, more=[result.totals_table()]))
    rows = draw(result.table(), [], None, **layout)
    return f"{rows}\n{draw(result.totals_table(), [], convention, **layout)}"


def _memory_text(
    result: Any, fmt: Format, totals: bool, convention: Any, layout: dict[str, Any]
) -> str:
    """``net --memory``: the rows, then the totals and the definitions; a CSV holds one of
    the two tables (the rows, or with --totals the totals), JSON both in one object."""
    draw = renderer(fmt).table
    notes = result.notes()
    if fmt is Format.CSV:
        return str(draw(result.totals_table() if totals else result.table(), notes, convention))
    if fmt is Format.JSON:
        return str(draw(result.table(), notes, convention, more=[result.totals_table()]))
    rows = draw(result.table(), [], None, **layout)
    return f"{rows}\n{draw(result.totals_table(), notes, convention, **layout)}"


def _measure_ready(measure: bool, threads: int | None, dtype: DType | None) -> None:
    """Before any work: --measure needs PyTorch (the measure extra) and times fp32;
    --threads sets PyTorch's threads for it."""
    if not measure:
        if threads is not None:
            raise _bad("--threads", "sets PyTorch's threads for --measure; add it")
        return
    from convcost.analysis.measure import INSTALL, torch_missing

    if torch_missing():
        raise ConvcostError(INSTALL.format("--measure"))
    if dtype not in (None, DType.FP32):
        raise _bad("--dtype", "--measure times fp32 only; leave out --dtype")


def _measured_flags(algo: Algo, totals: bool, *others: object) -> None:
    """``net --measure`` times every row in its own table: --algo winograd, --totals,
    --memory, --in-place and the views and other tables of ``net`` do not go with it."""
    flags = ("--memory", "--in-place", "--depth", "--top", "--by-type", "--terms", "--as")
    pairs = [("--algo", algo is Algo.WINOGRAD), ("--totals", totals)]
    for flag, other in [*pairs, *zip((*flags, "--plot"), others, strict=True)]:
        if other not in (None, False):
            raise _bad(flag, "does not go with --measure, whose table has every row")


def _measured_text(
    report: Any,
    device: str | None,
    threads: int | None,
    batch: int | None,
    fmt: Format,
    convention: Any,
    layout: dict[str, Any],
) -> str:
    """``net --measure``: each row's measured times, beside the --device prediction; one
    table per PyTorch device (the CPU, and CUDA where PyTorch has it)."""
    from convcost.analysis.measure import measure, torch_devices

    predicted, name = None, ""
    if device is not None:
        from convcost.analysis.roofline import roofline

        profile = _device(device)
        predicted = [row.time for row in roofline(report, profile, "fp32", batch or 1).rows]
        name = profile.name
    draw = renderer(fmt).table
    said = None if fmt in HUMAN_FORMATS else convention
    tables = [
        measure(report, threads=threads or 1, batch=batch or 1, device=on).table(predicted, name)
        for on in torch_devices()
    ]
    if fmt is Format.JSON:
        return str(draw(tables[0], [], said, more=tables[1:]))
    if fmt is Format.CSV:
        return str(draw(tables[0], [], said))
    return "\n".join(str(draw(table, [], said, **layout)) for table in tables)


def _layer_measured_text(
    comparison: Any,
    on: Any,
    threads: int | None,
    batch: int | None,
    fmt: Format,
    convention: Any,
    layout: dict[str, Any],
) -> str:
    """``layer --measure``: the comparison, the kinds on the device (with --device), the
    kinds measured here beside their prediction, and R, the predicted and the measured
    speedup side by side; CSV the measured kinds, JSON those and the speedups."""
    from convcost.analysis.measure import measure_layer

    measured = measure_layer(comparison, threads=threads or 1, batch=batch or 1)
    kinds = ("standard", "depthwise", "pointwise", "separable")
    predicted = None if on is None else [on.row(kind).time for kind in kinds]
    times = measured.table(predicted, "" if on is None else on.device.name)
    speedups = measured.speedup_table(None if on is None else on.speedup)
    draw = renderer(fmt).table
    if fmt is Format.CSV:
        return str(draw(times, [], convention))
    if fmt is Format.JSON:
        return str(draw(times, [], convention, more=[speedups]))
    pieces = [renderer(fmt).comparison(comparison, **layout)]
    if on is not None:
        pieces.append(draw(on.table(), [], None, **layout))
    pieces += [draw(times, [], None, **layout), draw(speedups, [], None, **layout)]
    return "\n".join(pieces)


def _rewritten(
    loaded: Any,
    variant: Any,
    target: RewriteTarget,
    convention: Any,
    fmt: Format,
    by_type: bool,
    terms: bool,
    layout: dict[str, Any],
) -> Iterable[str]:
    """``net --as``: the rewritten network's report, then the units and their savings."""
    from convcost.analysis.rewrite import convert

    conversion = convert(loaded, target.value, variant, convention=convention)
    table, notes = conversion.units_table(), conversion.notes()
    render = renderer(fmt)
    if fmt is Format.CSV:
        return [render.table(table, notes, convention)]
    if fmt is Format.JSON:
        return render.network_chunks(conversion.after, terms=terms, tables=[table])
    report = render.network_chunks(conversion.after, by_type=by_type, terms=terms, **layout)
    return itertools.chain(report, ["\n", render.table(table, notes, convention, **layout)])


@app.command()
def zoo(
    units: UnitsOption = None,
    fmt: FormatOption = None,
    output: OutputOption = None,
    force: ForceOption = False,
) -> None:
    """List the shipped specs with their input size, params, buffers and MACs.

    Each name works as SPEC of convcost net.

    Example: convcost zoo --format markdown
    """
    fmt = _format(fmt, output)
    layout = _layout(fmt, output, units)
    from convcost import spec as spec_module
    from convcost.network import walk

    reports = []
    for name in spec_module.zoo_names():
        path, shown = spec_module.shipped(name)  # never a file of that name in this folder
        reports.append(walk(spec_module.load(path, shown=shown)))
    _emit(renderer(fmt).zoo(reports, **layout), output, force)


def _steps(start: Any, end: Any, step: Any, flag: str, bound: int) -> int:
    """How many values ``start..end/step`` holds (inclusive), checked against ``bound``
    before any is made."""
    count = abs(end - start) // step + 1
    if count > bound:
        raise _bad(flag, f"the range holds {count:,} values, more than {bound:,}")
    return int(count)


def _listed(
    text: str, flag: str, geometric: bool = False
) -> list[str | tuple[str, str, str | None, str]]:
    """A list ``a,b,c`` whose items are values or ranges ``start..end/step`` (or, where
    ``geometric``, ``start..end*factor``), in order: each value as written, each range as
    (start, end, step or None, ``/`` or ``*``)."""
    longest = MAX_LIST_ITEMS * (MAX_NUMBER_TEXT + 1)
    if len(text) > longest:
        raise _bad(flag, f"longer than {longest:,} characters")
    items = text.split(",")
    if len(items) > MAX_LIST_ITEMS:
        raise _bad(flag, f"{len(items):,} values, more than {MAX_LIST_ITEMS:,}")
    example = "16..1024*2" if geometric else "96..224/32"
    listed: list[str | tuple[str, str, str | None, str]] = []
    for item in items:
        if not item.strip():
            raise _bad(flag, f"{_clipped(text)} has an empty item; write 0.5,1 or {example}")
        if ".." not in item:
            listed.append(item)
            continue
        start, _, rest = item.partition("..")
        op = "*" if geometric and "*" in rest else "/"
        end, sign, step = rest.rpartition(op) if op in rest else (rest, "", "")
        if not start.strip() or not end.strip() or (sign and not step.strip()):
            raise _bad(flag, f"{_clipped(item)} is not a range such as {example}")
        listed.append((start, end, step if sign else None, op))
    return listed


def parse_counts(text: str, flag: str) -> list[Sequence[int]]:
    """A list flag of ``convcost layer`` (``--cout 16,32`` or ``16..1024*2``, ``--h
    56..224/56``): its values in segments, a range held as a ``range`` until the grid's size is
    checked; ``16..1024*2`` doubles from 16 while at most 1024, ``96..224/32`` steps by 32
    (inclusive; 1 without a step)."""
    from convcost.analysis.grid import MAX_CONFIGURATIONS

    segments: list[Sequence[int]] = []
    for item in _listed(text, flag, geometric=True):
        if isinstance(item, str):
            segments.append((_positive(item, flag),))
            continue
        start, end, step, op = item
        first, last = _positive(start, flag), _positive(end, flag)
        by = 1 if step is None else _positive(step, flag)
        if op == "*":
            if by < 2 or last < first:
                raise _bad(flag, f"{_clipped(start + '..' + end)}*{step}: a geometric range "
                           "goes up by a factor of at least 2, as 16..1024*2")  # fmt: skip
            powers = [first]
            while powers[-1] * by <= last:
                powers.append(powers[-1] * by)
            segments.append(powers)
            continue
        _steps(first, last, by, flag, MAX_CONFIGURATIONS)
        sign = 1 if last >= first else -1
        segments.append(range(first, last + sign, sign * by))
    return segments


def parse_pairs(text: str, flag: str) -> list[Sequence[tuple[int, int]]]:
    """``--k``, ``--stride`` or ``--dilation`` of ``convcost layer`` as a list: ``3,5,7``,
    ``1x7,7x1`` or a range ``1..7/2`` of square values, in segments as :func:`parse_counts`."""
    from convcost.analysis.grid import MAX_CONFIGURATIONS

    segments: list[Sequence[tuple[int, int]]] = []
    for item in _listed(text, flag):
        if isinstance(item, str):
            segments.append((parse_pair(item, flag),))
            continue
        start, end, step, _ = item
        first, last = _positive(start, flag), _positive(end, flag)
        by = 1 if step is None else _positive(step, flag)
        _steps(first, last, by, flag, MAX_CONFIGURATIONS)
        sign = 1 if last >= first else -1
        segments.append(_Squares(range(first, last + sign, sign * by)))
    return segments


class _Squares(Sequence[tuple[int, int]]):
    """(v, v) for each v of a range, made as read."""

    def __init__(self, values: range) -> None:
        self.values = values

    def __len__(self) -> int:
        return len(self.values)

    def __getitem__(self, index: Any) -> Any:
        value = self.values[index]
        return _Squares(value) if isinstance(value, range) else (value, value)


def parse_alphas(text: str) -> list[Fraction]:
    """``--alpha`` of ``convcost sweep``: ``1,0.75,0.5`` or ``0.25..1/0.25`` (inclusive, the
    step after ``/``, exact), or both comma-separated; each value as ``net --alpha`` takes it."""
    from convcost.analysis.sweep import MAX_VARIANTS

    alphas: list[Fraction] = []
    for item in _listed(text, "--alpha"):
        if isinstance(item, str):
            alphas.append(parse_alpha(item))
            continue
        start, end, step, _ = item
        if step is None:
            raise _bad("--alpha", f"{_clipped(start + '..' + end)} needs a step: 0.25..1/0.25")
        first, last, by = parse_alpha(start), parse_alpha(end), parse_alpha(step)
        count = _steps(first, last, by, "--alpha", MAX_VARIANTS - len(alphas))
        sign = 1 if last >= first else -1
        alphas += (first + sign * i * by for i in range(count))
    return alphas


def parse_resolutions(text: str) -> list[tuple[int, int]]:
    """``--resolution`` of ``convcost sweep``: ``224,192,160`` (each N or HxW) or ``96..224/32``
    (N x N, inclusive, the step after ``/``, 1 without), or both comma-separated."""
    from convcost.analysis.sweep import MAX_VARIANTS

    sizes: list[tuple[int, int]] = []
    for item in _listed(text, "--resolution"):
        if isinstance(item, str):
            sizes.append(parse_pair(item, "--resolution"))
            continue
        start, end, step, _ = item
        first, last = _positive(start, "--resolution"), _positive(end, "--resolution")
        by = 1 if step is None else _positive(step, "--resolution")
        count = _steps(first, last, by, "--resolution", MAX_VARIANTS - len(sizes))
        sign = 1 if last >= first else -1
        sizes += ((first + sign * i * by, first + sign * i * by) for i in range(count))
    return sizes


def _load_spec(spec: str) -> Any:
    """SPEC as ``net`` takes it: a file, a shipped name, or - for stdin."""
    from convcost import spec as spec_module

    if not spec.strip():
        raise _bad("SPEC", "empty; give a spec file, a shipped name (convcost zoo) or -")
    if spec == "-":
        if sys.stdin is None:  # started with stdin closed: `convcost net - <&-`
            raise ConvcostError("cannot read: stdin is closed", path="<stdin>")
        return spec_module.load_stream(sys.stdin.buffer)
    path, shown = spec_module.resolve(spec)
    return spec_module.load(path, shown=shown)


@app.command()
def sweep(
    spec: Annotated[
        str,
        typer.Argument(
            metavar="SPEC",
            help="A YAML spec file, the name of a shipped one (convcost zoo), or - for stdin.",
        ),
    ],
    alpha: Annotated[
        str,
        typer.Option(
            "--alpha",
            metavar="LIST",
            help="Width multipliers: 1,0.75,0.5 or a range 0.25..1/0.25 (inclusive, step "
            "after /), or both, comma-separated.",
        ),
    ] = "1",
    resolution: Annotated[
        str | None,
        typer.Option(
            "--resolution",
            metavar="LIST",
            help="Input sizes: 224,192 (N or HxW each) or a range 96..224/32; the spec's own "
            "size when left out.",
        ),
    ] = None,
    units: UnitsOption = None,
    convention_name: ConventionOption = ConventionName.EXACT,
    fmt: FormatOption = None,
    output: OutputOption = None,
    force: ForceOption = False,
    plot: PlotOption = None,
) -> None:
    """Cost every variant of a network: each alpha at each resolution.

    Columns: alpha, resolution, params, MACs, and params and MACs as a percentage of the
    base variant: alpha 1 at the spec's own resolution when the grid holds it, else the first
    variant. CSV and JSON add buffers and FLOPs (= 2 x MACs). At most 10,000 variants.
    --plot draws MACs against params, the Pareto front marked.

    Example: convcost sweep mobilenet_v2 --alpha 1.4,1,0.75,0.5,0.35 --resolution 224..96/32
    """
    from convcost.analysis.sweep import MAX_VARIANTS

    fmt = _format(fmt, output)
    layout = _layout(fmt, output, units)
    alphas = parse_alphas(alpha)
    sizes = None if resolution is None else parse_resolutions(resolution)
    if len(alphas) * (1 if sizes is None else len(sizes)) > MAX_VARIANTS:
        raise _bad(
            "--alpha",
            f"{len(alphas):,} alphas x {len(sizes or ()):,} resolutions is more than "
            f"{MAX_VARIANTS:,} variants",
        )
    _plot_ready(plot, output, force)
    from convcost.analysis.sweep import sweep as sweep_of

    loaded = _load_spec(spec)
    variants = len(alphas) * (1 if sizes is None else len(sizes))
    with _progress("walking variants", variants) as advance:
        result = sweep_of(
            loaded,
            alphas,
            sizes,
            conventions.convention(convention_name),
            progress=advance,
        )
    _plot(plot, force, lambda p: p.sweep_figure(result))
    text = renderer(fmt).table(result.table(), [result.base_note], result.convention, **layout)
    _emit(text, output, force)


def _compared(spec: str, alpha: str | None, resolution: str | None, convention: Any) -> Any:
    """One SPEC of ``compare``: ``name``, ``name@0.75`` or ``name@0.75x160``, walked."""
    from convcost import network

    name, at, suffix = spec.rpartition("@") if "@" in spec else ("", "", spec)
    if not at:
        name = spec
    elif suffix:
        first, x, given = suffix.partition("x")
        alpha, resolution = first, (given if x else resolution)
        if x and not given:
            raise _bad("SPEC", f"{_clipped(spec)}: give NAME@ALPHA or NAME@ALPHAxN")
    else:
        raise _bad("SPEC", f"{_clipped(spec)}: nothing after @")
    fraction = None if alpha is None else parse_alpha(alpha)
    pair = None if resolution is None else parse_pair(resolution, "--resolution")
    loaded = _load_spec(name)
    return network.walk(loaded, alpha=fraction, resolution=pair, convention=convention)


@app.command()
def compare(
    specs: Annotated[
        list[str],
        typer.Argument(
            metavar="SPEC...",
            help="2 to 16 specs (files or shipped names); NAME@0.75 sets its alpha, "
            "NAME@0.75x160 its alpha and resolution.",
        ),
    ],
    alpha: Annotated[
        str | None,
        typer.Option("--alpha", metavar="A", help="Width multiplier for every SPEC without @."),
    ] = None,
    resolution: Annotated[
        str | None,
        typer.Option(
            "--resolution", metavar="N|HxW", help="Input size for every SPEC without its own."
        ),
    ] = None,
    units: UnitsOption = None,
    convention_name: ConventionOption = ConventionName.EXACT,
    fmt: FormatOption = None,
    output: OutputOption = None,
    force: ForceOption = False,
    plot: PlotOption = None,
) -> None:
    """Networks side by side: totals with params and MACs over the first's, MACs by layer
    type, and the blocks whose MACs differ most. CSV and JSON: the totals table only.
    --plot draws each network's MACs as a bar split by layer type.

    Example: convcost compare mobilenet_v1 mobilenet_v2@0.75x160
    """
    from convcost.analysis.compare import MAX_SPECS, MIN_SPECS, versus

    fmt = _format(fmt, output)
    layout = _layout(fmt, output, units)
    if not MIN_SPECS <= len(specs) <= MAX_SPECS:
        raise _bad("SPEC", f"give {MIN_SPECS} to {MAX_SPECS} specs, not {len(specs)}")
    _plot_ready(plot, output, force)
    convention = conventions.convention(convention_name)
    result = versus([_compared(s, alpha, resolution, convention) for s in specs])
    _plot(plot, force, lambda p: p.comparison_figure(result))
    draw = renderer(fmt).table
    if fmt not in HUMAN_FORMATS:
        _emit(draw(result.totals_table(), [], convention, **layout), output, force)
        return
    tables = [result.totals_table(), result.by_type_table(), result.differences_table()]
    # The convention once, under the last table.
    pieces = [draw(t, [], convention if t is tables[-1] else None, **layout) for t in tables]
    _emit("\n".join(pieces), output, force)


@app.command()
def devices(
    units: UnitsOption = None,
    fmt: FormatOption = None,
    output: OutputOption = None,
    force: ForceOption = False,
) -> None:
    """List the shipped device profiles: dense peaks per data type (GFLOP/s; int8 GOP/s),
    DRAM bandwidth (GB/s), the ridge point at fp32 (FLOPs per byte) and what each is.

    Each name works as --device of convcost net and layer; the sources of every figure are in
    the profile's YAML (docs/hardware.md).

    Example: convcost devices --format markdown
    """
    fmt = _format(fmt, output)
    layout = _layout(fmt, output, units)
    from convcost.analysis.roofline import devices_table
    from convcost.devices import device_names, load_device

    table = devices_table([load_device(name) for name in device_names()])
    # no counts, so no convention to state (CSV and JSON take the default, which adds nothing)
    said = None if fmt in HUMAN_FORMATS else conventions.EXACT
    _emit(renderer(fmt).table(table, [], said, **layout), output, force)


@app.command()
def calibrate(
    threads: ThreadsOption = None,
    output: OutputOption = None,
    force: ForceOption = False,
) -> None:
    """Fit a device profile named host to short micro-benchmarks on this machine, in PyTorch
    at --threads threads (1): a GEMM (peak fp32), a large copy (bandwidth), the layer kinds the
    zoo is made of on 2x2 and 4x4 maps (each kind's overhead per row) and at the stages of an
    ImageNet network (each kind's fraction of the peak or the bandwidth). Prints the profile
    as YAML, each value commented with how it was measured; --output saves it, for --device.
    Takes a few seconds. Needs the measure extra: pip install 'convcost[measure]'.

    Example: convcost calibrate -o host.yaml
    """
    from convcost.analysis.measure import INSTALL, torch_missing

    if torch_missing():
        raise ConvcostError(INSTALL.format("calibrate"))
    if output is not None and output != "-" and not force and os.path.isfile(output):
        raise _exists(output)
    from convcost.analysis.calibrate import calibrate as calibrate_host

    _emit(calibrate_host(threads or 1).text, output, force)


@app.command()
def schema(output: OutputOption = None, force: ForceOption = False) -> None:
    """Print the JSON Schema of the spec format, for editors to validate and complete.

    Example: convcost schema --output convcost-spec.schema.json
    """
    import json

    from convcost import spec as spec_module

    _emit(json.dumps(spec_module.json_schema(), indent=2) + "\n", output, force)


def main() -> None:
    """Entry point of the ``convcost`` console script."""
    typer.main.get_command(app).main(prog_name="convcost")
