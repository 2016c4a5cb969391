"""Sweep rtl/sbn_lab.v (LAB's K x K binarizer) under Verilator against sbn_hw.golden.lab: full rate,
stalls with backpressure, reset in mid-frame (sim/sbn_lab), for maps, kernels, channel folds and
input widths from an XNOR layer's to a first integer layer's; and its elaboration-time checks."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from sbn_hw.compile.accel import LabSpec
from sbn_hw.golden.lab import border_classes
from sbn_hw.rtlgen.generate import RTL_LIBRARY, lab_tap_words, lab_threshold_words, lab_unit_params
from sbn_hw.verify.runner import SIM_DIR, build_key, run_cocotb
from sbn_hw.verify.tools import verilator_env

SOURCES = [RTL_LIBRARY / f for f in ("sbn_lab.v", "sbn_mvau.v", "axis_fifo.v")]

# (name, in_min, in_max, PE, C, H, W, K, tap bits)
SWEEP = [
    ("xnor_acc", 0, 144, 4, 8, 6, 6, 3, 4),         # an XNOR layer's popcount, two beats per pixel
    ("int_first", -2295, 2295, 2, 2, 5, 7, 3, 4),   # a first layer on 8-bit pixels; odd map
    ("k5_small_map", 0, 40, 3, 3, 4, 4, 5, 3),      # 5x5 on 4x4: border classes overlap
    ("one_pixel", -100, 100, 1, 2, 1, 1, 3, 4),     # CNV's last map: only the centre tap, flush every frame
    ("k1", 0, 20, 4, 4, 3, 3, 1, 4),                # 1x1: no window, no lag
    ("deep_fold", 0, 63, 2, 8, 2, 3, 3, 5),         # four beats per pixel on a 2x3 map
    ("k5_fold", -30, 30, 2, 4, 5, 6, 5, 4),         # 5x5 with two beats per pixel
    ("column", -20, 20, 1, 2, 4, 1, 3, 4),          # a one-pixel-wide map
    ("lag_is_frame", 0, 9, 2, 2, 2, 1, 3, 3),       # the lag equals the frame: flush every frame
]


def random_unit(name, in_min, in_max, pe, c, h, w, k, tap_bits, seed=0) -> LabSpec:
    """A LAB unit with random taps and thresholds near each class's typical window sum, so that
    both outcomes occur in every class."""
    rng = np.random.default_rng(seed)
    qmax = (1 << (tap_bits - 1)) - 1
    taps = rng.integers(-qmax, qmax + 1, (c, k, k))
    r, mean, sd = k // 2, (in_min + in_max) / 2, (in_max - in_min) / np.sqrt(12)
    thresholds = np.zeros((c, k, k), dtype=np.int64)
    rows, cols = border_classes(h, k), border_classes(w, k)
    for cy in set(rows.tolist()):
        for cx in set(cols.tolist()):
            y, x = int(np.flatnonzero(rows == cy)[0]), int(np.flatnonzero(cols == cx)[0])
            inside = taps[:, max(0, r - y):min(k, r + h - y), max(0, r - x):min(k, r + w - x)].reshape(c, -1)
            mu, spread = mean * inside.sum(1), sd * np.sqrt((inside ** 2).sum(1)) + 1
            thresholds[:, cy, cx] = np.round(mu + rng.normal(0, 0.7, c) * spread)
    unit = LabSpec(name, h, w, c, k, pe, in_min, in_max, taps, np.zeros_like(thresholds), rng.random(c) < 0.4)
    lo, hi = unit.sum_range
    thresholds = np.clip(thresholds, lo - 1, hi + 1)
    thresholds[0] = lo - 1  # the clamped ends: the widest thresholds the unit must hold
    thresholds[-1, 0, 0] = hi + 1
    return LabSpec(name, h, w, c, k, pe, in_min, in_max, taps, thresholds, unit.threshold_le)


@pytest.mark.parametrize("case", SWEEP, ids=[s[0] for s in SWEEP])
def test_sbn_lab(case, tmp_path):
    unit = random_unit(*case)
    run = tmp_path / "run"
    run.mkdir()
    (run / "taps.mem").write_text("\n".join(lab_tap_words(unit)) + "\n")
    (run / "thresh.mem").write_text("\n".join(lab_threshold_words(unit)) + "\n")
    data = run / "unit.npz"
    lag = (unit.k // 2 * unit.ifm_w + unit.k // 2) * unit.ch_words
    np.savez(data, taps=unit.taps, thresholds=unit.thresholds, le=unit.threshold_le, pe=unit.pe,
             shape=[unit.ifm_h, unit.ifm_w, unit.channels], in_min=unit.in_min, in_max=unit.in_max,
             in_bits=unit.in_bits, lag=lag)
    params = lab_unit_params(unit, "taps.mem", "thresh.mem")
    run_cocotb(SOURCES, "sbn_lab", "test_sbn_lab", SIM_DIR / "sbn_lab", tmp_path / build_key(params), params,
               {"SBN_TEST_DATA": str(data)}, run_dir=run)


@pytest.mark.parametrize("params,name", [
    ({"C": 8, "PE": 3}, "sbn_lab_ERROR_PE_must_divide_C"),
    ({"K": 2}, "sbn_lab_ERROR_K_must_be_odd_between_1_and_15"),
    ({"IFM_H": 0}, "sbn_lab_ERROR_IFM_H_IFM_W_IN_BITS_must_be_at_least_1"),
    ({"TAP_BITS": 1}, "sbn_lab_ERROR_TAP_BITS_SUM_BITS_TH_BITS_must_be_at_least_2"),
])
def test_illegal_parameters_stop_elaboration(params, name, tmp_path):
    env = verilator_env()
    flags = ["verilator", "--lint-only", "-Wno-fatal", "-Wno-WIDTHEXPAND", "-Wno-WIDTHTRUNC", "--top-module", "sbn_lab",
             *map(str, SOURCES)]
    bad = subprocess.run([*flags, *[f"-G{k}={v}" for k, v in params.items()]], env=env, cwd=tmp_path,
                         capture_output=True, text=True)
    assert bad.returncode != 0 and name in bad.stderr, bad.stderr
    ok = subprocess.run([*flags, "-GC=8", "-GPE=4", "-GK=3", "-GIFM_H=4", "-GIFM_W=4"], env=env, cwd=tmp_path,
                        capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
