"""cocotb bench for rtl/axis_fifo.v (and rtl/axis_skid.v, which has the same ports): random words
through under stalls and backpressure, reset in flight, and a liveness guard (run_streams fails if
output stops)."""

import os
import random

import cocotb

from sbn_hw.verify.axis import reset, run_streams, start_clock


def words(n, width, seed):
    rng = random.Random(seed)
    return [rng.getrandbits(width) for _ in range(n)]


@cocotb.test()
async def passes_words_in_order(dut):
    width = int(os.environ["SBN_WIDTH"])
    start_clock(dut)
    await reset(dut)
    data = words(300, width, 1)
    for in_stall, out_stall in ((0.0, 0.0), (0.5, 0.1), (0.1, 0.7)):
        res = await run_streams(dut, data, len(data), random.Random(2), in_stall, out_stall)
        assert res.out_words == data, f"first difference at word {next(i for i, (a, b) in enumerate(zip(res.out_words, data)) if a != b)}"


@cocotb.test()
async def reset_while_in_flight(dut):
    width = int(os.environ["SBN_WIDTH"])
    start_clock(dut)
    await reset(dut)
    await run_streams(dut, words(50, width, 3), 50, random.Random(4), 0.0, 0.8, stop_after_in=10)
    await reset(dut)
    data = words(100, width, 5)
    res = await run_streams(dut, data, len(data), random.Random(6), 0.3, 0.3)
    assert res.out_words == data, "stale words survived reset"


@cocotb.test()
async def liveness_guard_catches_a_stream_that_never_moves(dut):
    """A sink that is never ready (or a source that never sends) must end the run with an error,
    not hang: the guard counts every cycle without a handshake on either port."""
    from sbn_hw.verify.axis import LivenessError

    width = int(os.environ["SBN_WIDTH"])
    start_clock(dut)
    for in_stall, out_stall in ((0.0, 1.0), (1.0, 0.0)):
        await reset(dut)
        try:
            await run_streams(dut, words(64, width, 7), 64, random.Random(8), in_stall, out_stall, idle_limit=200)
        except LivenessError as e:
            assert "no stream handshake for 200 cycles" in str(e)
        else:
            raise AssertionError(f"no LivenessError with in_stall={in_stall}, out_stall={out_stall}")
