"""Pictures of the reports (``--plot FILE``): matplotlib figures, saved as PNG or SVG.

matplotlib is an optional extra (``pip install 'convcost[plot]'``), imported inside these
functions only. Figures use matplotlib's object API (``matplotlib.figure.Figure``), never
pyplot or a global backend: ``savefig`` picks Agg for PNG and the SVG writer for SVG by the
format alone. Each ``*_figure`` function takes a library object (a ``network.Report``, an
``analysis.sweep.Sweep``, an ``analysis.compare.Versus``, an ``analysis.grid.LayerGrid``,
an ``analysis.roofline.Roofline``),
read by its attributes, as the other renderers read theirs; :func:`image` turns a figure into
the bytes of a file, the same bytes for the same figure (no date, no software version).
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from convcost.errors import ConvcostError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from convcost.analysis.compare import Versus
    from convcost.analysis.grid import LayerGrid
    from convcost.analysis.roofline import Roofline
    from convcost.analysis.sweep import Sweep
    from convcost.network import Report
    from convcost.views import View

# The image formats, by the file's extension (in any case).
FORMATS = {".png": "png", ".svg": "svg"}
DPI = 100
MAX_LABELS = 60  # layer names on one axis; more rows label every n-th
MAX_POINT_LABELS = 60  # a sweep's variants labelled; beyond, only the Pareto front's
MAX_LINES = 10  # a sweep's resolutions drawn as lines, each in the legend; beyond, points
ROW_INCHES = 0.16  # height of one bar's row in a per-layer figure
MAX_BARS = 2_000  # rows of a per-layer figure (5,000 take matplotlib about 10 s to draw)


def image(figure: Figure, fmt: str) -> bytes:
    """``figure`` as the bytes of a ``fmt`` file (``png`` or ``svg``), without a date or the
    software version in its metadata, so that a figure drawn twice gives the same bytes."""
    from matplotlib import rc_context

    if fmt not in FORMATS.values():
        raise ConvcostError(f"cannot draw {fmt!r}; the formats are {', '.join(FORMATS.values())}")
    # None leaves a key out: the version would change the file with every matplotlib release
    metadata = {"Date": None, "Creator": None} if fmt == "svg" else {"Software": None}
    buffer = io.BytesIO()
    # The same file on every run: an SVG's ids are hashed from the salt. Its text stays text
    # (fonttype none): smaller, searchable, and a diff shows a changed label.
    with rc_context({"svg.hashsalt": "convcost", "svg.fonttype": "none"}):
        figure.savefig(buffer, format=fmt, dpi=DPI, metadata=metadata)
    return buffer.getvalue()


def network_figure(report: Report, view: View | None = None) -> Figure:
    """Per-layer MACs and params of ``report`` as horizontal bars, coloured by layer type: one
    bar per row of ``report.layer_table(view)``, the rows the table shows (``View(fold=True)``
    for the terminal's default, ``depth`` by block, ``top`` the costliest); every row if None.
    At most ``MAX_BARS`` rows, checked before anything is drawn.
    """
    table = report.layer_table(view)
    rows = list(table.rows() if callable(table.rows) else table.rows)
    if len(rows) > MAX_BARS:
        raise ConvcostError(
            f"{len(rows):,} rows is more than {MAX_BARS:,} bars; group them with --depth N or "
            "keep the costliest with --top K",
            field="plot",
        )
    names = [row.name for row in rows]
    categories = [row.category for row in rows]
    colours = _colours(categories)
    height = min(max(2.0 + ROW_INCHES * len(rows), 4.0), 30.0)
    figure = _figure(10.0, height)
    macs_axes, params_axes = figure.subplots(1, 2, sharey=True)
    positions = range(len(rows))
    for axes, values, what in (
        (macs_axes, [_number(row.macs) for row in rows], "MACs (multiply-accumulates)"),
        (params_axes, [_number(row.params) for row in rows], "params"),
    ):
        axes.barh(positions, values, color=[colours[c] for c in categories], height=0.8)
        axes.set_xlabel(what)
        _engineering(axes.xaxis)
        axes.grid(axis="x", linewidth=0.4, alpha=0.5)
        axes.set_axisbelow(True)
    step = math.ceil(len(rows) / MAX_LABELS) if rows else 1
    macs_axes.set_yticks(list(positions)[::step], names[::step], fontsize=7 if step == 1 else 6)
    macs_axes.set_ylim(len(rows) - 0.5, -0.5)  # the first row on top, as in the table
    _legend(figure, colours)
    figure.suptitle(f"{report.network}: MACs and params per layer ({report.variant_text})")
    return figure


def sweep_figure(sweep: Sweep) -> Figure:
    """MACs against params for every variant of ``sweep`` (log axes), one line per resolution
    through the alphas, each point labelled alpha/resolution (only the front's beyond
    ``MAX_POINT_LABELS`` variants), and the Pareto front (``Sweep.pareto()``: the most params
    for the MACs, no other variant having fewer-or-equal MACs and more-or-equal params,
    strictly one) ringed and joined. The
    front's labels are bold, with SVG ids ``pareto-1``, ``pareto-2``, ... in front order."""
    figure = _figure(8.0, 6.0)
    axes = figure.subplots()
    by_size: dict[tuple[int, int], list[Any]] = {}
    for row in sweep.rows:
        by_size.setdefault(row.resolution, []).append(row)
    lines = len(by_size) <= MAX_LINES
    for (h, w), rows in by_size.items():
        rows = sorted(rows, key=lambda r: _number(r.params))
        axes.plot(
            [_number(r.params) for r in rows],
            [_number(r.macs) for r in rows],
            marker="o",
            markersize=4,
            linewidth=1 if lines else 0,
            color=None if lines else "tab:blue",
            label=(f"{h}" if h == w else f"{h}x{w}") if lines else None,
        )
    front = sweep.pareto()
    on_front = {id(row) for row in front}
    labelled = sweep.rows if len(sweep.rows) <= MAX_POINT_LABELS else front
    for row in labelled:
        if id(row) not in on_front:
            _label(axes, row, fontsize=7)
    for i, row in enumerate(front, 1):
        _label(axes, row, fontsize=8, fontweight="bold", gid=f"pareto-{i}")
    axes.plot(
        [_number(r.params) for r in front],
        [_number(r.macs) for r in front],
        color="black",
        marker="o",
        markersize=10,
        markerfacecolor="none",
        linewidth=1.5,
        linestyle="--",
        label=f"Pareto front: most params for the MACs ({len(front)})",
    )
    axes.set_xscale("log")
    axes.set_yscale("log")
    for axis in (axes.xaxis, axes.yaxis):
        _engineering(axis, log=True)
    axes.set_xlabel("params")
    axes.set_ylabel("MACs (multiply-accumulates)")
    axes.grid(which="both", linewidth=0.4, alpha=0.4)
    axes.legend(title="resolution" if lines else None, fontsize=7, title_fontsize=8)
    figure.suptitle(f"{sweep.network}: {len(sweep.rows)} variants (alpha/resolution)")
    return figure


def _label(axes: Any, row: Any, **style: Any) -> None:
    point = (_number(row.params), _number(row.macs))
    axes.annotate(row.label, point, xytext=(4, 2), textcoords="offset points", **style)


def comparison_figure(versus: Versus) -> Figure:
    """MACs by layer type for each network of ``versus``: one stacked bar per network, a
    segment per layer type with MACs (``Versus.by_type()``), the first network on top."""
    labels = versus.labels
    types = [(name, macs) for name, macs in versus.by_type() if any(macs)]
    colours = _colours([name for name, _ in types])
    figure = _figure(10.0, min(max(2.5 + 0.45 * len(labels), 4.0), 12.0))
    axes = figure.subplots()
    left = [0] * len(labels)
    for name, macs in types:
        values = [_number(m) for m in macs]
        axes.barh(range(len(labels)), values, left=left, color=colours[name], height=0.6)
        left = [a + b for a, b in zip(left, values, strict=True)]
    axes.set_yticks(range(len(labels)), labels)
    axes.set_ylim(len(labels) - 0.5, -0.5)
    axes.set_xlabel("MACs (multiply-accumulates)")
    _engineering(axes.xaxis)
    axes.grid(axis="x", linewidth=0.4, alpha=0.5)
    axes.set_axisbelow(True)
    _legend(figure, colours)
    figure.suptitle("MACs by layer type")
    return figure


def layer_grid_figure(grid: LayerGrid) -> Figure:
    """R = separable / standard MACs against Cout (log axis) for each kernel of a layer grid
    (``convcost layer --k 3,5,7 --cout 16..1024*2``), with each kernel's 1/(Kh*Kw) drawn
    dashed and the band within 10% of it shaded: ungrouped, R = 1/(Kh*Kw) + 1/Cout (MobileNet
    section 3.1) reaches the band from Cout = 10*Kh*Kw. R depends on neither H, W nor the
    stride, so each (kernel, groups, Cout, R) is drawn once."""
    series: dict[tuple[tuple[int, ...], int], set[tuple[int, Fraction]]] = {}
    for row in grid.rows():
        if not isinstance(row.macs_ratio, Fraction) or not isinstance(row.cout, int):
            raise ConvcostError("cannot plot a symbolic R; give --cin and --cout numbers")
        series.setdefault((row.k, row.groups), set()).add((row.cout, row.macs_ratio))
    colours = _colours(str(k) for k, _ in series)
    grouped = len({groups for _, groups in series}) > 1
    figure = _figure(8.0, 5.5)
    axes = figure.subplots()
    for (k, groups), points in series.items():
        colour = colours[str(k)]
        couts, ratios = zip(*sorted(points), strict=True)
        name = f"{k[0]}" if k[0] == k[1] else f"{k[0]}x{k[1]}"
        label = f"K = {name}" + (f", groups {groups}" if grouped else "")
        axes.plot(
            couts, [float(r) for r in ratios], marker="o", markersize=3, color=colour, label=label
        )
        floor = 1 / (k[0] * k[1])
        axes.axhline(floor, color=colour, linestyle="--", linewidth=1)
        axes.axhspan(floor, floor * (1 + 0.1), color=colour, alpha=0.12, linewidth=0)
        axes.annotate(
            f"1/{k[0] * k[1]}",
            (1, floor),
            xycoords=("axes fraction", "data"),
            xytext=(-2, 2),
            textcoords="offset points",
            ha="right",
            fontsize=7,
            color=colour,
        )
    axes.set_xscale("log", base=2)
    axes.xaxis.set_major_formatter("{x:g}")
    axes.set_ylim(bottom=0)
    axes.set_xlabel("Cout (output channels)")
    axes.set_ylabel("R = separable / standard MACs")
    axes.grid(linewidth=0.4, alpha=0.4)
    axes.legend(fontsize=8, title="dashed: 1/(Kh*Kw); shaded: within 10%", title_fontsize=7)
    figure.suptitle("R against Cout for each kernel")
    return figure


# --- helpers ---------------------------------------------------------------------------------


def roofline_figure(roofline: Roofline) -> Figure:
    """The roofline of ``roofline.device`` at its data type, log-log: attainable FLOP/s against
    arithmetic intensity (FLOPs per byte), the roof min(peak, intensity x bandwidth) drawn
    from the device's peak and bandwidth, the ridge marked, and each row with FLOPs a point
    coloured by its row kind. Rows without FLOPs (norms, activations, adds) have no place on a
    log axis of FLOP/s: the title counts them."""
    # (intensity, attainable FLOP/s, kind) of each row with FLOPs
    points = [
        (float(row.intensity), float(row.attainable), row.kind)
        for row in roofline.rows
        if row.intensity is not None and row.attainable is not None
    ]
    left_out = len(roofline.rows) - len(points)
    device, dtype = roofline.device, roofline.dtype
    peak, bandwidth = float(device.peak(dtype)), float(device.bandwidth)
    ridge = peak / bandwidth
    intensities = [x for x, _, _ in points] or [ridge]
    low = min(min(intensities), ridge) / 4
    high = max(max(intensities), ridge) * 4
    figure = _figure(8.0, 6.0)
    axes = figure.subplots()
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.plot(
        [low, ridge, high], [low * bandwidth, peak, peak], color="black", linewidth=1.5, gid="roof"
    )
    axes.axvline(ridge, color="grey", linestyle=":", linewidth=1)
    axes.annotate(f"ridge {ridge:.3g} FLOPs/byte", (ridge, peak), xytext=(4, -12),
                  textcoords="offset points", fontsize=8)  # fmt: skip
    colours = _colours(kind for _, _, kind in points)
    for kind, colour in colours.items():
        mine = [(x, y) for x, y, of in points if of == kind]
        axes.scatter(
            [x for x, _ in mine],
            [y for _, y in mine],
            color=colour,
            s=18,
            label=kind,
            zorder=3,
        )
    axes.set_xlabel("arithmetic intensity (FLOPs per byte moved)")
    axes.set_ylabel("attainable FLOP/s")
    _engineering(axes.yaxis, log=True)
    axes.grid(which="both", linewidth=0.4, alpha=0.5)
    axes.legend(fontsize=8, frameon=False, loc="lower right")
    skipped = f"; {left_out} rows without FLOPs not drawn" if left_out else ""
    figure.suptitle(
        f"{roofline.network} on {device.name} ({dtype}, batch {roofline.batch}){skipped}",
        fontsize=10,
    )
    return figure


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=DPI, layout="constrained")


def _number(count: Any) -> int:
    """A count to draw: a symbolic one (no input size) cannot be."""
    if not isinstance(count, int):
        raise ConvcostError(f"cannot plot the symbolic count {count}; give the input size")
    return count


def _colours(names: Iterable[str]) -> dict[str, Any]:
    """A colour for each name, in order of first appearance (tab10, then tab20's others)."""
    from matplotlib import colormaps

    palette = [colormaps["tab10"](i) for i in range(10)]
    palette += [colormaps["tab20"](i) for i in range(1, 20, 2)]
    order = list(dict.fromkeys(names))
    return {name: palette[i % len(palette)] for i, name in enumerate(order)}


def _legend(figure: Figure, colours: dict[str, Any]) -> None:
    from matplotlib.patches import Patch

    handles = [Patch(color=colour, label=name) for name, colour in colours.items()]
    figure.legend(
        handles=handles,
        loc="outside lower center",
        ncols=min(len(handles), 4),
        fontsize=8,
        frameon=False,
    )


def _engineering(axis: Any, log: bool = False) -> None:
    """Ticks as 300M, 1.5G (powers of 1000, as ``--units si``); on a log axis at 1, 2 and 5
    times each power of ten, so that a range shorter than a decade still has numbers."""
    from matplotlib.ticker import EngFormatter, LogLocator, NullFormatter

    axis.set_major_formatter(EngFormatter(sep=""))
    if log:
        axis.set_major_locator(LogLocator(subs=(1, 2, 5)))
        axis.set_minor_formatter(NullFormatter())
