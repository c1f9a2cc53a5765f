"""Standard vs depthwise-separable: one convolution built four ways, side by side.

``convcost layer`` shows, for the same input, output channels, kernel, stride, padding and
dilation:

- ``standard``: the grouped convolution the flags describe (``--groups``, default 1);
- ``depthwise``: the separable layer's first stage, a Kh x Kw convolution with G = Cin that
  carries the stride;
- ``pointwise``: its second stage, a 1x1 convolution Cin -> Cout on the depthwise output;
- ``separable``: the two stages together (MobileNet section 3.1), so separable = depthwise +
  pointwise row by row.

Every count comes from ``layers.cost`` (which validates) and so from ``formulas.py``. A height
or width that is not given is the sympy symbol H or W; with both given, this module never
imports sympy and every count is a Python int.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from convcost import formulas
from convcost.errors import ConvcostError
from convcost.formulas import CONVENTION, Count
from convcost.layers import Conv2d, Padding, Pair, Shape, cost

KINDS = ("standard", "depthwise", "pointwise", "separable")


@dataclass(frozen=True, slots=True)
class KindCost:
    """One row of the comparison: one way of building the layer and what it costs."""

    name: str
    type: str
    input: Shape
    output: Shape
    kernel: Pair
    stride: Pair
    groups: int | None
    params: Count
    macs: Count

    @property
    def flops(self) -> Count:
        """FLOPs = 2 * MACs."""
        return formulas.flops(self.macs)


@dataclass(frozen=True, slots=True)
class Comparison:
    """What ``convcost layer`` prints: the four rows and R = separable / standard.

    ``macs_ratio`` and ``params_ratio`` are exact; ``approximation`` is 1/(Kh*Kw) + 1/Cout,
    which equals ``macs_ratio`` whenever the standard layer is ungrouped.
    """

    input: Shape
    cout: int
    kernel: Pair
    stride: Pair
    padding: Padding
    dilation: Pair
    groups: int
    bias: bool
    rows: tuple[KindCost, ...]
    macs_ratio: Fraction
    params_ratio: Fraction
    approximation: Fraction
    convention: dict[str, str] = field(default_factory=lambda: dict(CONVENTION))

    @property
    def symbolic(self) -> bool:
        """True when H or W was not given and stays a symbol."""
        return not all(isinstance(v, int) for v in self.input)

    def row(self, name: str) -> KindCost:
        """The row called ``name`` (one of :data:`KINDS`)."""
        for row in self.rows:
            if row.name == name:
                return row
        raise KeyError(name)


def compare(
    *,
    k: Pair,
    cin: int,
    cout: int,
    h: int | None = None,
    w: int | None = None,
    stride: Pair = (1, 1),
    padding: Padding = "same",
    dilation: Pair = (1, 1),
    groups: int = 1,
    bias: bool = False,
) -> Comparison:
    """Cost the four kinds on an input of H x W x Cin; H or W left out stays a symbol.

    Raises ``ConvcostError`` with ``field`` set ("k", "groups") when the layer cannot exist.
    """
    height: Count = h
    width: Count = w
    if h is None or w is None:
        symbols = formulas.symbols()  # imports sympy: only the symbolic path gets here
        height = symbols["h"] if h is None else h
        width = symbols["w"] if w is None else w
    shape: Shape = (height, width, cin)
    kh, kw = k
    standard_layer = Conv2d(cout, k, stride, padding, dilation, groups, bias)
    depthwise_layer = Conv2d(cin, k, stride, padding, dilation, cin, bias)
    pointwise_layer = Conv2d(cout, (1, 1), (1, 1), (0, 0), (1, 1), 1, bias)
    standard = cost(standard_layer, shape)
    depthwise = cost(depthwise_layer, shape)
    pointwise = cost(pointwise_layer, depthwise.output)
    rows = (
        KindCost(
            "standard",
            f"Conv {kh}x{kw}" + (f" G{groups}" if groups > 1 else ""),
            shape,
            standard.output,
            k,
            stride,
            groups,
            standard.params,
            standard.macs,
        ),
        KindCost(
            "depthwise",
            f"Conv DW {kh}x{kw}",
            shape,
            depthwise.output,
            k,
            stride,
            cin,
            depthwise.params,
            depthwise.macs,
        ),
        KindCost(
            "pointwise",
            "Conv 1x1",
            depthwise.output,
            pointwise.output,
            (1, 1),
            (1, 1),
            1,
            pointwise.params,
            pointwise.macs,
        ),
        KindCost(
            "separable",
            f"Conv DW {kh}x{kw} + Conv 1x1",
            shape,
            pointwise.output,
            k,
            stride,
            None,
            depthwise.params + pointwise.params,
            depthwise.macs + pointwise.macs,
        ),
    )
    return Comparison(
        input=shape,
        cout=cout,
        kernel=k,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        bias=bias,
        rows=rows,
        macs_ratio=_exact_ratio(rows[3].macs, standard.macs),
        params_ratio=formulas.ratio(rows[3].params, standard.params),
        approximation=Fraction(1, kh * kw) + Fraction(1, cout),
    )


def _exact_ratio(part: Count, whole: Count) -> Fraction:
    """part / whole as a Fraction; with symbols, after cancelling them (R needs no H, W)."""
    if isinstance(part, int) and isinstance(whole, int):
        return formulas.ratio(part, whole)
    import sympy

    value = sympy.cancel(sympy.sympify(part) / whole)
    if not value.is_Rational:  # both share Hout x Wout, so this is a bug if it happens
        raise ConvcostError(f"the ratio depends on the input size: {value}")
    return Fraction(int(value.p), int(value.q))
