"""LAB's K x K binarizer (compile.accel.LabSpec, rtl/sbn_lab.v) on integer maps: a depthwise
convolution with integer taps and "same" zero padding, then a compare per channel and border class.

Maps are NHWC. For pixel (y, x) of channel c, S = sum over (dy, dx) in [-R, R]^2 inside the map of
taps[c, dy + R, dx + R] * acc[y + dy, x + dx, c]; the bit is S >= T (S <= T where le[c]) with
T = thresholds[c, border_classes(H)[y], border_classes(W)[x]].
"""

from __future__ import annotations

import numpy as np

from sbn_hw import SbnHwError


def border_classes(size: int, k: int) -> np.ndarray:
    """Each position's border class along a line of `size`: which taps of a K-wide "same" window are
    inside it, as min(pos, R) + max(0, pos - (size - 1 - R)) in 0..2R (rtl/sbn_lab.v computes the
    same). Positions of one class have one set of in-bounds taps; R is the middle class."""
    r, pos = k // 2, np.arange(size)
    return np.minimum(pos, r) + np.maximum(0, pos - (size - 1 - r))


def taps_inside(k: int, h: int, w: int, y: int, x: int) -> tuple[slice, slice]:
    """The rows and columns of a K x K window centred on (y, x) that fall inside an h x w map."""
    r = k // 2
    return slice(max(0, r - y), min(k, r + h - y)), slice(max(0, r - x), min(k, r + w - x))


def class_pixels(h: int, w: int, k: int) -> dict[tuple[int, int], tuple[int, int]]:
    """{(row class, column class): one pixel (y, x) of that class} for the classes the map has."""
    rows, cols = border_classes(h, k), border_classes(w, k)
    return {(int(cy), int(cx)): (int(np.flatnonzero(rows == cy)[0]), int(np.flatnonzero(cols == cx)[0]))
            for cy in np.unique(rows) for cx in np.unique(cols)}


def window_sum_bound(taps: np.ndarray, in_min: int, in_max: int) -> int:
    """The largest |S| any channel's window sum can reach on inputs in [in_min, in_max]."""
    t = np.abs(np.asarray(taps, dtype=np.int64)).reshape(len(taps), -1)
    return int(t.sum(1).max(initial=0)) * max(abs(int(in_min)), abs(int(in_max)))


def depthwise_sum(acc: np.ndarray, taps: np.ndarray) -> np.ndarray:
    """(N, H, W, C) integers, (C, K, K) integer taps -> (N, H, W, C) S with zero padding."""
    acc, taps = np.asarray(acc, dtype=np.int64), np.asarray(taps, dtype=np.int64)
    if acc.ndim != 4 or taps.ndim != 3 or taps.shape[0] != acc.shape[3] or taps.shape[1] != taps.shape[2]:
        raise SbnHwError(f"LAB: expected an (N, H, W, C) map and (C, K, K) taps, got {acc.shape} and {taps.shape}")
    k = taps.shape[1]
    r = k // 2
    n, h, w, c = acc.shape
    padded = np.zeros((n, h + 2 * r, w + 2 * r, c), dtype=np.int64)
    padded[:, r:r + h, r:r + w] = acc
    s = np.zeros_like(acc)
    for i in range(k):
        for j in range(k):
            s += padded[:, i:i + h, j:j + w] * taps[:, i, j]
    return s


def lab_bits(acc: np.ndarray, taps: np.ndarray, thresholds: np.ndarray, le: np.ndarray) -> np.ndarray:
    """(N, H, W, C) integers -> (N, H, W, C) bits (1 = +1)."""
    s = depthwise_sum(acc, taps)
    _, h, w, _ = s.shape
    k = taps.shape[1]
    t = np.asarray(thresholds, dtype=np.int64)[:, border_classes(h, k)][:, :, border_classes(w, k)]  # (C, H, W)
    t = t.transpose(1, 2, 0)[None]
    le = np.asarray(le, dtype=bool)
    return np.where(le, s <= t, s >= t).astype(np.int64)
