"""Memory: bytes of weights and activations, the traffic of each layer, and the peak.

For a data type of ``b`` bytes per value (:data:`DTYPES`) and a batch of N, per row of a
report:

- weight bytes = (params + buffers) x b: what inference reads of the layer's own (a
  BatchNorm's running statistics are read as its gamma and beta are);
- input bytes = N x b x the elements of every input it reads (a residual add reads two);
  output bytes = N x b x the elements it writes;
- traffic = weight + input + output bytes: the least memory traffic of the layer run alone,
  every input and weight read once and the output written once (the roofline's bytes, Williams
  et al. 2009); a view (flatten, dropout at inference) moves nothing;
- arithmetic intensity = FLOPs / traffic, FLOPs = 2 x MACs x N under the report's convention.

The model size is the sum of weight bytes: BatchNorm's running mean and variance are in
it, as a ``state_dict`` (and so a saved model) stores them. The peak activation memory
follows the rows' tensor identities (``LayerCost.tensors`` and ``tensor``): while a row
runs, its inputs and its output are held, and so is every tensor written earlier and read
later (a residual's shortcut, a concat's finished branches); a tensor is freed after the
last row that reads it, the network's output never. This is MCUNet's "peak SRAM" counted
per layer without in-place execution (Lin et al. 2020 count a layer's input and output
both, as here). With ``in_place``, an activation or an add whose first input is read by
nothing later writes into that input's buffer (PyTorch's ``ReLU(inplace=True)`` and
ResNet's ``out += identity``). Views (flatten, dropout) alias their input's buffer either
way. Weights are not activations: they are in neither figure's peak.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from operator import attrgetter
from typing import TYPE_CHECKING, NamedTuple

from convcost import formulas
from convcost.errors import ConvcostError
from convcost.formulas import Count, DType
from convcost.layers import LayerKind
from convcost.limits import MAX_BATCH
from convcost.tables import Column, Kind, Table

if TYPE_CHECKING:
    from convcost.network import Report

# Bytes per value of each data type (formulas.DType).
DTYPES = {dtype.value: dtype.size for dtype in DType}

# Rows that read their input as it is: no copy, no traffic, the same buffer.
VIEWS = frozenset({LayerKind.FLATTEN, LayerKind.DROPOUT})
# Rows that may write into their first input where nothing reads it later (``in_place``).
IN_PLACE = frozenset({LayerKind.ACTIVATION, LayerKind.ADD})


class LayerMemory(NamedTuple):
    """One row's bytes; ``live`` is the activation memory held while it runs."""

    name: str
    category: str
    weights: int
    inputs: int
    output: int
    traffic: int
    flops: int
    live: int

    @property
    def intensity(self) -> Fraction | None:
        """FLOPs per byte of traffic; None for a row that moves nothing."""
        return Fraction(self.flops, self.traffic) if self.traffic else None


@dataclass(frozen=True, slots=True)
class Memory:
    """What ``convcost net --memory`` prints: each row's bytes, the model size and the peak
    activation memory (and the row it is reached at)."""

    network: str
    dtype: str
    batch: int
    in_place: bool
    rows: tuple[LayerMemory, ...]
    model_bytes: int
    peak_bytes: int
    peak_at: str
    input_bytes: int

    @property
    def traffic(self) -> int:
        return sum(row.traffic for row in self.rows)

    @property
    def intensity(self) -> Fraction | None:
        """The network's FLOPs per byte of its rows' traffic."""
        traffic = self.traffic
        return Fraction(self.flops, traffic) if traffic else None

    @property
    def flops(self) -> int:
        return sum(row.flops for row in self.rows)

    def table(self) -> Table:
        """One row per layer: its weight, input, output and traffic bytes, FLOPs, arithmetic
        intensity and the activation bytes held while it runs; the sums in the footer."""
        return Table(
            "memory",
            f"{self.network}: bytes at {self.dtype}, batch {self.batch}"
            + (", in place" if self.in_place else ""),
            [
                Column("name", "name", Kind.TEXT, attrgetter("name"), "total"),
                Column("category", "category", Kind.TEXT, attrgetter("category")),
                Column("weights", "weights", Kind.BYTES, attrgetter("weights"), self.model_bytes),
                Column(
                    "inputs",
                    "inputs",
                    Kind.BYTES,
                    attrgetter("inputs"),
                    sum(r.inputs for r in self.rows),
                ),
                Column(
                    "output",
                    "output",
                    Kind.BYTES,
                    attrgetter("output"),
                    sum(r.output for r in self.rows),
                ),
                Column("traffic", "traffic", Kind.BYTES, attrgetter("traffic"), self.traffic),
                Column("flops", "FLOPs", Kind.COUNT, attrgetter("flops"), self.flops),
                Column(
                    "intensity", "intensity", Kind.RATE, attrgetter("intensity"), self.intensity
                ),
                Column("live", "live", Kind.BYTES, attrgetter("live"), self.peak_bytes),
            ],
            self.rows,
        )

    def totals_table(self) -> Table:
        """Model size, peak activation memory and where it is reached, total traffic."""
        return Table(
            "memory_totals",
            "Memory",
            [
                Column("dtype", "dtype", Kind.TEXT, lambda _: self.dtype),
                Column("batch", "batch", Kind.NUMBER, lambda _: self.batch),
                Column("model_bytes", "model bytes", Kind.BYTES, lambda _: self.model_bytes),
                Column("peak_bytes", "peak bytes", Kind.BYTES, lambda _: self.peak_bytes),
                Column("peak_at", "peak at", Kind.TEXT, lambda _: self.peak_at),
                Column("traffic", "traffic", Kind.BYTES, lambda _: self.traffic),
                Column(
                    "in_place", "in place", Kind.TEXT, lambda _: "yes" if self.in_place else "no"
                ),
            ],
            [self],
            has_footer=False,
            record=True,
        )

    def notes(self) -> list[str]:
        """The definitions, stated with the figures (papers differ on them, issue 16)."""
        place = (
            "activations and adds write into their first input where nothing reads it later"
            if self.in_place
            else "no layer runs in place (--in-place: activations and adds write into an "
            "input nothing reads later)"
        )
        return [
            "weights = (params + buffers) x bytes per value: BatchNorm running statistics "
            "included, as a state_dict stores them; inputs and output = N x elements x bytes "
            "per value; traffic = weights + inputs + output, each read or written once "
            "(views such as flatten move nothing); intensity = FLOPs / traffic, FLOPs = 2 "
            "x MACs x N",
            "live = activation bytes held while the row runs: its inputs and its output both, "
            "and every tensor written before it and read after it (shortcuts, concat "
            f"branches); weights are not counted; {place}; peak = the largest live (the "
            f"totals row's), reached first at {self.peak_at or 'the input'}",
        ]


def bytes_per_value(dtype: str) -> int:
    """4 for fp32, 2 for fp16 and bf16, 1 for int8 (:class:`formulas.DType`); a
    ConvcostError naming ``dtype`` otherwise."""
    if not isinstance(dtype, str) or dtype not in DTYPES:
        shown = repr(dtype) if isinstance(dtype, str) else type(dtype).__name__
        raise ConvcostError(f"{shown[:40]} is not one of {', '.join(DTYPES)}", field="dtype")
    return DTYPES[dtype]


def memory(
    report: Report, dtype: DType | str = "fp32", batch: int = 1, in_place: bool = False
) -> Memory:
    """The bytes of every row of ``report`` at ``dtype`` and batch ``batch`` (module
    docstring for the definitions), in time linear in the rows. Needs numeric shapes."""
    size = bytes_per_value(dtype)
    dtype = DType(dtype).value
    if isinstance(batch, bool) or not isinstance(batch, int) or not 1 <= batch <= MAX_BATCH:
        raise ConvcostError(f"expected a batch of 1 to {MAX_BATCH:,}, got {batch!r}", field="batch")
    per_value = formulas.tensor_bytes(1, size, batch)
    rows = report.rows
    # Pass 1: the last row reading each tensor; the network's output is read "after the end".
    last: dict[int, int] = {}
    for i, row in enumerate(rows):
        for tensor in row.tensors:
            last[tensor] = i
    last[rows[-1].tensor if rows else 0] = len(rows)
    # Pass 2: the buffer each tensor lives in, and the last row reading that buffer.
    home = {0: 0}
    until = {0: last.get(0, -1)}
    for i, row in enumerate(rows):
        first = home[row.tensors[0]] if row.tensors else None
        if first is not None and (
            row.kind in VIEWS or (in_place and row.kind in IN_PLACE and until[first] <= i)
        ):
            target = first
        else:
            target = row.tensor
        home[row.tensor] = target
        until[target] = max(until.get(target, -1), last.get(row.tensor, -1))
    # Pass 3: the bytes of each row, and the buffers held while it runs.
    held = _elements(report.input) * per_value
    live = {0: held}
    table = []
    for i, row in enumerate(rows):
        output = _elements(row.output) * per_value
        target = home[row.tensor]
        if target not in live:
            live[target] = output
            held += output
        inputs = sum(_elements(shape) for shape in row.inputs) * per_value
        weights = formulas.tensor_bytes(_int(row.params) + _int(row.buffers), size)
        traffic = 0 if row.kind in VIEWS else weights + inputs + output
        flops = _int(formulas.flops(row.macs)) * batch
        table.append(
            LayerMemory(row.name, row.category, weights, inputs, output, traffic, flops, held)
        )
        for buffer in {home[t] for t in row.tensors} | {target}:
            if until.get(buffer, -1) <= i and buffer in live:
                held -= live.pop(buffer)
    peak = max(table, key=attrgetter("live"), default=None)
    input_bytes = _elements(report.input) * per_value
    return Memory(
        report.network,
        dtype,
        batch,
        in_place,
        tuple(table),
        sum(row.weights for row in table),
        peak.live if peak else input_bytes,
        peak.name if peak else "",
        input_bytes,
    )


def _elements(shape: tuple[Count, ...]) -> int:
    return _int(formulas.product(shape))


def _int(value: Count) -> int:
    if not isinstance(value, int):
        raise ConvcostError("memory needs numeric shapes and counts", field="input")
    return value
