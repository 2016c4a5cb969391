"""Sweep rtl/sbn_mvau.v over modes, widths and folding under Verilator, backpressure on."""

import json
import zlib

import numpy as np
import pytest

from sbn_hw import SbnHwError
from sbn_hw.compile.accel import LayerSpec
from sbn_hw.golden import run_layer
from sbn_hw.rtlgen import layer_params, threshold_words, weight_words
from sbn_hw.verify.runner import SIM_DIR, build_key, run_cocotb
from sbn_hw.rtlgen.generate import RTL_LIBRARY

# (mode, MW, MH, PE, SIMD, in_min, in_max, thresholds)
SWEEP = [
    ("xnor", 16, 8, 1, 1, 0, 1, True),
    ("xnor", 32, 12, 4, 8, 0, 1, True),
    ("xnor", 24, 6, 3, 24, 0, 1, False),
    ("int", 12, 8, 2, 4, 0, 255, True),
    ("int", 8, 4, 4, 2, -128, 127, False),
    ("and_act", 20, 6, 2, 5, 0, 1, True),
    ("and_act", 16, 4, 4, 16, 0, 1, False),
    ("and_w", 18, 9, 3, 6, 0, 1, True),
    ("and_w", 8, 4, 1, 8, 0, 1, False),
]
# (case, WEIGHT_RAM_STYLE, THRESH_RAM_STYLE): every sbn_mvau_rom branch behaves the same. The SWEEP
# above runs the styles "auto" resolves to (logic for its small memories).
STYLE_SWEEP = [
    (("xnor", 32, 12, 4, 8, 0, 1, True), "block", "block"),
    (("int", 12, 8, 2, 4, 0, 255, True), "distributed", "distributed"),
    (("and_act", 20, 6, 2, 5, 0, 1, True), "auto", "block"),
    (("and_w", 8, 4, 1, 8, 0, 1, False), "block", "logic"),
]


def random_layer(mode, mw, mh, pe, simd, lo, hi, thresholds, rng) -> LayerSpec:
    w = rng.integers(0, 2, (mh, mw)).astype(np.uint8)
    spec = LayerSpec("dut", mw, mh, pe, simd, mode, lo, hi, w)
    if not thresholds:
        return spec
    a_lo, a_hi = spec.acc_range
    # Cover both compare directions and the clamp ends (always on / always off).
    t = rng.integers(-200, 200, mh) * (hi - lo + 1) // 64 if mode == "int" else rng.integers(a_lo - 1, a_hi + 2, mh)
    t[0], t[-1] = a_lo - 1, a_hi + 1
    le = rng.integers(0, 2, mh).astype(bool)
    return LayerSpec("dut", mw, mh, pe, simd, mode, lo, hi, w, t.astype(np.int64), le)


def case_seed(case) -> int:
    return zlib.crc32(repr(case).encode())


@pytest.mark.parametrize("case", SWEEP, ids=lambda c: "-".join(map(str, c)))
def test_sbn_mvau(case, tmp_path_factory):
    check_mvau(case, tmp_path_factory)


@pytest.mark.parametrize("case,w_style,t_style", STYLE_SWEEP, ids=lambda c: "-".join(map(str, c)) if isinstance(c, tuple) else c)
def test_sbn_mvau_memory_styles(case, w_style, t_style, tmp_path_factory):
    check_mvau(case, tmp_path_factory, {"WEIGHT_RAM_STYLE": f'"{w_style}"', "THRESH_RAM_STYLE": f'"{t_style}"'})


def check_mvau(case, tmp_path_factory, style_params: dict | None = None):
    # A seed from the case's text (not Python's per-process hash()), so a failure reproduces.
    seed = case_seed(case)
    rng = np.random.default_rng(seed)
    layer = random_layer(*case, rng)
    x = rng.integers(layer.in_min, layer.in_max + 1, (12, layer.mw))
    y = run_layer(layer, x)
    d = tmp_path_factory.mktemp("mvau")
    (d / "w.mem").write_text("\n".join(weight_words(layer)) + "\n")
    (d / "t.mem").write_text("\n".join(threshold_words(layer) if layer.has_thresholds else ["0"]) + "\n")
    meta = dict(simd=layer.simd, pe=layer.pe, sf=layer.sf, nf=layer.nf, in_bits=layer.in_bits,
                out_bits=layer.out_bits, out_signed=bool(not layer.has_thresholds and layer.acc_signed), seed=seed)
    np.savez(d / "data.npz", meta=np.array(json.dumps(meta)), x=x, y=y)
    params = {**layer_params(layer, str(d / "w.mem"), str(d / "t.mem")), **(style_params or {})}
    try:
        run_cocotb(
            [RTL_LIBRARY / "sbn_mvau.v", RTL_LIBRARY / "sbn_adder_tree.v"], "sbn_mvau", "test_sbn_mvau", SIM_DIR / "sbn_mvau",
            d / f"build_{build_key(params)}", params, {"SBN_TEST_DATA": str(d / "data.npz")},
        )
    except SbnHwError as e:
        raise AssertionError(f"case {case}, seed {seed} (reproduce with the same case): {e}") from None


def test_case_seeds_do_not_depend_on_the_process():
    """Seeds come from the case's text: the same in every process (hash() is salted per process)."""
    import subprocess
    import sys

    code = "import zlib; print(zlib.crc32(repr(%r).encode()))" % (SWEEP[0],)
    runs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
            for _ in range(2)}
    assert runs == {str(case_seed(SWEEP[0]))}
