"""Binary batch norm: BatchNorm followed by sign is one integer comparison per channel.

sign(BN(z)) = +1  <=>  gamma * (z - mean) / sqrt(var + eps) + beta >= 0
             <=>  z >= t  (gamma > 0)   or   z <= t  (gamma < 0),   t = mean - beta * sqrt(var + eps) / gamma
The accumulator `acc` is an integer and z = acc_to_z(acc) is increasing in acc, so the compare
becomes acc >= ceil(t') or acc <= floor(t') in accumulator units. Ties follow the exported
quantizer: a bipolar one sends BN(z) == 0 to +1 (like sign(0) in Brevitas and QONNX); a {0,1} one
rounds half to even, so BN(z) == 0.5 gives 0 and the compare becomes strict.
"""

from __future__ import annotations

import numpy as np


def bn_sign_thresholds(
    gamma: np.ndarray,
    beta: np.ndarray,
    mean: np.ndarray,
    var: np.ndarray,
    eps: float,
    z_scale: float,
    z_offset,
    acc_range: tuple[int, int],
    level: float = 0.0,
    ties_high: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Integer thresholds and compare direction for [BN(z) >= level] with z = acc * z_scale + z_offset.

    xnor layers: z = 2*popcount - K  (z_scale=2, z_offset=-K); int layers: z = acc * input_scale;
    and_act: z = acc; and_w: z = 2*acc - popcount(w_o) (z_offset per channel).
    level 0 is sign(); level 0.5 is a {0,1} activation rounding BN(z).
    ties_high: whether BN(z) exactly at the level gives 1 (sign) or 0 (round half to even).
    Returns (thresholds int64, le bool): out = acc >= T, or acc <= T where le.
    """
    g = np.asarray(gamma, np.float64)
    beta = np.asarray(beta, np.float64) - level
    t_z = np.asarray(mean, np.float64) - beta * np.sqrt(np.asarray(var, np.float64) + eps) / np.where(g == 0, 1, g)
    t_acc = (t_z - z_offset) / z_scale
    le = g < 0
    if ties_high:
        thr = np.where(le, np.floor(t_acc), np.ceil(t_acc))
    else:  # strict: acc > t_acc  <=>  acc >= floor(t_acc) + 1 (and acc < t_acc <=> acc <= ceil(t_acc) - 1)
        thr = np.where(le, np.ceil(t_acc) - 1, np.floor(t_acc) + 1)
    lo, hi = acc_range
    # gamma == 0: the output is the constant sign(beta); express it as an always/never-true compare.
    always_on = np.asarray(beta) >= 0 if ties_high else np.asarray(beta) > 0
    thr = np.where(g == 0, np.where(always_on, lo, hi + 1), thr)
    le = np.where(g == 0, False, le)
    return clamp_thresholds(thr, le, acc_range), le.astype(bool)


def clamp_thresholds(thr: np.ndarray, le: np.ndarray, acc_range: tuple[int, int]) -> np.ndarray:
    """Clamp to [lo - 1, hi + 1]: the compare result over the reachable range is unchanged."""
    lo, hi = acc_range
    return np.clip(np.asarray(thr, np.float64), lo - 1, hi + 1).astype(np.int64)
