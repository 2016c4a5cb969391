"""LAB's K x K binarizer (compile.accel.LabSpec, rtl/sbn_lab.v) on integer maps: a depthwise
convolution with integer taps and "same" zero padding, then a compare per channel and border class.

Maps are NHWC. For pixel (y, x) of channel c, S = sum over (dy, dx) in [-R, R]^2 inside the map of
taps[c, dy + R, dx + R] * acc[y + dy, x + dx, c]; the bit is S >= T (S <= T where le[c]) with
T = thresholds[c, border_class(y), border_class(x)].
"""

from __future__ import annotations

import numpy as np

from sbn_hw import SbnHwError


def border_classes(size: int, k: int) -> np.ndarray:
    """Each position's border class along a line of `size` (harden.border_class, vectorised)."""
    r, pos = k // 2, np.arange(size)
    return np.minimum(pos, r) + np.maximum(0, pos - (size - 1 - r))


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
