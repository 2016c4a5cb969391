"""Sweep rtl/sbn_swu.v (sliding-window unit) under Verilator: exact windows against the golden
stream, stalls and backpressure, reset mid-frame, and cycles per frame against max(in, out) words
(sim/sbn_swu/test_sbn_swu.py)."""

import json

import pytest

from sbn_hw import SbnHwError
from sbn_hw.rtlgen.generate import RTL_LIBRARY
from sbn_hw.verify.runner import SIM_DIR, build_key, run_cocotb

SOURCES = [RTL_LIBRARY / "sbn_swu.v", RTL_LIBRARY / "axis_fifo.v"]

# (EW, C, SIMD, IFM_H, IFM_W, K, STRIDE, frames per stalled run, frames of the stall-free run)
SWEEP = [
    (1, 4, 2, 5, 5, 3, 1, 3, 5),
    (1, 8, 8, 6, 7, 2, 2, 3, 5),       # rectangular, stride 2
    (8, 3, 3, 8, 8, 3, 1, 3, 5),       # 8-bit first layer, CNV-like
    (1, 64, 32, 10, 10, 3, 1, 1, 3),   # a CNV layer's folding
    (1, 64, 32, 32, 32, 3, 1, 1, 3),   # CNV size: the 5% throughput bound is what counts here
    (2, 6, 3, 5, 6, 1, 1, 3, 5),       # K = 1: a pass-through
    (1, 16, 4, 3, 3, 3, 1, 3, 5),      # K = H = W: one output pixel per frame (CNV's last conv)
    (1, 4, 2, 9, 11, 3, 3, 3, 5),      # stride 3
    (1, 2, 1, 8, 10, 2, 3, 3, 5),      # stride > K: rows and columns no window uses
]


def params_of(case, depth=0) -> dict:
    ew, c, simd, h, w, k, s = case[:7]
    return {"EW": ew, "C": c, "SIMD": simd, "IFM_H": h, "IFM_W": w, "K": k, "STRIDE": s, "DEPTH": depth}


def run_swu(case, tmp_path_factory, depth=0, **env):
    ew, c, simd, h, w, k, s, frames, perf_frames = case
    params = params_of(case, depth)
    # One build per parameter set, shared by the tests that run it.
    build = tmp_path_factory.getbasetemp() / "sbn_swu" / build_key(params)
    extra = {"SBN_EW": ew, "SBN_C": c, "SBN_SIMD": simd, "SBN_H": h, "SBN_W": w, "SBN_K": k, "SBN_S": s,
             "SBN_FRAMES": frames, "SBN_PERF_FRAMES": perf_frames, "SBN_DEPTH": depth, **env}
    run_cocotb(SOURCES, "sbn_swu", "test_sbn_swu", SIM_DIR / "sbn_swu", build, params,
               {key: str(v) for key, v in extra.items()})
    perf = json.loads((build / "perf.json").read_text())
    print(perf["line"])
    return perf


@pytest.mark.parametrize("case", SWEEP, ids=lambda c: "ew{}-c{}-simd{}-{}x{}-k{}-s{}".format(*c[:7]))
def test_sbn_swu(case, tmp_path_factory):
    run_swu(case, tmp_path_factory)


def test_sbn_swu_smallest_buffer(tmp_path_factory):
    """DEPTH = the window span ((K-1)*W + K pixels), the least that works: exact, only slower."""
    case = (1, 4, 2, 5, 6, 3, 1, 3, 4)
    span = ((3 - 1) * 6 + 3) * (4 // 2)
    perf = run_swu(case, tmp_path_factory, depth=span, SBN_PERF_CHECK=0)
    assert perf["depth"] == span


def test_bench_reports_a_wrong_word(tmp_path_factory):
    """The bench fails, naming frame, word and window position, when one output bit is wrong."""
    with pytest.raises(SbnHwError) as e:
        run_swu(SWEEP[0], tmp_path_factory, SBN_CORRUPT=1)
    msg = str(e.value)
    assert "frame" in msg and "oy=" in msg and "differing bits" in msg, msg


@pytest.mark.parametrize("change,rule", [
    ({"SIMD": 3}, "SIMD_must_divide_C"),
    ({"K": 6}, "K_must_be_between_1_and_IFM_H_and_IFM_W"),
    ({"K": 0}, "K_must_be_between_1_and_IFM_H_and_IFM_W"),
    ({"STRIDE": 0}, "STRIDE_must_be_at_least_1"),
    ({"EW": 0}, "EW_must_be_at_least_1"),
    ({"DEPTH": 5}, "DEPTH_must_be_0_or_hold_a_window"),
])
def test_illegal_parameters_stop_elaboration(change, rule, tmp_path):
    import subprocess

    from sbn_hw.verify.tools import verilator_env

    params = {**params_of(SWEEP[0]), "IFM_W": 6, **change}
    cmd = ["verilator", "--lint-only", "-Wno-fatal", "-Wno-WIDTH", "--top-module", "sbn_swu",
           *[f"-G{k}={v}" for k, v in params.items()], *map(str, SOURCES)]
    run = subprocess.run(cmd, env=verilator_env(), capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode != 0, f"{params} elaborated"
    assert f"sbn_swu_{rule}" in run.stderr, run.stderr
