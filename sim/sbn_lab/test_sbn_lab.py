"""cocotb bench for rtl/sbn_lab.v: frames back to back against sbn_hw.golden.lab at full rate
(cycles per frame measured), under input stalls and output backpressure, and after a reset in the
middle of a frame. The unit's taps and thresholds come from SBN_TEST_DATA (written with its memory
images by tests/rtl/test_sbn_lab.py). A mismatch names the frame, pixel, channel and bits."""

import os
import random

import cocotb
import numpy as np

from sbn_hw.golden.lab import lab_bits
from sbn_hw.verify.axis import reset, run_streams, start_clock
from sbn_hw.verify.streams import pack_word


def cfg() -> dict:
    z = np.load(os.environ["SBN_TEST_DATA"])
    return {k: z[k] for k in z.files}


def frames(n: int, seed: int) -> np.ndarray:
    """(n, H, W, C) random accumulators over the whole input range, the spread changing per frame."""
    p = cfg()
    h, w, c = (int(v) for v in p["shape"])
    lo, hi = int(p["in_min"]), int(p["in_max"])
    rng = np.random.default_rng(seed)
    out = np.empty((n, h, w, c), dtype=np.int64)
    for f in range(n):
        if (seed + f) % 4 == 3:  # only the range's ends: window sums at their extremes
            out[f] = rng.choice([lo, hi], (h, w, c))
            continue
        skew = (1.0, 0.3, 3.0)[(seed + f) % 4]
        out[f] = lo + np.minimum((rng.random((h, w, c)) ** skew * (hi - lo + 1)).astype(np.int64), hi - lo)
    return out


def golden(x: np.ndarray) -> np.ndarray:
    p = cfg()
    return lab_bits(x, p["taps"], p["thresholds"], p["le"])


def to_words(x: np.ndarray, ew: int) -> list[int]:
    pe = int(cfg()["pe"])
    return [pack_word(row, ew) for row in x.reshape(-1, pe)]


def in_bits() -> int:
    return int(cfg()["in_bits"])


def check(got: list[int], x: np.ndarray, what: str) -> None:
    """Compare output words with the golden bits of frames `x`, naming the first difference."""
    p = cfg()
    h, w, c = (int(v) for v in p["shape"])
    pe = int(p["pe"])
    want = to_words(golden(x), 1)
    assert len(got) == len(want), f"{what}: {len(got)} output words, expected {len(want)}"
    cf = c // pe
    for i, (g, wd) in enumerate(zip(got, want)):
        if g != wd:
            frame, rest = divmod(i, h * w * cf)
            pix, chunk = divmod(rest, cf)
            y, xx = divmod(pix, w)
            bits = [b for b in range(pe) if (g ^ wd) >> b & 1]
            raise AssertionError(
                f"{what}: frame {frame}, pixel (y={y}, x={xx}), channels {[chunk * pe + b for b in bits]}: "
                f"got {g:#x}, expected {wd:#x}, differing bits {bits}")


def words_per_frame() -> int:
    p = cfg()
    h, w, c = (int(v) for v in p["shape"])
    return h * w * c // int(p["pe"])


@cocotb.test()
async def full_rate_matches_golden(dut):
    """No stalls: every frame right, one beat per cycle; back-to-back frames overlap (the next
    frame's head finishes this one's windows), so a frame takes its beats' cycles exactly."""
    start_clock(dut)
    await reset(dut)
    n, wpf = 4, words_per_frame()
    x = frames(n, 1)
    res = await run_streams(dut, to_words(x, in_bits()), n * wpf, random.Random(1), taps=["s_axis"])
    check(res.out_words, x, "no stalls")
    acc = res.tap_cycles["s_axis"]
    gaps = [b - a for a, b in zip(acc, acc[1:]) if b - a != 1]
    ends = [res.out_cycles[(f + 1) * wpf - 1] for f in range(n)]
    per_frame = sorted(set(b - a for a, b in zip(ends, ends[1:])))
    p = cfg()
    span = int(p["lag"])
    expect = wpf if span < wpf else wpf + span  # tiny maps flush every frame
    dut._log.info(f"cycles/frame {per_frame} for {wpf} beats per frame (lag {span}); input stalled {len(gaps)} times")
    if span < wpf:
        assert not gaps, f"input not taken every cycle: gaps {gaps[:5]}"
    assert per_frame == [expect], f"cycles per frame {per_frame}, expected {expect}"


@cocotb.test()
async def stalls_and_backpressure(dut):
    start_clock(dut)
    await reset(dut)
    wpf = words_per_frame()
    for i, (in_stall, out_stall) in enumerate(((0.3, 0.5), (0.5, 0.3), (0.1, 0.8), (0.02, 0.02))):
        x = frames(3, 10 + i)
        res = await run_streams(dut, to_words(x, in_bits()), 3 * wpf, random.Random(20 + i), in_stall, out_stall)
        check(res.out_words, x, f"in_stall={in_stall}, out_stall={out_stall}")


@cocotb.test()
async def reset_in_mid_frame(dut):
    """Reset halfway through the second frame with outputs still queued, and reset while the first
    frame's last windows wait on the second frame's head (continuous mode); then a clean run."""
    start_clock(dut)
    await reset(dut)
    wpf, lag = words_per_frame(), int(cfg()["lag"])
    x = frames(3, 30)
    await run_streams(dut, to_words(x, in_bits()), 3 * wpf, random.Random(31), 0.0, 0.7,
                      stop_after_in=wpf + wpf // 2 + 1)
    await reset(dut)
    if 1 < lag < wpf:
        await run_streams(dut, to_words(x, in_bits()), 3 * wpf, random.Random(34), 0.0, 0.0,
                          stop_after_in=wpf + lag // 2)
        await reset(dut)
    x = frames(3, 32)
    res = await run_streams(dut, to_words(x, in_bits()), 3 * wpf, random.Random(33), 0.3, 0.3)
    check(res.out_words, x, "after a reset in mid-frame")


@cocotb.test()
async def checker_names_the_difference(dut):
    """The comparison itself can fail, naming frame, pixel, channel and bits (no simulation needed)."""
    p = cfg()
    h, w, c = (int(v) for v in p["shape"])
    pe = int(p["pe"])
    x = frames(2, 40)
    bad = to_words(golden(x), 1)
    bad[-1] ^= 1 << (pe - 1)
    try:
        check(bad, x, "corrupted")
    except AssertionError as e:
        assert f"frame 1, pixel (y={h - 1}, x={w - 1}), channels [{c - 1}]" in str(e), str(e)
    else:
        raise AssertionError("a corrupted word passed the check")
