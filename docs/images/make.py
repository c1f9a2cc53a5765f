"""Draw README's pictures into FOLDER (this folder when left out):

    python docs/images/make.py [FOLDER]

mobilenet_v2_layers.svg is ``convcost net mobilenet_v2 --plot ...`` (the folded rows the
terminal table shows), mobilenet_v2_sweep.svg is ``convcost sweep mobilenet_v2 --alpha
1.4,1,0.75,0.5,0.35 --resolution 224..96/32 --plot ...`` (the 25 released variants). SVG, so
that a change shows in the diff; tests/test_plot.py runs this script and checks that it draws
the files committed here.
"""

from __future__ import annotations

import sys
from pathlib import Path

from convcost import network, spec
from convcost.analysis.sweep import sweep
from convcost.report import plot
from convcost.views import COMPACT

HERE = Path(__file__).resolve().parent


def make(folder: Path = HERE) -> list[Path]:
    """Write each picture into ``folder``; the paths written."""
    path, shown = spec.resolve("mobilenet_v2")
    mobilenet_v2 = spec.load(path, shown=shown)
    variants = sweep(mobilenet_v2, [1.4, 1, 0.75, 0.5, 0.35], [224, 192, 160, 128, 96])
    figures = {
        "mobilenet_v2_layers.svg": plot.network_figure(network.walk(mobilenet_v2), COMPACT),
        "mobilenet_v2_sweep.svg": plot.sweep_figure(variants),
    }
    written = []
    for name, figure in figures.items():
        target = Path(folder) / name
        target.write_bytes(plot.image(figure, "svg"))
        written.append(target)
    return written


if __name__ == "__main__":
    for written in make(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print(written)
