"""Bit-exact reference for the accelerator: XNOR, popcount and compare on packed bits.

FINN's execution of its graph and the RTL simulation are compared against this, frame by frame.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from sbn_hw import SbnHwError
from sbn_hw.compile.accel import Accelerator, Layer, LayerSpec


class GoldenMismatch(SbnHwError):
    """Two paths disagree; the message names layer, frame, output and bit."""


def pack_bits(bits: np.ndarray) -> np.ndarray:
    """(N, K) 0/1 -> (N, ceil(K/64)) uint64 words, zero padded."""
    n, k = bits.shape
    padded = np.zeros((n, -(-k // 64) * 64), dtype=np.uint8)
    padded[:, :k] = bits
    return np.packbits(padded, axis=1, bitorder="little").view(np.uint64)


# Words of the (frames, outputs, K/64) intermediate held at once: 32 MB, whatever the test set.
CHUNK_WORDS = 1 << 22


def _popcount_chunked(a: np.ndarray, w: np.ndarray, combine) -> np.ndarray:
    """sum over words of popcount(combine(a, w)) for packed (N, W) x (M, W), a chunk of frames at a time."""
    n, m, words = a.shape[0], w.shape[0], a.shape[1]
    step = max(1, CHUNK_WORDS // max(1, m * words))
    out = np.empty((n, m), dtype=np.int64)
    for i in range(0, n, step):
        out[i:i + step] = np.bitwise_count(combine(a[i:i + step, None, :], w[None, :, :])).sum(axis=2, dtype=np.int64)
    return out


def xnor_popcount(a_bits: np.ndarray, w_bits: np.ndarray) -> np.ndarray:
    """(N, K) x (M, K) bits -> (N, M) popcount(XNOR) over the K real positions: (K + the +-1 dot
    product) / 2, the dot product exact through BLAS (see exact_matmul)."""
    k = a_bits.shape[1]
    if k < FLOAT32_EXACT:
        return (k + exact_matmul(2 * np.asarray(a_bits, np.int8) - 1, 2 * np.asarray(w_bits, np.int8) - 1)) // 2
    return xnor_popcount_packed(a_bits, w_bits)


def xnor_popcount_packed(a_bits: np.ndarray, w_bits: np.ndarray) -> np.ndarray:
    """xnor_popcount on packed 64-bit words (any K)."""
    k = a_bits.shape[1]
    a, w = pack_bits(a_bits), pack_bits(w_bits)
    pad = a.shape[1] * 64 - k  # padding zeros XNOR to ones: subtract them
    return _popcount_chunked(a, w, lambda x, y: ~(x ^ y)) - pad


def and_popcount(a_bits: np.ndarray, w_bits: np.ndarray) -> np.ndarray:
    """(N, K) x (M, K) bits -> (N, M) popcount(AND): the 0/1 dot product, exact through BLAS (see
    exact_matmul)."""
    if a_bits.shape[1] < FLOAT32_EXACT:
        return exact_matmul(np.asarray(a_bits, np.int8), np.asarray(w_bits, np.int8))
    return and_popcount_packed(a_bits, w_bits)


def and_popcount_packed(a_bits: np.ndarray, w_bits: np.ndarray) -> np.ndarray:
    """and_popcount on packed 64-bit words (any K; zero padding adds nothing)."""
    return _popcount_chunked(pack_bits(a_bits), pack_bits(w_bits), np.bitwise_and)


def check_input_range(layer, x: np.ndarray) -> None:
    """Refuse inputs outside the layer's range (the first layer's: frames of the wrong type)."""
    if not x.size:
        return
    lo, hi = int(x.min()), int(x.max())  # Python ints: any integer type compares with any bound
    if lo < layer.in_min or hi > layer.in_max:
        raise SbnHwError(
            f"layer {layer.name}: input values outside [{layer.in_min}, {layer.in_max}] "
            f"(got [{lo}, {hi}]); check --input-dtype"
        )


def multithreshold(x: np.ndarray, thresholds: np.ndarray, out_bias: int = 0) -> np.ndarray:
    """(N, E) integers -> out_bias + #{k : x[n, i] >= T[i mod C, k]} (FINN's MultiThreshold on
    integers, with the channel of element i being i mod C)."""
    x = np.asarray(x, dtype=np.int64)
    t = np.asarray(thresholds, dtype=np.int64)
    rows = t[np.arange(x.shape[1]) % t.shape[0]]  # (E, T)
    return out_bias + (x[:, :, None] >= rows[None]).sum(axis=2, dtype=np.int64)


# A float type holds every integer below 2^24 (float32) or 2^53 (float64) exactly, so a float
# matrix product whose every partial sum stays below that bound is exact, in any order of
# summation: BLAS then computes an integer product many times faster than numpy's integer matmul (a
# plain loop) or popcounts of packed words (xnor_popcount_packed), which took most of a checked
# simulation's time outside the simulator. float32 where it is exact: half the memory and twice
# the speed of float64.
FLOAT32_EXACT = 1 << 24
FLOAT64_EXACT = 1 << 53
# Rows of the left operand multiplied at once: its float copy stays within 32 MB, whatever the
# frames (a CNN layer's rows are every output pixel of every frame).
MATMUL_CHUNK_VALUES = 1 << 23


def exact_matmul(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """(N, K) x (M, K) integers -> (N, M) int64 x @ w.T, exactly: through BLAS in float32 when
    K * max|x| * max|w| < 2^24, in float64 below 2^53 (every partial sum exact), in int64 otherwise."""
    x, w = np.asarray(x), np.asarray(w)
    bound = x.shape[1] * int(np.abs(x).max(initial=0)) * int(np.abs(w).max(initial=0))
    if bound >= FLOAT64_EXACT:
        return x.astype(np.int64) @ w.astype(np.int64).T
    ftype = np.float32 if bound < FLOAT32_EXACT else np.float64
    wt = w.astype(ftype).T
    out = np.empty((x.shape[0], w.shape[0]), dtype=np.int64)
    step = max(1, MATMUL_CHUNK_VALUES // max(1, x.shape[1]))
    for i in range(0, x.shape[0], step):
        out[i:i + step] = np.rint(x[i:i + step].astype(ftype) @ wt)
    return out


def accumulate(layer: LayerSpec, x: np.ndarray) -> np.ndarray:
    """(N, MW) inputs of any integer type -> (N, MH) int64 accumulators."""
    x = np.asarray(x)
    check_input_range(layer, x)
    if layer.mode == "xnor":
        return xnor_popcount(x.astype(np.uint8), layer.weights)
    if layer.mode == "and_act":  # the popcount(a) correction makes it the {0,1} x {-1,+1} dot product
        return 2 * and_popcount(x.astype(np.uint8), layer.weights) - x.sum(axis=1, keepdims=True, dtype=np.int64)
    if layer.mode == "and_w":
        return and_popcount(x.astype(np.uint8), layer.weights)
    return exact_matmul(x, 2 * layer.weights.astype(np.int8) - 1)


def run_layer(layer: Layer, x: np.ndarray) -> np.ndarray:
    """One layer on (N, in_elems) integer inputs -> (N, out_elems): an MVAU's bits as int8 (or its
    accumulators, int64, when it is the last layer), a threshold unit's quantized values (int64). A
    sliding window or pool keeps its input's type: a CNN's window streams are megabytes per frame,
    eight times that as int64."""
    if layer.kind == "threshold":
        x = np.asarray(x, dtype=np.int64)
        check_input_range(layer, x)
        return multithreshold(x, layer.thresholds, layer.out_bias)
    if layer.kind == "lab":  # NHWC frames of integers
        from sbn_hw.golden.lab import lab_bits

        x = np.asarray(x, dtype=np.int64)
        check_input_range(layer, x)
        img = x.reshape(len(x), layer.ifm_h, layer.ifm_w, layer.channels)
        return lab_bits(img, layer.taps, layer.thresholds, layer.threshold_le).reshape(len(x), -1)
    if layer.kind in ("window", "pool"):  # NHWC frames
        from sbn_hw.golden.pool import max_pool
        from sbn_hw.golden.window import sliding_window

        img = np.asarray(x).reshape(len(x), layer.ifm_h, layer.ifm_w, layer.channels)
        out = sliding_window(img, layer.k, layer.stride) if layer.kind == "window" else max_pool(img, layer.k)
        return out.reshape(len(x), -1)
    if layer.vectors > 1:  # a convolution: the same matrix on every output pixel's window
        n = len(x)
        rows = np.asarray(x).reshape(n * layer.vectors, layer.mw)
        return run_layer(replace(layer, vectors=1), rows).reshape(n, layer.vectors * layer.mh)
    acc = accumulate(layer, x)
    if not layer.has_thresholds:
        return acc
    return np.where(layer.threshold_le, acc <= layer.thresholds, acc >= layer.thresholds).astype(np.int8)


def run_accelerator(accel: Accelerator, x: np.ndarray) -> list[np.ndarray]:
    """Every layer's output for (N, features) integer inputs; the last is the integer result."""
    # The frames keep their integer type (an int8 image need not become int64 first).
    cur = np.asarray(x)
    cur = (cur if np.issubdtype(cur.dtype, np.integer) else cur.astype(np.int64)).reshape(len(cur), -1)
    outs = []
    for layer in accel.layers:
        cur = run_layer(layer, cur)
        outs.append(cur)
    return outs


def host_scores(accel: Accelerator, acc: np.ndarray) -> np.ndarray:
    """The float affine that runs on the host after the last layer."""
    return acc * accel.output_scale + accel.output_bias


def compare_layer_outputs(layer_name: str, got: np.ndarray, want: np.ndarray, what: str = "output",
                          first_frame: int = 0) -> None:
    """Raise GoldenMismatch naming the first differing frame (counted from first_frame), output
    index and bit."""
    got, want = np.asarray(got), np.asarray(want)
    if got.shape != want.shape:
        raise GoldenMismatch(f"layer {layer_name}: {what} shape {got.shape} != golden {want.shape}")
    bad = np.argwhere(got != want)
    if len(bad):
        f, o = (int(v) for v in bad[0][:2]) if bad.shape[1] > 1 else (int(bad[0][0]), 0)
        g, w = int(got[f, o]), int(want[f, o])
        bit = (g ^ w) & -(g ^ w)
        raise GoldenMismatch(
            f"layer {layer_name}: {len(bad)} mismatches; first at frame {first_frame + f}, output {o}: "
            f"got {g}, golden {w} (lowest differing bit {bit.bit_length() - 1})"
        )
