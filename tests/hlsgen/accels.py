"""Small random accelerators for the HLS tests, with thresholds placed among the accumulators
that the test frames really produce (so every threshold layer emits both 0s and 1s, ties included)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from sbn_hw.compile.accel import INPUT_DTYPES, Accelerator, LayerSpec
from sbn_hw.golden.executor import accumulate, run_layer


def random_accel(rng: np.random.Generator, sizes: list[int], modes: list[str], folding: list[tuple[int, int]],
                 input_dtype: str, frames: int = 100) -> tuple[Accelerator, np.ndarray]:
    """Layers sizes[i] -> sizes[i+1] in modes[i], folded (PE, SIMD) = folding[i]; the last layer
    has integer output. Returns the accelerator and integer test frames."""
    lo, hi = INPUT_DTYPES[input_dtype]
    x = rng.integers(lo, hi + 1, (frames, sizes[0]))
    cur, layers = x, []
    for i, (mw, mh, mode, (pe, simd)) in enumerate(zip(sizes, sizes[1:], modes, folding)):
        in_lo, in_hi = (lo, hi) if i == 0 else (0, 1)
        w = rng.integers(0, 2, (mh, mw)).astype(np.uint8)
        layer = LayerSpec(f"L{i}_{mode}", mw, mh, pe, simd, mode, in_lo, in_hi, w)
        if i < len(modes) - 1:
            acc = accumulate(layer, cur)
            q = rng.uniform(0.25, 0.75, mh)
            t = np.array([np.quantile(acc[:, o], q[o], method="nearest") for o in range(mh)], dtype=np.int64)
            layer = replace(layer, thresholds=t, threshold_le=rng.integers(0, 2, mh).astype(bool))
            cur = run_layer(layer, cur)
        layers.append(layer)
    n = sizes[-1]
    return Accelerator(tuple(layers), input_dtype, 1.0, np.ones(n), np.zeros(n)), x


def thresholded_input_accel(rng: np.random.Generator, bipolar: bool, frames: int = 60) -> tuple[Accelerator, np.ndarray]:
    """An input threshold layer (UINT8 -> per-channel quantizer) in front of two MVAUs, as compile
    makes of a bnn_pynq model: 1-bit output into an xnor layer (bipolar), or a 2-bit signed output
    (three thresholds, bias -2) into an int layer."""
    from sbn_hw.compile.accel import ThresholdSpec

    elements, channels = 24, 4
    x = rng.integers(0, 256, (frames, elements))
    nt, bias, mode = (1, 0, "xnor") if bipolar else (3, -2, "int")
    t = np.sort(rng.integers(20, 236, (channels, nt)), axis=1)
    th = ThresholdSpec("Thresholding_0", elements, 4, 0, 255, t.astype(np.int64), bias)
    cur = run_layer(th, x)
    lo, hi = th.out_range
    w0 = rng.integers(0, 2, (12, elements)).astype(np.uint8)
    l0 = LayerSpec("MVAU_0", elements, 12, 3, 8, mode, 0 if bipolar else lo, 1 if bipolar else hi, w0)
    acc = accumulate(l0, cur)
    t0 = np.array([np.quantile(acc[:, o], 0.5, method="nearest") for o in range(12)], dtype=np.int64)
    l0 = replace(l0, thresholds=t0, threshold_le=rng.integers(0, 2, 12).astype(bool))
    l1 = LayerSpec("MVAU_1", 12, 5, 5, 6, "xnor", 0, 1, rng.integers(0, 2, (5, 12)).astype(np.uint8))
    return Accelerator((th, l0, l1), "UINT8", 1 / 255, np.ones(5), np.zeros(5)), x
