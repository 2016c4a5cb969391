"""cocotb bench for rtl/sbn_thresh.v. The pytest side (tests/rtl/test_sbn_thresh.py) writes the
thresholds' memory image, random frames and their golden outputs to SBN_TEST_DATA; this bench
streams the frames back to back at full rate (cycles per frame measured), under input stalls and
output backpressure, and after a reset in the middle of a frame. A mismatch names the frame,
element, channel, input value and the expected and received outputs."""

import json
import os
import random

import cocotb
import numpy as np

from sbn_hw.verify.axis import reset, run_streams, start_clock
from sbn_hw.verify.scoreboard import cycles_per_frame
from sbn_hw.verify.streams import frames_to_words, unpack_word

# Cycles beyond the input beats that a full-rate run may take: the bench drives after the first
# edge, and the output queue adds one cycle to the unit's pipeline latency.
FULL_RATE_SLACK = 2


async def start(dut):
    """Load the case, start the clock and reset; returns (meta, x, input words, golden y)."""
    z = np.load(os.environ["SBN_TEST_DATA"])
    meta = json.loads(str(z["meta"]))
    start_clock(dut)
    await reset(dut)
    return meta, z["x"], frames_to_words(z["x"], meta["pe"], meta["in_bits"]), z["y"]


def check(meta, x, y, words):
    """Every output element against the golden; the first difference is named."""
    pe, n = meta["pe"], meta["elements"]
    got = np.array([v for w in words for v in unpack_word(w, pe, meta["out_bits"], meta["out_signed"])], np.int64)
    want = y.reshape(-1)
    assert len(got) == len(want), f"{meta['name']}: {len(got)} output elements, golden has {len(want)}"
    bad = np.flatnonzero(got != want)
    if len(bad):
        i = int(bad[0])
        f, e = divmod(i, n)
        raise AssertionError(
            f"{meta['name']}: frame {f}, element {e} (channel {e % meta['c']}, beat {e // pe}, lane {e % pe}): "
            f"input {int(x[f, e])}, expected {int(want[i])}, got {int(got[i])} ({len(bad)} elements differ)")


def beats(meta) -> int:
    return meta["elements"] // meta["pe"]


@cocotb.test()
async def full_rate_one_beat_per_cycle(dut):
    meta, x, words, y = await start(dut)
    res = await run_streams(dut, words, len(words), random.Random(meta["seed"]))
    check(meta, x, y, res.out_words)
    per_frame = beats(meta)
    measured = cycles_per_frame(res.out_cycles, per_frame)
    dut._log.info(f"{meta['name']}: {measured} cycles per frame of {per_frame} beats; {res.cycles} cycles for "
                  f"{len(words)} beats (pipeline latency {meta['latency']} + queue)")
    if len(y) >= 2:
        assert measured == per_frame, f"cycles per frame {measured} != beats per frame {per_frame}"
    bound = len(words) + meta["latency"] + FULL_RATE_SLACK
    assert res.cycles <= bound, f"{res.cycles} cycles for {len(words)} beats (at most {bound} at full rate)"


@cocotb.test()
async def input_stalls_and_output_backpressure(dut):
    meta, x, words, y = await start(dut)
    res = await run_streams(dut, words, len(words), random.Random(meta["seed"] + 1), 0.3, 0.5)
    check(meta, x, y, res.out_words)


@cocotb.test()
async def reset_in_mid_frame(dut):
    meta, x, words, y = await start(dut)
    # Stop in the middle of the second frame, with the threshold word counter off zero (for the
    # sweep's C/PE) and outputs pending; after the reset a clean run must be exact from word 0.
    stop = beats(meta) + beats(meta) // 2 + 1
    await run_streams(dut, words, len(words), random.Random(meta["seed"] + 2), 0.2, 0.7,
                      stop_after_in=min(stop, len(words) - 1))
    await reset(dut)
    res = await run_streams(dut, words, len(words), random.Random(meta["seed"] + 3), 0.1, 0.1)
    check(meta, x, y, res.out_words)
