"""Views of a report's rows for people: folded, grouped by depth, or the largest K.

A network of 150 layers is 150 rows, most of them BatchNorm and activations that cost no
MACs; a person scans it better as the 50 layers that do the work. A :class:`View` says which
rows a per-layer table shows, and :func:`rows` makes them. Every view keeps the sums: a
folded or grouped row carries the params, buffers and MACs of the rows it stands for, so a
column still adds up to the report's totals (``--top`` shows a part, and says so).

- ``fold``: a row that costs no MACs and keeps its input's shape (BatchNorm, an activation,
  a residual add, dropout, a channel shuffle) is folded into the row shown before it. A row
  with MACs under the report's convention (``--convention thop`` counts BatchNorm) stays.
- ``depth``: rows are grouped by the first ``depth`` parts of their dotted names
  (``block2.expand.bn`` is ``block2`` at depth 1, ``block2.expand`` at depth 2), as
  torchinfo's ``depth`` groups by module nesting; consecutive rows of one group make a row.
- ``top``: the ``top`` rows with the most MACs, largest first (ties in network order).

Machine formats (CSV, JSON) always carry every row; views are for tables, Markdown and LaTeX.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, NamedTuple

from convcost.formulas import Count, flops
from convcost.layers import Shape

if TYPE_CHECKING:
    from convcost.network import LayerCost, Report


class View(NamedTuple):
    """Which rows a per-layer table shows; ``View()`` shows every row as the walker made it."""

    fold: bool = False
    depth: int | None = None
    top: int | None = None

    @property
    def complete(self) -> bool:
        """Every row, unchanged."""
        return self == View()


COMPACT = View(fold=True)  # the terminal's default (convcost net); --all shows View()


class Row(NamedTuple):
    """A row of a view: one layer, or ``layers`` consecutive layers shown as one.

    It reads like a :class:`~convcost.network.LayerCost` (the per-layer table's columns take
    either); ``kernel`` and ``stride`` are the layer's own, None for a group."""

    name: str
    type: str
    category: str
    input: Shape
    output: Shape
    kernel: tuple[int, ...] | None
    stride: tuple[int, ...] | None
    groups: int | None
    params: Count
    buffers: Count
    macs: Count
    layers: int = 1

    @property
    def flops(self) -> Count:
        """FLOPs = 2 * MACs."""
        return flops(self.macs)


def rows(report: Report, view: View) -> list[Row]:
    """The rows ``view`` shows of ``report``, in network order (``top``: largest MACs first).

    Folding comes first, so that a group is named by the layers that do its work."""
    shown = [_row(layer) for layer in report.rows]
    if view.fold:
        shown = _folded(shown)
    if view.depth is not None:
        depth = view.depth
        groups = itertools.groupby(shown, key=lambda row: ".".join(row.name.split(".")[:depth]))
        shown = [_group(name, list(members)) for name, members in groups]
        if view.fold:  # a group without MACs (a dropout between blocks) folds in turn
            shown = _folded(shown)
    if view.top is not None:
        order = sorted(range(len(shown)), key=lambda i: (-_sortable(shown[i].macs), i))
        shown = [shown[i] for i in order[: view.top]]
    return shown


def _row(layer: LayerCost) -> Row:
    return Row(
        layer.name,
        layer.type,
        layer.category,
        layer.input,
        layer.output,
        layer.kernel,
        layer.stride,
        layer.groups,
        layer.params,
        layer.buffers,
        layer.macs,
    )


def _group(name: str, members: list[Row]) -> Row:
    """Consecutive rows as one: their sums, the first one's input, the last one's output.

    Its type names the kinds of layer in it (``Conv 1x1 + Conv DW 3x3``), or the first and
    how many more kinds there are."""
    if len(members) == 1:
        return members[0]._replace(name=name)
    kinds = list(dict.fromkeys(row.category for row in members))
    category = " + ".join(kinds) if len(kinds) <= 2 else f"{kinds[0]} + {len(kinds) - 1} more"
    params: Count = 0
    buffers: Count = 0
    macs: Count = 0
    layers = 0
    for row in members:
        params += row.params
        buffers += row.buffers
        macs += row.macs
        layers += row.layers
    shape = (members[0].input, members[-1].output)
    return Row(name, "group", category, *shape, None, None, None, params, buffers, macs, layers)


def _folded(shown: list[Row]) -> list[Row]:
    """Each row without MACs that keeps its input's shape, added to the row before it."""
    out: list[Row] = []
    for row in shown:
        if out and row.macs == 0 and row.output == row.input:
            last = out[-1]
            out[-1] = last._replace(
                params=last.params + row.params,
                buffers=last.buffers + row.buffers,
                layers=last.layers + row.layers,
            )
        else:
            out.append(row)
    return out


def _sortable(macs: Count) -> int:
    """MACs as a sort key; a symbolic count (no input size) sorts as if it were zero."""
    return macs if isinstance(macs, int) else 0
