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
