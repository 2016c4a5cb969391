"""Sweep rtl/sbn_thresh.v (the streaming multi-threshold unit) under Verilator against a numpy golden
function: full rate, input stalls with output backpressure, reset in mid-frame; and its
elaboration-time parameter checks. The golden function, the threshold generator and the memory
image writer here are shared with tests/hlsgen/test_sbn_thresh_kernel.py."""

from __future__ import annotations

import json
import subprocess
import zlib

import numpy as np
import pytest

from sbn_hw import SbnHwError
from sbn_hw.rtlgen.generate import RTL_LIBRARY, _hex_words
from sbn_hw.verify.accelerator import FAST_SIM_DEFINE
from sbn_hw.verify.runner import SIM_DIR, build_key, run_cocotb
from sbn_hw.verify.tools import verilator_env

SOURCES = [RTL_LIBRARY / f for f in ("sbn_thresh.v", "sbn_mvau.v", "sbn_popcount.v", "sbn_lut6.v", "sbn_adder_tree.v", "axis_fifo.v")]

# (name, IN_BITS, IN_SIGNED, PE, C, NT, OUT_BITS, OUT_BIAS, frame elements, frames, RAM_STYLE, thresholds)
# thresholds: None for random ascending rows, else the rows themselves.
SWEEP = [
    ("tfc_input", 8, 0, 49, 1, 1, 1, 0, 784, 12, "auto", [[128]]),    # bnn_pynq TFC: x >= 128
    ("uint8_nt3", 8, 0, 4, 8, 3, 2, 0, 8 * 6, 16, "auto", None),      # UINT2 out, two words per pixel
    ("int5_nt7", 5, 1, 2, 6, 7, 4, -4, 6 * 5, 16, "auto", None),      # signed in and out
    ("cnv_rgb", 8, 0, 1, 3, 255, 8, -128, 3 * 16, 5, "auto", None),   # CNV's RGB input, 8-bit quantizer
    ("int5_nt7_block", 5, 1, 2, 6, 7, 4, -4, 6 * 5, 16, "block", None),
]


def input_range(in_bits: int, in_signed: bool) -> tuple[int, int]:
    return (-(1 << (in_bits - 1)), (1 << (in_bits - 1)) - 1) if in_signed else (0, (1 << in_bits) - 1)


def signed_bits(lo: int, hi: int) -> int:
    """Bits of the smallest two's complement type holding lo..hi."""
    b = 1
    while not (-(1 << (b - 1)) <= lo and hi <= (1 << (b - 1)) - 1):
        b += 1
    return b


def th_bits_for(in_bits: int, in_signed: bool) -> int:
    """Thresholds clamped into [in_min, in_max + 1] (the generator's rule) fit this many bits."""
    lo, hi = input_range(in_bits, in_signed)
    return signed_bits(lo, hi + 1)


def ch_words(c: int, pe: int) -> int:
    if c != 1 and c % pe:
        raise ValueError(f"PE={pe} must divide C={c} (or C == 1)")
    return 1 if c == 1 else c // pe


def thresh_golden(x: np.ndarray, t: np.ndarray, bias: int) -> np.ndarray:
    """out[..., i] = bias + count_k(x[..., i] >= T[i mod C][k]); x is (frames, elements), T is (C, NT)."""
    x = np.asarray(x, dtype=np.int64)
    t = np.asarray(t, dtype=np.int64)
    per_elem = t[np.arange(x.shape[-1]) % len(t)]                   # (elements, NT)
    return bias + (x[..., None] >= per_elem).sum(-1)


def thresh_words(t: np.ndarray, pe: int, th_bits: int) -> list[str]:
    """sbn_thresh's memory image: word w holds, for element j and threshold k, T[w*PE + j][k] (T[0][k]
    when C == 1) at bits [(j*NT + k)*TH_BITS +: TH_BITS], two's complement."""
    t = np.asarray(t, dtype=np.int64)
    c, nt = t.shape
    lo, hi = -(1 << (th_bits - 1)), (1 << (th_bits - 1)) - 1
    if t.min() < lo or t.max() > hi:
        raise ValueError(f"thresholds {t.min()}..{t.max()} do not fit {th_bits} bits")
    rows = np.repeat(t, pe, axis=0) if c == 1 else t                 # (CH_WORDS*PE, NT)
    u = (rows & ((1 << th_bits) - 1)).astype(np.uint64)
    bits = ((u[:, :, None] >> np.arange(th_bits, dtype=np.uint64)) & np.uint64(1)).astype(np.uint8)
    return _hex_words(bits.reshape(ch_words(c, pe), pe * nt * th_bits))


def random_thresholds(rng: np.random.Generator, c: int, nt: int, lo: int, hi: int) -> np.ndarray:
    """(C, NT) ascending rows in [lo, hi + 1] (repeats allowed); with several channels, the first
    is all lo (always reached) and the last all hi + 1 (never reached): the clamp ends."""
    t = np.sort(rng.integers(lo, hi + 2, (c, nt)), axis=1)
    if c > 1:
        t[0], t[-1] = lo, hi + 1
    return t


def random_frames(rng: np.random.Generator, t: np.ndarray, frames: int, elements: int, lo: int, hi: int) -> np.ndarray:
    """Uniform values, a third of them replaced by a threshold of their channel (clipped into range),
    so that x == T (where >= and > differ) occurs often."""
    x = rng.integers(lo, hi + 1, (frames, elements))
    ch = np.arange(elements) % len(t)
    on_t = np.clip(t[ch[None, :], rng.integers(0, t.shape[1], (frames, elements))], lo, hi)
    pick = rng.random((frames, elements)) < 1 / 3
    return np.where(pick, on_t, x)


def case_seed(case) -> int:
    return zlib.crc32(repr(case).encode())


def test_golden_and_memory_image_by_hand():
    t = np.array([[-1, 2], [0, 5]])                                   # C=2, NT=2
    x = np.array([[-2, 0, 2, 5], [-1, 4, 3, 6]])
    assert thresh_golden(x, t, -1).tolist() == [[-1, 0, 1, 1], [0, 0, 1, 1]]
    # TH_BITS=4, PE=1: word 0 = {2, -1} = 0x2f, word 1 = {5, 0} = 0x50
    assert thresh_words(t, 1, 4) == ["2f", "50"]
    # PE=2 in one word: element 1's thresholds above element 0's
    assert thresh_words(t, 2, 4) == ["502f"]
    # C == 1: the shared row repeated for every element of the beat
    assert thresh_words(np.array([[128]]), 3, 10) == [f"{(128 << 20) | (128 << 10) | 128:08x}"]
    assert th_bits_for(8, False) == 10 and th_bits_for(5, True) == 6 and th_bits_for(1, False) == 3


@pytest.mark.parametrize("fast_model", [False, True], ids=["rtl", "model"])
@pytest.mark.parametrize("case", SWEEP, ids=lambda c: c[0])
def test_sbn_thresh(case, fast_model, tmp_path):
    """fast_model: the simulation model whole-accelerator runs use (SBN_FAST_SIM)."""
    name, in_bits, in_signed, pe, c, nt, out_bits, bias, elements, frames, style, fixed = case
    seed = case_seed(case)
    rng = np.random.default_rng(seed)
    lo, hi = input_range(in_bits, in_signed)
    tb = th_bits_for(in_bits, in_signed)
    t = np.array(fixed, dtype=np.int64) if fixed is not None else random_thresholds(rng, c, nt, lo, hi)
    assert t.shape == (c, nt) and elements % pe == 0 and elements % c == 0
    x = random_frames(rng, t, frames, elements, lo, hi)
    y = thresh_golden(x, t, bias)
    assert len(np.unique(y)) > 1                                     # the outputs are not constant
    (tmp_path / "t.mem").write_text("\n".join(thresh_words(t, pe, tb)) + "\n")
    meta = dict(name=name, pe=pe, c=c, in_bits=in_bits, out_bits=out_bits, out_signed=bias < 0,
                elements=elements, latency=3 + (-(-max(0, (nt - 1).bit_length()) // 2)), seed=seed)
    np.savez(tmp_path / "data.npz", meta=np.array(json.dumps(meta)), x=x, y=y)
    params = {"IN_BITS": in_bits, "IN_SIGNED": in_signed, "PE": pe, "CH_WORDS": ch_words(c, pe), "NT": nt,
              "TH_BITS": tb, "OUT_BITS": out_bits, "OUT_BIAS": bias, "THRESH_FILE": f'"{tmp_path / "t.mem"}"',
              "RAM_STYLE": f'"{style}"'}
    try:
        run_cocotb(SOURCES, "sbn_thresh", "test_sbn_thresh", SIM_DIR / "sbn_thresh", tmp_path / build_key(params),
                   params, {"SBN_TEST_DATA": str(tmp_path / "data.npz")},
                   defines={FAST_SIM_DEFINE: 1} if fast_model else None)
    except SbnHwError as e:
        raise AssertionError(f"case {name}, seed {seed}: {e}") from None


@pytest.mark.parametrize("params,name", [
    ({"NT": 3, "OUT_BITS": 1}, "sbn_thresh_ERROR_OUT_BITS_cannot_hold_OUT_BIAS_to_OUT_BIAS_plus_NT"),
    ({"NT": 8, "OUT_BITS": 3, "OUT_BIAS": -4}, "sbn_thresh_ERROR_OUT_BITS_cannot_hold_OUT_BIAS_to_OUT_BIAS_plus_NT"),
    ({"NT": 0}, "sbn_thresh_ERROR_PE_CH_WORDS_NT_IN_BITS_OUT_BITS_must_be_at_least_1"),
    ({"TH_BITS": 1}, "sbn_thresh_ERROR_TH_BITS_must_be_at_least_2"),
])
def test_illegal_parameters_stop_elaboration(params, name, tmp_path):
    def lint(p):
        return subprocess.run(["verilator", "--lint-only", "-Wno-fatal", "-Wno-WIDTHEXPAND", "-Wno-WIDTHTRUNC",
                               "--top-module", "sbn_thresh", *map(str, SOURCES), *(f"-G{k}={v}" for k, v in p.items())],
                              env=verilator_env(), cwd=tmp_path, capture_output=True, text=True)

    bad = lint(params)
    assert bad.returncode != 0 and name in bad.stderr, bad.stderr
    ok = lint({"NT": 7, "OUT_BITS": 3, "OUT_BIAS": -4})               # the edge that fits: -4..3
    assert ok.returncode == 0, ok.stderr


@pytest.mark.parametrize("c,pe,nt,lo,hi,bias", [(1, 49, 1, 0, 255, 0), (8, 4, 3, 0, 255, 0), (6, 2, 7, -16, 15, -4)])
def test_generator_memory_and_golden_agree_with_this_bench(c, pe, nt, lo, hi, bias):
    """The product's memory writer (rtlgen input_threshold_words) and golden model (multithreshold)
    give what this bench, written from the module's documentation, gives."""
    from sbn_hw.compile.accel import ThresholdSpec
    from sbn_hw.golden.executor import multithreshold
    from sbn_hw.rtlgen.generate import input_threshold_words

    rng = np.random.default_rng(c * 100 + nt)
    t = np.sort(rng.integers(lo, hi + 2, (c, nt)), axis=1)
    spec = ThresholdSpec("T", c * pe * 2, pe, lo, hi, t, bias)
    assert input_threshold_words(spec) == thresh_words(t, pe, spec.th_bits)
    x = rng.integers(lo, hi + 1, (5, spec.elements))
    np.testing.assert_array_equal(multithreshold(x, t, bias), thresh_golden(x, t, bias))
