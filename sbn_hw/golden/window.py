"""Sliding window (im2col) reference: what FINN's LowerConvsToMatMul + ConvolutionInputGenerator
feed a matrix-vector unit for a "valid" (unpadded) square-kernel convolution, and what
rtl/sbn_swu.v streams.

Images are NHWC. For each output pixel (oy, ox), row-major, the vector is the K x K window's pixels
in (ky, kx) order, each pixel's C channels in order: element (ky*K + kx)*C + c is
x[oy*stride + ky, ox*stride + kx, c]. On a stream of SIMD elements per word, a vector is
K*K*C/SIMD consecutive words.
"""

from __future__ import annotations

import numpy as np

from sbn_hw import SbnHwError
from sbn_hw.golden.executor import GoldenMismatch


def _positive_int(name: str, v) -> int:
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)) or v < 1:
        raise SbnHwError(f"sliding window: {name} must be an integer >= 1, got {v!r}")
    return int(v)


def window_output_shape(ifm_h: int, ifm_w: int, k: int, stride: int) -> tuple[int, int]:
    """(OH, OW) of a valid K x K convolution with `stride` over an ifm_h x ifm_w image."""
    ifm_h, ifm_w = _positive_int("image height", ifm_h), _positive_int("image width", ifm_w)
    k, stride = _positive_int("kernel size k", k), _positive_int("stride", stride)
    if k > ifm_h or k > ifm_w:
        raise SbnHwError(
            f"sliding window: kernel {k}x{k} does not fit the {ifm_h}x{ifm_w} image (no padding); "
            f"use a kernel of at most {min(ifm_h, ifm_w)} or pad the image first"
        )
    return (ifm_h - k) // stride + 1, (ifm_w - k) // stride + 1


def _check_image(x) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 4:
        raise SbnHwError(f"sliding window: expected an NHWC array (N, H, W, C), got shape {x.shape}")
    if not (np.issubdtype(x.dtype, np.integer) or x.dtype == np.bool_):
        raise SbnHwError(f"sliding window: expected integer element values, got dtype {x.dtype}; "
                         "quantize the activations first")
    if x.shape[3] < 1:
        raise SbnHwError("sliding window: the image has no channels (C = 0)")
    return x


def sliding_window(x: np.ndarray, k: int, stride: int) -> np.ndarray:
    """(N, H, W, C) integers -> (N, OH, OW, K*K*C), the last axis in (ky, kx, c) order: each output
    pixel's matrix-vector unit input vector."""
    x = _check_image(x)
    n, h, w, c = x.shape
    oh, ow = window_output_shape(h, w, k, stride)
    # (N, H-K+1, W-K+1, C, ky, kx) views, every stride-th window, then (ky, kx, c) last.
    win = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(1, 2))[:, ::stride, ::stride]
    assert win.shape[1:3] == (oh, ow)
    return np.ascontiguousarray(win.transpose(0, 1, 2, 4, 5, 3)).reshape(n, oh, ow, k * k * c)


def sliding_window_words(x: np.ndarray, k: int, stride: int, simd: int) -> np.ndarray:
    """(N, H, W, C) integers -> (N, OH*OW*K*K*C//SIMD, SIMD): the stream of each frame word by word
    (element values, not packed; element j of word i is vector element i*SIMD + j)."""
    x = _check_image(x)
    simd = _positive_int("SIMD", simd)
    c = x.shape[3]
    if c % simd:
        raise SbnHwError(f"sliding window: SIMD={simd} does not divide the {c} channels; "
                         f"pick a divisor of {c}")
    v = sliding_window(x, k, stride)
    return v.reshape(v.shape[0], -1, simd)


def window_word_position(index: int, ow: int, k: int, chunks: int) -> tuple[int, int, int, int, int]:
    """(oy, ox, ky, kx, chunk) of word `index` of a frame's window stream (chunks = C/SIMD)."""
    pixel, r = divmod(int(index), k * k * chunks)
    oy, ox = divmod(pixel, ow)
    ky, r = divmod(r, k * chunks)
    kx, chunk = divmod(r, chunks)
    return oy, ox, ky, kx, chunk


def pack_words(words: np.ndarray, ew: int) -> list[int]:
    """(..., SIMD) element values -> ints, element j at bits [j*ew +: ew] (flattened in order)."""
    w = np.asarray(words, dtype=np.int64)
    flat = (w.reshape(-1, w.shape[-1]) & ((1 << ew) - 1)).astype(object)  # Python ints: any width
    acc = np.zeros(len(flat), dtype=object)
    for j in range(flat.shape[1]):
        acc |= flat[:, j] << (j * ew)
    return [int(v) for v in acc]


def check_window_stream(name: str, got: list[int], x: np.ndarray, k: int, stride: int, simd: int, ew: int) -> None:
    """Compare a stream of packed words with the golden window stream of the frames `x`; raise
    GoldenMismatch naming frame, word, (oy, ox, ky, kx, chunk), and the differing bits/elements."""
    x = _check_image(x)
    want = sliding_window_words(x, k, stride, simd)
    n, per = want.shape[:2]
    want_words = pack_words(want, ew)
    _, ow = window_output_shape(x.shape[1], x.shape[2], k, stride)
    chunks = x.shape[3] // simd
    for i, (g, w) in enumerate(zip(got, want_words)):
        if g != w:
            f, j = divmod(i, per)
            oy, ox, ky, kx, chunk = window_word_position(j, ow, k, chunks)
            diff = g ^ w
            bits = [b for b in range(simd * ew) if diff >> b & 1]
            elems = sorted({b // ew for b in bits})
            raise GoldenMismatch(
                f"{name}: frame {f}, word {j} (oy={oy}, ox={ox}, ky={ky}, kx={kx}, chunk={chunk}): "
                f"got {g:#x}, golden {w:#x}; differing bits {bits[:16]}{' ...' if len(bits) > 16 else ''} "
                f"(elements {elems[:16]}, i.e. channels {[chunk * simd + e for e in elems[:16]]})"
            )
    if len(got) != len(want_words):
        raise GoldenMismatch(f"{name}: {len(got)} words out, golden has {len(want_words)} "
                             f"({n} frames of {per} words)")


def swu_buffer_depth(ifm_h: int, ifm_w: int, c: int, simd: int, k: int, stride: int) -> int:
    """Words of SIMD*EW bits that rtl/sbn_swu.v buffers with DEPTH=0 (its BUF_DEPTH): the window
    span ((K-1)*W + K)*C/SIMD plus room to keep both sides moving (see the module's header)."""
    oh, ow = window_output_shape(ifm_h, ifm_w, k, stride)
    simd = _positive_int("SIMD", simd)
    if _positive_int("channels", c) % simd:
        raise SbnHwError(f"sliding window: SIMD={simd} does not divide the {c} channels; pick a divisor of {c}")
    cf = c // simd
    span = ((k - 1) * ifm_w + k) * cf
    in_words, out_words = ifm_h * ifm_w * cf, oh * ow * k * k * cf
    dp = stride * cf if ow > 1 else 0
    dr = (stride * ifm_w - (ow - 1) * stride) * cf if oh > 1 else 0
    df = in_words - ((oh - 1) * stride * ifm_w + (ow - 1) * stride) * cf
    return span + max(k * k * cf, dp, dr, df - max(in_words, out_words) // 32)
