"""cocotb bench for rtl/sbn_adder_tree.v: random and extreme vectors vs Python sum, a new vector
every cycle; the sum must appear SBN_LATENCY cycles later (0: combinational)."""

import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge

from sbn_hw.verify.streams import pack_word, unpack_word


@cocotb.test()
async def sums_match(dut):
    n, w, out_w, signed, latency = (int(os.environ[k]) for k in ("SBN_N", "SBN_IN_W", "SBN_OUT_W", "SBN_SIGNED",
                                                                  "SBN_LATENCY"))
    lo, hi = (-(1 << (w - 1)), (1 << (w - 1)) - 1) if signed else (0, (1 << w) - 1)
    rng = random.Random(n * 31 + w)
    cases = [[lo] * n, [hi] * n] + [[rng.randint(lo, hi) for _ in range(n)] for _ in range(300)]
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    # Inputs change at falling edges. A combinational sum is read one falling edge after its
    # inputs were set; a pipelined one `latency` rising edges (so falling edges) later.
    delay = max(1, latency)
    for k in range(len(cases) + delay):
        await FallingEdge(dut.clk)
        if k >= delay:
            vals = cases[k - delay]
            got = unpack_word(int(dut.sum.value), 1, out_w, bool(signed))[0]
            assert got == sum(vals), f"inputs {vals}: sum {got}, expected {sum(vals)} (latency {latency})"
        if k < len(cases):
            dut.in_data.value = pack_word(cases[k], w)
