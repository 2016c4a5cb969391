"""cocotb bench for rtl/axis_dwc.v: element order kept across up/down conversion, under stalls
and backpressure, with reset in flight."""

import os
import random

import cocotb

from sbn_hw.verify.axis import reset, run_streams, start_clock
from sbn_hw.verify.streams import pack_word, unpack_word


def elements(n, ew, seed):
    rng = random.Random(seed)
    return [rng.getrandbits(ew) for _ in range(n)]


def cfg():
    return int(os.environ["SBN_EW"]), int(os.environ["SBN_IN_N"]), int(os.environ["SBN_OUT_N"])


def as_words(elems, per, ew):
    return [pack_word(elems[i : i + per], ew) for i in range(0, len(elems), per)]


async def check(dut, elems, seed, in_stall, out_stall):
    ew, in_n, out_n = cfg()
    res = await run_streams(dut, as_words(elems, in_n, ew), len(elems) // out_n, random.Random(seed), in_stall, out_stall)
    got = [e for w in res.out_words for e in unpack_word(w, out_n, ew)]
    assert got == elems, f"element {next(i for i, (a, b) in enumerate(zip(got, elems)) if a != b)} differs"


@cocotb.test()
async def keeps_element_order(dut):
    ew, in_n, out_n = cfg()
    start_clock(dut)
    await reset(dut)
    n = in_n * out_n * 24
    for i, stalls in enumerate(((0.0, 0.0), (0.4, 0.2), (0.1, 0.6))):
        await check(dut, elements(n, ew, i), 10 + i, *stalls)


@cocotb.test()
async def reset_while_in_flight(dut):
    ew, in_n, out_n = cfg()
    start_clock(dut)
    await reset(dut)
    n = in_n * out_n * 8
    await run_streams(dut, as_words(elements(n, ew, 7), in_n, ew), n // out_n, random.Random(8), 0.0, 0.8, stop_after_in=3)
    await reset(dut)
    await check(dut, elements(n, ew, 9), 11, 0.3, 0.3)
