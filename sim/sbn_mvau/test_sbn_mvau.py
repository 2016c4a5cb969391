"""cocotb bench for rtl/sbn_mvau.v. The pytest side (tests/rtl/test_sbn_mvau.py) writes the layer,
its memory images and the golden outputs to SBN_TEST_DATA; this bench streams the frames with
random stalls and backpressure, and checks every output word, reset in flight and throughput."""

import json
import os
import random

import cocotb
import numpy as np

from sbn_hw.verify.axis import reset, run_streams, start_clock
from sbn_hw.verify.scoreboard import check_stream, cycles_per_frame
from sbn_hw.verify.streams import frames_to_words


async def start(dut):
    """Load the layer's data, start the clock and reset; returns (meta, input words, golden)."""
    z = np.load(os.environ["SBN_TEST_DATA"])
    meta = json.loads(str(z["meta"]))
    start_clock(dut)
    await reset(dut)
    return meta, frames_to_words(z["x"], meta["simd"], meta["in_bits"]), z["y"]


def check(meta, res, y):
    check_stream("dut", res.out_words, meta["pe"], meta["out_bits"], meta["out_signed"], y)


@cocotb.test()
async def stream_with_backpressure(dut):
    meta, words, y = await start(dut)
    res = await run_streams(dut, words, len(y) * meta["nf"], random.Random(meta["seed"]), 0.3, 0.3)
    check(meta, res, y)


@cocotb.test()
async def reset_while_in_flight(dut):
    meta, words, y = await start(dut)
    # Stop mid-frame with outputs possibly pending, reset, then the full run must be exact.
    await run_streams(dut, words, len(y) * meta["nf"], random.Random(1), 0.2, 0.5, stop_after_in=max(1, meta["sf"] + meta["sf"] // 2))
    await reset(dut)
    res = await run_streams(dut, words, len(y) * meta["nf"], random.Random(2), 0.3, 0.3)
    check(meta, res, y)


@cocotb.test()
async def throughput_matches_folding(dut):
    meta, words, y = await start(dut)
    res = await run_streams(dut, words, len(y) * meta["nf"], random.Random(3))
    check(meta, res, y)
    measured = cycles_per_frame(res.out_cycles, meta["nf"])
    assert measured == meta["sf"] * meta["nf"], f"cycles per frame {measured} != SF*NF = {meta['sf'] * meta['nf']}"
