"""cocotb bench for rtl/sbn_maxpool.v: frames back to back against sbn_hw.golden.pool.max_pool at
full rate (cycles per frame measured), under input stalls and output backpressure, and after a
reset in the middle of a frame. A mismatch names the frame, output pixel, channel chunk and bits."""

import os
import random

import cocotb
import numpy as np

from sbn_hw.golden.pool import max_pool, pool_output_shape
from sbn_hw.verify.axis import reset, run_streams, start_clock
from sbn_hw.verify.streams import pack_word, unpack_word

# Cycles beyond the input words that a full-rate run may take: the bench's first cycle (it drives
# after the first edge) and the output queue's one cycle of latency.
FULL_RATE_SLACK = 2


def cfg():
    e = os.environ
    return {k: int(e[f"SBN_{k}"]) for k in ("EW", "PE", "C", "H", "W", "K", "SIGNED")}


def frames(n: int, seed: int) -> np.ndarray:
    """(n, H, W, C) random elements; the spread changes frame to frame so that window maxima are
    neither always the top value nor always the bottom one (sparse and dense 1-bit maps alike)."""
    p = cfg()
    rng = np.random.default_rng(seed)
    lo, hi = (-(1 << (p["EW"] - 1)), (1 << (p["EW"] - 1)) - 1) if p["SIGNED"] else (0, (1 << p["EW"]) - 1)
    out = np.empty((n, p["H"], p["W"], p["C"]), dtype=np.int64)
    for f in range(n):
        skew = (0.1, 3.0, 1.0, 0.4, 8.0)[(seed + f) % 5]          # u**skew: >1 favours small values
        u = rng.random((p["H"], p["W"], p["C"])) ** skew
        out[f] = lo + np.minimum((u * (hi - lo + 1)).astype(np.int64), hi - lo)
    return out


def to_words(x: np.ndarray) -> list[int]:
    """NHWC elements -> stream words: pixels row-major, C/PE words per pixel of PE elements."""
    p = cfg()
    flat = x.reshape(-1, p["PE"])
    return [pack_word(row, p["EW"]) for row in flat]


def check(got: list[int], x: np.ndarray, what: str) -> None:
    """Compare output words with the golden max pool of frames `x`, naming the first difference."""
    p = cfg()
    oh, ow = pool_output_shape(p["H"], p["W"], p["K"])
    cf = p["C"] // p["PE"]
    want = to_words(max_pool(x, p["K"]))
    assert len(got) == len(want), f"{what}: {len(got)} output words, expected {len(want)}"
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w:
            frame, rest = divmod(i, oh * ow * cf)
            pix, chunk = divmod(rest, cf)
            oy, ox = divmod(pix, ow)
            el = [unpack_word(v, p["PE"], p["EW"], bool(p["SIGNED"])) for v in (g, w)]
            raise AssertionError(
                f"{what}: frame {frame}, output pixel (oy={oy}, ox={ox}), channel chunk {chunk} "
                f"(channels {chunk * p['PE']}..{chunk * p['PE'] + p['PE'] - 1}): got {g:#x}, expected {w:#x}, "
                f"differing bits {g ^ w:#x}; elements got {el[0]}, expected {el[1]}"
            )


def words_per_frame() -> tuple[int, int]:
    p = cfg()
    oh, ow = pool_output_shape(p["H"], p["W"], p["K"])
    cf = p["C"] // p["PE"]
    return p["H"] * p["W"] * cf, oh * ow * cf


async def stream_frames(dut, x: np.ndarray, seed: int, in_stall: float = 0.0, out_stall: float = 0.0):
    """Send frames `x` whole and collect their output. run_streams stops at the last output word;
    the words after the last window (dropped rows and columns) are then sent too, so that the next
    run starts on a frame boundary; no output may come for them."""
    _, opf = words_per_frame()
    words, rng = to_words(x), random.Random(seed)
    res = await run_streams(dut, words, len(x) * opf, rng, in_stall, out_stall, taps=["s_axis"])
    sent = len(res.taps["s_axis"])
    if sent < len(words):
        tail = await run_streams(dut, words[sent:], 1, rng, in_stall, out_stall, stop_after_in=len(words) - sent)
        assert not tail.out_words, f"output word {tail.out_words[0]:#x} after the last window of the last frame"
    return res


@cocotb.test()
async def full_rate_matches_golden(dut):
    """No stalls: every frame right, one input word per cycle (cycles per frame = input words)."""
    start_clock(dut)
    await reset(dut)
    n = 5
    ipf, opf = words_per_frame()
    x = frames(n, 1)
    res = await stream_frames(dut, x, 1)
    check(res.out_words, x, "no stalls")
    acc = res.tap_cycles["s_axis"]
    gaps = [b - a for a, b in zip(acc, acc[1:]) if b - a != 1]
    ends = [res.out_cycles[(f + 1) * opf - 1] for f in range(n)]
    per_frame = sorted(set(b - a for a, b in zip(ends, ends[1:])))
    p = cfg()
    oh, ow = pool_output_shape(p["H"], p["W"], p["K"])
    cf = p["C"] // p["PE"]
    last_window_word = acc[(n - 1) * ipf + ((oh * p["K"] - 1) * p["W"] + ow * p["K"]) * cf - 1]
    dut._log.info(
        f"cycles/frame {per_frame} for {ipf} input words per frame; input stalled {len(gaps)} times; "
        f"last output {res.out_cycles[-1] - last_window_word} cycle(s) after the last window's last word; "
        f"{res.cycles} cycles for {n} frames to the last output"
    )
    assert not gaps, f"input not taken every cycle: gaps {gaps[:5]}"
    assert per_frame == [ipf], f"cycles per frame {per_frame}, expected {ipf} (one input word per cycle)"
    assert res.cycles <= n * ipf + FULL_RATE_SLACK, f"{res.cycles} cycles for {n} frames of {ipf} input words"


@cocotb.test()
async def stalls_and_backpressure(dut):
    start_clock(dut)
    await reset(dut)
    for i, (in_stall, out_stall) in enumerate(((0.3, 0.5), (0.5, 0.3), (0.1, 0.8))):
        x = frames(3, 10 + i)
        res = await stream_frames(dut, x, 20 + i, in_stall, out_stall)
        check(res.out_words, x, f"in_stall={in_stall}, out_stall={out_stall}")


@cocotb.test()
async def reset_in_mid_frame(dut):
    """Reset halfway through the second frame with output words still queued; then a clean run."""
    start_clock(dut)
    await reset(dut)
    ipf, opf = words_per_frame()
    x = frames(3, 30)
    await run_streams(dut, to_words(x), 3 * opf, random.Random(31), 0.0, 0.7, stop_after_in=ipf + ipf // 2 + 1)
    await reset(dut)
    x = frames(3, 32)
    res = await stream_frames(dut, x, 33, 0.3, 0.3)
    check(res.out_words, x, "after a reset in mid-frame")


@cocotb.test()
async def checker_names_the_difference(dut):
    """The comparison itself can fail, naming frame, pixel, chunk and bits (no simulation needed)."""
    p = cfg()
    oh, ow = pool_output_shape(p["H"], p["W"], p["K"])
    cf = p["C"] // p["PE"]
    x = frames(2, 40)
    good = to_words(max_pool(x, p["K"]))
    i = len(good) - 1                                     # last word of frame 1
    bad = list(good)
    bad[i] ^= 1 << (p["PE"] * p["EW"] - 1)
    try:
        check(bad, x, "corrupted")
    except AssertionError as e:
        want = (f"frame 1, output pixel (oy={oh - 1}, ox={ow - 1}), channel chunk {cf - 1}",
                f"differing bits {1 << (p['PE'] * p['EW'] - 1):#x}")
        assert all(w in str(e) for w in want), str(e)
    else:
        raise AssertionError("a corrupted word passed the check")
