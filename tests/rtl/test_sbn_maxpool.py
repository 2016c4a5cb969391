"""Sweep rtl/sbn_maxpool.v under Verilator against sbn_hw.golden.pool (full rate, stalls and
backpressure, reset in mid-frame), and its elaboration-time parameter checks."""

import subprocess

import pytest

from sbn_hw.rtlgen.generate import RTL_LIBRARY
from sbn_hw.verify.runner import SIM_DIR, build_key, run_cocotb
from sbn_hw.verify.tools import verilator_env

# (EW, PE, C, IFM_H, IFM_W, K, SIGNED_ELEMS)
SWEEP = [
    (1, 4, 8, 4, 4, 2, 0),        # binary, two words per pixel
    (1, 64, 64, 6, 6, 2, 0),      # CNV-like: one word per pixel (the same row-buffer word every cycle)
    (1, 1, 3, 5, 7, 2, 0),        # odd sizes: the last row and column dropped
    (4, 2, 4, 6, 6, 3, 1),        # 4-bit two's complement
    (2, 2, 4, 3, 5, 1, 0),        # K = 1: identity, no row buffer
    (3, 3, 6, 4, 4, 4, 0),        # K = H = W: global max, unsigned integers
    (2, 1, 2, 8, 8, 3, 0),        # two rows and two columns dropped per frame
]


@pytest.mark.parametrize("ew,pe,c,h,w,k,signed", SWEEP)
def test_sbn_maxpool(ew, pe, c, h, w, k, signed, tmp_path):
    params = {"EW": ew, "PE": pe, "C": c, "IFM_H": h, "IFM_W": w, "K": k, "SIGNED_ELEMS": signed}
    env = {"SBN_EW": ew, "SBN_PE": pe, "SBN_C": c, "SBN_H": h, "SBN_W": w, "SBN_K": k, "SBN_SIGNED": signed}
    run_cocotb([RTL_LIBRARY / "sbn_maxpool.v"], "sbn_maxpool", "test_sbn_maxpool", SIM_DIR / "sbn_maxpool",
               tmp_path / build_key(params), params, {k: str(v) for k, v in env.items()})


@pytest.mark.parametrize("params,name", [
    ({"C": 8, "PE": 3}, "sbn_maxpool_ERROR_PE_must_divide_C"),
    ({"K": 0}, "sbn_maxpool_ERROR_K_must_be_at_least_1"),
    ({"IFM_H": 4, "IFM_W": 2, "K": 3}, "sbn_maxpool_ERROR_K_larger_than_IFM_H_or_IFM_W"),
    ({"EW": 1, "SIGNED_ELEMS": 1}, "sbn_maxpool_ERROR_1_bit_elements_are_bipolar_or_binary_codes_use_SIGNED_ELEMS_0"),
])
def test_illegal_parameters_stop_elaboration(params, name, tmp_path):
    env = verilator_env()
    args = [f"-G{k}={v}" for k, v in params.items()]
    lint = subprocess.run(["verilator", "--lint-only", "-Wno-fatal", "-Wno-WIDTHEXPAND", "-Wno-WIDTHTRUNC",
                           str(RTL_LIBRARY / "sbn_maxpool.v"), *args],
                          env=env, cwd=tmp_path, capture_output=True, text=True)
    assert lint.returncode != 0 and name in lint.stderr, lint.stderr
    # a legal neighbour of each case elaborates
    ok = subprocess.run(["verilator", "--lint-only", "-Wno-fatal", "-Wno-WIDTHEXPAND", "-Wno-WIDTHTRUNC",
                         str(RTL_LIBRARY / "sbn_maxpool.v"), "-GC=8", "-GPE=4", "-GK=2", "-GIFM_H=4", "-GIFM_W=4"],
                        env=env, cwd=tmp_path, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
