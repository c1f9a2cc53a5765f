"""Every cost formula of convcost, written once.

Each function uses arithmetic operators only, so Python ints give an exact int and sympy
symbols give an expression: the numeric path and the symbolic path are the same code, and the
numeric path never imports sympy. Nothing here validates its arguments (``layers.py`` and
``spec.py`` do that before calling in), and nothing branches on a value, which would fail on a
symbol.

Conventions (see docs/formulas.md):

- MACs are multiply-accumulates of convolution and linear layers; bias adds are not MACs.
- FLOPs = 2 x MACs. Papers such as MobileNet and ResNet print MACs under the name "FLOPs"
  or "mult-adds".
- Params are trainable parameters: weights, biases, BatchNorm gamma and beta, as
  ``sum(p.numel() for p in model.parameters())`` counts them in PyTorch. BatchNorm's running
  mean and variance are buffers (Keras' "non-trainable params").
- Output size follows PyTorch's ``Conv2d`` documentation; ``same`` padding follows TensorFlow.

Sources: Howard et al., "MobileNets" (2017), section 3.1, equations (1)-(5); Sandler et al.,
"MobileNetV2" (2018); the PyTorch ``torch.nn.Conv2d`` and ``torch.nn.Linear`` documentation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from enum import Enum
from fractions import Fraction
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    import sympy

# An exact count: a Python int, or a sympy expression when some dimension is a symbol.
Count = Any

# The conventions every report states (PRODUCT.md), in one place.
CONVENTION = {
    "macs": "multiply-accumulates of convolution and linear layers; bias adds are not MACs",
    "flops": "2 * MACs (papers such as MobileNet and ResNet print MACs as 'FLOPs' or 'mult-adds')",
    "params": "trainable parameters: weights, biases, norms' gamma and beta, PReLU slopes, "
    "layer scales",
    "buffers": "running mean and variance of BatchNorm (and of InstanceNorm that tracks them; "
    "Keras: non-trainable params)",
    "output_size": "floor((H + 2P - D(K-1) - 1)/S) + 1 (PyTorch); 'same' = ceil(H/S) (TensorFlow)",
}


def exact_divide(numerator: Count, divisor: Count) -> Count:
    """``numerator / divisor`` when ``divisor`` is known to divide ``numerator``.

    Ints stay ints (``//``, exact because the caller validated divisibility); symbols keep the
    true quotient, so a grouped convolution reads ``Cin/G`` and not ``floor(Cin/G)``.
    """
    if isinstance(numerator, int) and isinstance(divisor, int):
        return numerator // divisor
    return numerator / divisor


def ceil_divide(numerator: Count, divisor: Count) -> Count:
    """ceil(numerator / divisor): ``-(-a // b)`` for ints, ``ceiling(a/b)`` for symbols.

    ``-((-H) // S)`` is correct for a symbol too, but sympy prints it ``-floor(-H/S)``.
    """
    if isinstance(numerator, int) and isinstance(divisor, int):
        return -((-numerator) // divisor)
    import sympy

    return sympy.ceiling(numerator / divisor)


def minimum(a: Count, b: Count) -> Count:
    """min(a, b): ``min`` for ints, ``Min`` for symbols (``min`` would compare symbols)."""
    if isinstance(a, int) and isinstance(b, int):
        return min(a, b)
    import sympy

    return sympy.Min(a, b)


# --- output size ----------------------------------------------------------------------------


def conv_output_size(
    size: Count, k: Count, stride: Count = 1, padding: Count = 0, dilation: Count = 1
) -> Count:
    """Output length along one axis: floor((size + 2P - D(K-1) - 1) / S) + 1.

    P is the padding on each side, as in PyTorch's ``Conv2d``, ``MaxPool2d`` and ``AvgPool2d``
    (with ``ceil_mode=False``).
    """
    return (size + 2 * padding - dilation * (k - 1) - 1) // stride + 1


def pool_output_size_ceil(
    size: Count, k: Count, stride: Count = 1, padding: Count = 0, dilation: Count = 1
) -> Count:
    """Output length of a pooling window with ``ceil_mode=True`` (PyTorch's rule).

    min(ceil((size + 2P - D(K-1) - 1) / S), floor((size + P - 1) / S)) + 1: the division
    rounds up, so a last, partial window is kept, but that window must start inside the input
    or its left padding. PyTorch writes the second bound as a correction (``pooling_shape.h``:
    ``if ((out - 1) * S >= size + P) --out``); with P at most half the window, as PyTorch
    requires, it removes at most one window, and the minimum is the same number without a
    branch on a value.
    """
    span = size + 2 * padding - dilation * (k - 1) - 1
    return minimum(ceil_divide(span, stride), (size + padding - 1) // stride) + 1


def same_output_size(size: Count, stride: Count = 1) -> Count:
    """Output length with TensorFlow's ``padding="same"``: ceil(size / S).

    TensorFlow pads as much as needed for this, putting the odd pixel at the bottom/right;
    the kernel size and dilation do not change the output size.
    """
    return ceil_divide(size, stride)


# --- convolution ----------------------------------------------------------------------------


def product(values: Sequence[Count]) -> Count:
    """The product of ``values``, left to right (1 for none): the sizes or taps of every
    spatial axis, so that 1-D, 2-D and 3-D layers are one formula. ``math.prod`` multiplies
    with ``*``, so sympy symbols give an expression too."""
    return math.prod(values)


def conv_weights_nd(cin: Count, cout: Count, k: Sequence[Count], groups: Count = 1) -> Count:
    """Weights of a grouped N-D convolution: Cout * (Cin/G) * prod(K_i), one K_i per spatial
    axis (Kh * Kw in 2-D; K in 1-D, Kd * Kh * Kw in 3-D, as PyTorch's ``Conv{1,2,3}d``)."""
    return math.prod(k, start=cout * exact_divide(cin, groups))


def conv_params_nd(
    cin: Count, cout: Count, k: Sequence[Count], groups: Count = 1, bias: bool = False
) -> Count:
    """Params of a grouped N-D convolution: Cout * (Cin/G) * prod(K_i), plus Cout with a bias."""
    return conv_weights_nd(cin, cout, k, groups) + cout * int(bias)


def conv_macs_nd(
    out: Sequence[Count], cin: Count, cout: Count, k: Sequence[Count], groups: Count = 1
) -> Count:
    """MACs of a grouped N-D convolution: prod(out_i) * Cout * (Cin/G) * prod(K_i).

    Each output element is a dot product of length (Cin/G) * prod(K_i); taps that fall on zero
    padding are counted, as every framework's kernel computes them. Bias adds are not MACs.
    fvcore's ``conv_flop_count`` is the same product (one multiply-add per "flop").
    """
    return product(out) * conv_weights_nd(cin, cout, k, groups)


def conv_weights(cin: Count, cout: Count, kh: Count, kw: Count, groups: Count = 1) -> Count:
    """Weights of a grouped 2-D convolution: Cout * (Cin/G) * Kh * Kw."""
    return conv_weights_nd(cin, cout, (kh, kw), groups)


def conv_params(
    cin: Count, cout: Count, kh: Count, kw: Count, groups: Count = 1, bias: bool = False
) -> Count:
    """Params of a grouped 2-D convolution: Cout * (Cin/G) * Kh * Kw, plus Cout with a bias.

    Standard (G = 1), depthwise (G = Cin) and pointwise (Kh = Kw = 1) are all this one formula.
    """
    return conv_params_nd(cin, cout, (kh, kw), groups, bias)


def conv_macs(
    hout: Count, wout: Count, cin: Count, cout: Count, kh: Count, kw: Count, groups: Count = 1
) -> Count:
    """MACs of a grouped 2-D convolution: Hout * Wout * Cout * (Cin/G) * Kh * Kw.

    Each of the Hout*Wout*Cout outputs is a dot product of length (Cin/G)*Kh*Kw; taps that fall
    on zero padding are counted, as every framework's kernel computes them. Bias adds are not
    MACs.
    """
    return conv_macs_nd((hout, wout), cin, cout, (kh, kw), groups)


def depthwise_params(
    cin: Count, kh: Count, kw: Count, multiplier: Count = 1, bias: bool = False
) -> Count:
    """Params of a depthwise convolution (G = Cin, Cout = M * Cin): M * Cin * Kh * Kw (+ M*Cin)."""
    return conv_params(cin, multiplier * cin, kh, kw, cin, bias)


def depthwise_macs(
    hout: Count, wout: Count, cin: Count, kh: Count, kw: Count, multiplier: Count = 1
) -> Count:
    """MACs of a depthwise convolution: Hout * Wout * M * Cin * Kh * Kw (MobileNet eq. 3)."""
    return conv_macs(hout, wout, cin, multiplier * cin, kh, kw, cin)


def pointwise_params(cin: Count, cout: Count, bias: bool = False) -> Count:
    """Params of a pointwise (1x1) convolution: Cin * Cout (+ Cout)."""
    return conv_params(cin, cout, 1, 1, 1, bias)


def pointwise_macs(hout: Count, wout: Count, cin: Count, cout: Count) -> Count:
    """MACs of a pointwise (1x1) convolution: Hout * Wout * Cin * Cout."""
    return conv_macs(hout, wout, cin, cout, 1, 1, 1)


def separable_params(cin: Count, cout: Count, kh: Count, kw: Count, bias: bool = False) -> Count:
    """Params of a depthwise-separable convolution: depthwise Kh x Kw then pointwise 1x1.

    Cin * Kh * Kw + Cin * Cout without biases (MobileNet section 3.1).
    """
    return depthwise_params(cin, kh, kw, 1, bias) + pointwise_params(cin, cout, bias)


def separable_macs(
    hout: Count, wout: Count, cin: Count, cout: Count, kh: Count, kw: Count
) -> Count:
    """MACs of a depthwise-separable convolution: Hout * Wout * Cin * (Kh * Kw + Cout).

    The depthwise stage carries the stride, so the pointwise stage runs at Hout x Wout
    (MobileNet eq. 5).
    """
    return depthwise_macs(hout, wout, cin, kh, kw) + pointwise_macs(hout, wout, cin, cout)


# --- transposed convolution and upsampling ----------------------------------------------------


def conv_transpose_output_size(
    size: Count,
    k: Count,
    stride: Count = 1,
    padding: Count = 0,
    dilation: Count = 1,
    output_padding: Count = 0,
) -> Count:
    """Output length along one axis of a transposed convolution:
    (size - 1) * S - 2P + D(K-1) + output_padding + 1.

    Per axis, as PyTorch's ``ConvTranspose{1,2,3}d`` documentation writes it; an N-D layer
    applies it to each spatial axis. It inverts :func:`conv_output_size`: a convolution with the
    same K, S, P, D maps this length back to ``size`` (``output_padding`` picks one of the S
    lengths that do so).
    """
    return (size - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1


def conv_transpose_weights_nd(
    cin: Count, cout: Count, k: Sequence[Count], groups: Count = 1
) -> Count:
    """Weights of a grouped N-D transposed convolution: Cin * (Cout/G) * prod(K_i).

    PyTorch stores them as ``[Cin, Cout/G, *K]``; the count equals Cout * (Cin/G) * prod(K_i),
    the weights of the convolution it transposes.
    """
    return math.prod(k, start=cin * exact_divide(cout, groups))


def conv_transpose_params_nd(
    cin: Count, cout: Count, k: Sequence[Count], groups: Count = 1, bias: bool = False
) -> Count:
    """Params of a grouped N-D transposed convolution: Cin * (Cout/G) * prod(K_i) (+ Cout)."""
    return conv_transpose_weights_nd(cin, cout, k, groups) + cout * int(bias)


def conv_transpose_macs_nd(
    size: Sequence[Count], cin: Count, cout: Count, k: Sequence[Count], groups: Count = 1
) -> Count:
    """MACs of a grouped N-D transposed convolution: prod(in_i) * Cin * (Cout/G) * prod(K_i).

    Counted per input position: each input element is multiplied by the prod(K_i)*(Cout/G)
    weights of its group and scattered into the output, as fvcore's
    ``conv_flop_count(transposed=True)`` and ptflops count it. Scattered products that fall
    outside the output (cropped by the padding) are counted, as the kernels compute them. Bias
    adds are not MACs.
    """
    return product(size) * conv_transpose_weights_nd(cin, cout, k, groups)


def conv_transpose_dense_macs_nd(
    out: Sequence[Count], cin: Count, cout: Count, k: Sequence[Count], groups: Count = 1
) -> Count:
    """prod(out_i) * Cout * (Cin/G) * prod(K_i): a transposed convolution counted per output
    position as if it were a convolution, as thop and torchinfo count it.

    Not convcost's MACs (a stride S > 1 leaves most of these products on inserted zeros); a
    cost term for the presets that count it (docs/peers.md).
    """
    return conv_macs_nd(out, cin, cout, k, groups)


def conv_transpose_weights(
    cin: Count, cout: Count, kh: Count, kw: Count, groups: Count = 1
) -> Count:
    """Weights of a grouped 2-D transposed convolution: Cin * (Cout/G) * Kh * Kw."""
    return conv_transpose_weights_nd(cin, cout, (kh, kw), groups)


def conv_transpose_params(
    cin: Count, cout: Count, kh: Count, kw: Count, groups: Count = 1, bias: bool = False
) -> Count:
    """Params of a grouped 2-D transposed convolution: Cin * (Cout/G) * Kh * Kw (+ Cout)."""
    return conv_transpose_params_nd(cin, cout, (kh, kw), groups, bias)


def conv_transpose_macs(
    hin: Count, win: Count, cin: Count, cout: Count, kh: Count, kw: Count, groups: Count = 1
) -> Count:
    """MACs of a grouped 2-D transposed convolution: Hin * Win * Cin * (Cout/G) * Kh * Kw
    (:func:`conv_transpose_macs_nd`)."""
    return conv_transpose_macs_nd((hin, win), cin, cout, (kh, kw), groups)


def conv_transpose_dense_macs(
    hout: Count, wout: Count, cin: Count, cout: Count, kh: Count, kw: Count, groups: Count = 1
) -> Count:
    """Hout * Wout * Cout * (Cin/G) * Kh * Kw: :func:`conv_transpose_dense_macs_nd` in 2-D."""
    return conv_transpose_dense_macs_nd((hout, wout), cin, cout, (kh, kw), groups)


def upsample_output_size(size: Count, scale_factor: Count) -> Count:
    """Output length along one axis of ``nn.Upsample(scale_factor=s)`` with an integer s:
    size * s (PyTorch's floor(size * s), exact for an integer)."""
    return size * scale_factor


# --- other layers ---------------------------------------------------------------------------


def linear_params(fin: Count, fout: Count, bias: bool = True) -> Count:
    """Params of a fully connected layer: in * out, plus out with a bias."""
    return fin * fout + fout * int(bias)


def linear_macs(fin: Count, fout: Count) -> Count:
    """MACs of a fully connected layer: in * out."""
    return fin * fout


def batchnorm_params(c: Count) -> Count:
    """Trainable params of BatchNorm over C channels: gamma and beta, 2C."""
    return 2 * c


def batchnorm_buffers(c: Count) -> Count:
    """Buffers of BatchNorm over C channels: running mean and variance, 2C."""
    return 2 * c


def norm_params(c: Count, affine: bool = True, bias: bool = True) -> Count:
    """Params of LayerNorm, GroupNorm or InstanceNorm over C channels: gamma (C) with an
    affine transform, and beta (C) unless it has no bias: 2C, C or 0.

    ConvNeXt's LayerNorm2d normalises over C at each position; GroupNorm over C/G channels and
    all positions; InstanceNorm over each channel's positions. Each keeps one gamma and beta
    per channel (PyTorch's ``elementwise_affine``/``affine``, and LayerNorm's ``bias``).
    Normalising is not a MAC (these norms cannot fold into a convolution, but neither are they
    multiply-accumulates of one); the presets count them from their elements.
    """
    return c * int(affine) * (1 + int(bias))


def norm_buffers(c: Count, track_running_stats: bool = False) -> Count:
    """Buffers of InstanceNorm with ``track_running_stats``: running mean and variance, 2C.

    As for BatchNorm, ``num_batches_tracked`` (a step counter) is not counted.
    """
    return 2 * c * int(track_running_stats)


def flops(macs: Count) -> Count:
    """FLOPs = 2 * MACs: one multiply and one add per multiply-accumulate."""
    return 2 * macs


# --- bytes (issue 16) -----------------------------------------------------------------------


class DType(str, Enum):
    """A data type of weights and activations (``--dtype``); ``size`` is its bytes per value:
    IEEE 754 binary32 and binary16, bfloat16 (binary32's exponent, 7 mantissa bits), int8."""

    FP32 = "fp32"
    FP16 = "fp16"
    BF16 = "bf16"
    INT8 = "int8"

    @property
    def size(self) -> int:
        return _DTYPE_SIZES[self.value]


_DTYPE_SIZES = {"fp32": 4, "fp16": 2, "bf16": 2, "int8": 1}


def tensor_bytes(elements: Count, size: Count, batch: Count = 1) -> Count:
    """bytes = N x elements x dtype size: ``elements`` values of ``size`` bytes, per sample
    of a batch of N."""
    return batch * elements * size


# --- the ratio R ----------------------------------------------------------------------------


def ratio(part: int, whole: int) -> Fraction:
    """An exact ratio of two counts, e.g. R = separable / standard."""
    return Fraction(part, whole)


def separable_ratio(cout: int, kh: int, kw: int) -> Fraction:
    """R = (Kh*Kw + Cout) / (Kh*Kw * Cout) = 1/Cout + 1/(Kh*Kw), separable over standard MACs.

    Holds exactly for MACs, and for params without biases, when both layers share input, output
    channels, kernel and stride (MobileNet section 3.1). :func:`derive` obtains it by cancelling
    ``separable_macs`` over ``conv_macs``; tests check the two agree.
    """
    return Fraction(kh * kw + cout, kh * kw * cout)


# --- Winograd's minimal filtering (issue 16) -------------------------------------------------
# Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks" (CVPR 2016), section 4:
# F(m, r) computes m outputs of an r-tap filter from n = m + r - 1 inputs with n
# multiplications, Y = A^T [(G g) * (B^T d)] (* elementwise); nested, F(m x m, r x r) computes
# an m x m output tile with n^2 multiplications, Y = A^T [(G g G^T) * (B^T d B)] A.

Matrix = tuple[tuple[Fraction, ...], ...]


def _matrix(*rows: tuple[int | Fraction, ...]) -> Matrix:
    return tuple(tuple(Fraction(value) for value in row) for row in rows)


class WinogradTransforms(NamedTuple):
    """The transforms of F(m, r) (Lavin & Gray 2016, section 4.1 for F(2, 3), 4.2 for
    F(4, 3)): ``bt`` = B^T (n x n) on the input tile d, ``g`` = G (n x r) on the filter,
    ``at`` = A^T (m x n) on the elementwise product, n = m + r - 1."""

    m: int
    r: int
    bt: Matrix
    g: Matrix
    at: Matrix

    @property
    def name(self) -> str:
        """``F(2x2,3x3)``: the 2-D algorithm nesting F(m, r) with itself."""
        return f"F({self.m}x{self.m},{self.r}x{self.r})"


_HALF, _SIXTH = Fraction(1, 2), Fraction(1, 6)
WINOGRAD = {
    2: WinogradTransforms(
        2,
        3,
        _matrix((1, 0, -1, 0), (0, 1, 1, 0), (0, -1, 1, 0), (0, 1, 0, -1)),
        _matrix((1, 0, 0), (_HALF, _HALF, _HALF), (_HALF, -_HALF, _HALF), (0, 0, 1)),
        _matrix((1, 1, 1, 0), (0, 1, -1, -1)),
    ),
    4: WinogradTransforms(
        4,
        3,
        _matrix(
            (4, 0, -5, 0, 1, 0),
            (0, -4, -4, 1, 1, 0),
            (0, 4, -4, -1, 1, 0),
            (0, -2, -1, 2, 1, 0),
            (0, 2, -1, -2, 1, 0),
            (0, 4, 0, -5, 0, 1),
        ),
        _matrix(
            (Fraction(1, 4), 0, 0),
            (-_SIXTH, -_SIXTH, -_SIXTH),
            (-_SIXTH, _SIXTH, -_SIXTH),
            (Fraction(1, 24), Fraction(1, 12), _SIXTH),
            (Fraction(1, 24), -Fraction(1, 12), _SIXTH),
            (0, 0, 1),
        ),
        _matrix(
            (1, 1, 1, 1, 1, 0),
            (0, 1, -1, 2, -2, 0),
            (0, 1, 1, 4, 4, 0),
            (0, 1, -1, 8, -8, 1),
        ),
    ),
}


def winograd_1d(d: Sequence[Fraction | int], g: Sequence[Fraction | int], m: int) -> list[Fraction]:
    """F(m, 3) on one tile: Y = A^T [(G g) * (B^T d)], m outputs of the correlation
    y_i = sum_k d_(i+k) g_k from n = m + 2 inputs d and 3 taps g (Lavin & Gray 2016, eq. 5).
    Exact with Fractions: the transforms are the rationals of :data:`WINOGRAD`."""
    t = WINOGRAD[m]
    u = [sum((c * x for c, x in zip(row, g, strict=True)), Fraction(0)) for row in t.g]
    v = [sum((c * x for c, x in zip(row, d, strict=True)), Fraction(0)) for row in t.bt]
    product = [a * b for a, b in zip(u, v, strict=True)]
    return [sum((c * x for c, x in zip(row, product, strict=True)), Fraction(0)) for row in t.at]


class TransformOps(NamedTuple):
    """Operations of a transform: additions (or subtractions) and multiplications by a
    constant other than 0 and +-1."""

    adds: int
    mults: int

    @property
    def total(self) -> int:
        return self.adds + self.mults


def transform_ops_1d(matrix: Matrix) -> TransformOps:
    """One matrix-vector product ``matrix @ x`` evaluated naively: each output element adds
    its row's nonzero terms (nonzeros - 1 additions) and multiplies the terms whose coefficient
    is not +-1 (a -1 is a subtraction). A naive count: optimized kernels share subexpressions
    between rows and do fewer (rows 2 and 3 of F(4, 3)'s B^T are (d_4 - 4 d_2) +- (d_3 - 4 d_1):
    4 additions and 2 multiplications for both, not 6 and 4)."""
    adds = sum(sum(1 for c in row if c) - 1 for row in matrix)
    mults = sum(1 for row in matrix for c in row if c not in (0, 1, -1))
    return TransformOps(adds, mults)


def transform_ops_2d(matrix: Matrix) -> TransformOps:
    """M X M^T for a p x q matrix M and a q x q tile X, as two 1-D passes: M on the q
    columns of X, then on the p rows of M X: (q + p) x :func:`transform_ops_1d` (M).

    B^T d B (n x n, input): 2n passes; A^T Y A (m x n, output): n + m; G g G^T (n x r,
    filter): r + n. For F(2x2,3x3) this gives the well-known 32 additions of the input
    transform and 24 of the output transform."""
    rows, columns = len(matrix), len(matrix[0])
    one = transform_ops_1d(matrix)
    passes = columns + rows
    return TransformOps(passes * one.adds, passes * one.mults)


def winograd_tile_products(m: Count, r: Count = 3) -> Count:
    """Multiplications per output tile of F(m x m, r x r), per (input channel of the group,
    output channel): (m + r - 1)^2, 16 for F(2x2,3x3) and 36 for F(4x4,3x3) (Lavin & Gray
    2016, section 4), against :func:`direct_tile_products`."""
    return (m + r - 1) ** 2


def direct_tile_products(m: Count, r: Count = 3) -> Count:
    """Multiplications of a direct r x r convolution per m x m output tile and channel pair:
    m^2 r^2, 36 for 2x2 and 144 for 4x4 tiles of a 3x3 filter."""
    return m**2 * r**2


def winograd_tiles(hout: Count, wout: Count, m: Count) -> Count:
    """Output tiles of F(m x m, r x r): ceil(Hout/m) x ceil(Wout/m). A ragged edge (Hout or
    Wout not a multiple of m) is computed as a whole tile, padded with zeros."""
    return ceil_divide(hout, m) * ceil_divide(wout, m)


def winograd_products(
    hout: Count, wout: Count, cin: Count, cout: Count, m: Count, r: Count = 3, groups: Count = 1
) -> Count:
    """Multiplications of a grouped r x r, stride-1 convolution by F(m x m, r x r):
    tiles x Cout x (Cin/G) x (m + r - 1)^2, each elementwise product summed over the group's
    input channels as a MAC is (Lavin & Gray 2016, eq. 8). The direct count is
    :func:`conv_macs` with Kh = Kw = r."""
    pairs = conv_weights(cin, cout, 1, 1, groups)  # Cout x (Cin/G)
    return winograd_tiles(hout, wout, m) * pairs * winograd_tile_products(m, r)


def winograd_input_transform_ops(
    hout: Count, wout: Count, cin: Count, transforms: WinogradTransforms
) -> Count:
    """Operations of the input transforms B^T d B: once per tile and input channel, shared by
    the output channels of its group: tiles x Cin x (adds + mults of B^T d B)."""
    per_tile = transform_ops_2d(transforms.bt).total
    return winograd_tiles(hout, wout, transforms.m) * cin * per_tile


def winograd_output_transform_ops(
    hout: Count, wout: Count, cout: Count, transforms: WinogradTransforms
) -> Count:
    """Operations of the output transforms A^T Y A: once per tile and output channel, after
    the sum over the group's input channels: tiles x Cout x (adds + mults of A^T Y A)."""
    per_tile = transform_ops_2d(transforms.at).total
    return winograd_tiles(hout, wout, transforms.m) * cout * per_tile


def winograd_filter_transform_ops(
    cin: Count, cout: Count, transforms: WinogradTransforms, groups: Count = 1
) -> Count:
    """Operations of the filter transforms G g G^T: once per (input channel of the group,
    output channel) pair, Cout x (Cin/G) x (adds + mults of G g G^T). Done once, offline,
    when the weights are loaded: not a cost of each inference."""
    return conv_weights(cin, cout, 1, 1, groups) * transform_ops_2d(transforms.g).total


# --- symbolic entry points (the only places that import sympy) -------------------------------


class FormulaKind(str, Enum):
    """The names ``convcost formula`` accepts, in the order it prints them."""

    STANDARD = "standard"
    DEPTHWISE = "depthwise"
    POINTWISE = "pointwise"
    SEPARABLE = "separable"
    RATIO = "ratio"
    OUTPUT_SIZE = "output-size"


def symbols() -> dict[str, sympy.Symbol]:
    """The paper's symbols, positive integers: H, W, Hout, Wout, Cin, Cout, K, Kh, Kw, S, P, D, G.

    Named as printed (``C_in`` renders as a subscript in LaTeX).
    """
    import sympy

    names = {
        "h": "H",
        "w": "W",
        "hout": "H_out",
        "wout": "W_out",
        "cin": "C_in",
        "cout": "C_out",
        "k": "K",
        "kh": "K_h",
        "kw": "K_w",
        "stride": "S",
        "padding": "P",
        "dilation": "D",
        "groups": "G",
        "multiplier": "M",
    }
    return {key: sympy.Symbol(name, positive=True, integer=True) for key, name in names.items()}


# The spatial axes of a 1-D, 2-D and 3-D convolution, as PyTorch's Conv{1,2,3}d name them.
AXES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}


def derive(kind: FormulaKind | str, dims: int = 2) -> dict[str, sympy.Expr]:
    """The formulas of one kind of convolution, derived from the functions above with symbols.

    ``kind`` is one of :class:`FormulaKind`; ``dims`` the spatial axes (1: L; 2: H, W; 3: D, H,
    W), each with its output size and kernel side: the N-D functions multiply over them, so a
    3-D standard convolution has ``C_in·C_out·D_out·H_out·K_d·K_h·K_w·W_out/G`` MACs.
    Simplification is targeted (``cancel``, ``apart``), never a blanket ``simplify()``.
    """
    import sympy

    if dims not in AXES:
        raise ValueError(f"dims must be 1, 2 or 3, not {dims!r}")
    s = symbols()
    # Every kind is written with the kernel's sides (K_h, K_w), so that each formula shows the
    # same product K_h·K_w (issue 13); only the output size, along one axis, uses K.
    h, cin, cout, k, groups = s["h"], s["cin"], s["cout"], s["k"], s["groups"]

    def axis(name: str) -> sympy.Symbol:
        return sympy.Symbol(name, positive=True, integer=True)

    out = tuple(axis(f"{a}_out") for a in AXES[dims])
    ks = tuple(axis(f"K_{a.lower()}") for a in AXES[dims])
    ones = (1,) * dims
    depthwise = conv_macs_nd(out, cin, cin, ks, cin)
    pointwise = conv_macs_nd(out, cin, cout, ones)
    if kind == FormulaKind.STANDARD:
        return {
            "params": conv_params_nd(cin, cout, ks, groups),
            "params (with bias)": conv_params_nd(cin, cout, ks, groups, True),
            "MACs": conv_macs_nd(out, cin, cout, ks, groups),
            "FLOPs": flops(conv_macs_nd(out, cin, cout, ks, groups)),
        }
    if kind == FormulaKind.DEPTHWISE:
        return {
            "params": conv_params_nd(cin, cin, ks, cin),
            "MACs": depthwise,
            "FLOPs": flops(depthwise),
        }
    if kind == FormulaKind.POINTWISE:
        return {
            "params": conv_params_nd(cin, cout, ones),
            "MACs": pointwise,
            "FLOPs": flops(pointwise),
        }
    separable_p = conv_params_nd(cin, cin, ks, cin) + conv_params_nd(cin, cout, ones)
    separable_m = depthwise + pointwise
    if kind == FormulaKind.SEPARABLE:
        return {
            "params": sympy.factor(separable_p),
            "MACs": sympy.factor(separable_m),
            "FLOPs": sympy.factor(flops(separable_m)),
        }
    if kind == FormulaKind.RATIO:
        r_macs = sympy.cancel(separable_m / conv_macs_nd(out, cin, cout, ks))
        r_params = sympy.cancel(separable_p / conv_params_nd(cin, cout, ks))
        return {
            "R (MACs)": r_macs,
            "R (params)": r_params,
            "R expanded": sympy.apart(r_macs, cout),
        }
    if kind == FormulaKind.OUTPUT_SIZE:  # one axis; every axis has its own (L, or D, H, W)
        size = axis("L") if dims == 1 else h
        return {
            f"{size}_out": conv_output_size(size, k, s["stride"], s["padding"], s["dilation"]),
            f"{size}_out (same)": sympy.ceiling(size / s["stride"]),
            f"{size}_out (valid)": conv_output_size(size, k, s["stride"], 0, s["dilation"]),
        }
    raise ValueError(f"unknown formula kind {kind!r}")
