"""cocotb bench for rtl/sbn_adder_tree.v (combinational): random and extreme vectors vs Python sum."""

import os
import random

import cocotb
from cocotb.triggers import Timer

from sbn_hw.verify.streams import pack_word, unpack_word


@cocotb.test()
async def sums_match(dut):
    n, w, out_w, signed = (int(os.environ[k]) for k in ("SBN_N", "SBN_IN_W", "SBN_OUT_W", "SBN_SIGNED"))
    lo, hi = (-(1 << (w - 1)), (1 << (w - 1)) - 1) if signed else (0, (1 << w) - 1)
    rng = random.Random(n * 31 + w)
    cases = [[lo] * n, [hi] * n] + [[rng.randint(lo, hi) for _ in range(n)] for _ in range(300)]
    for vals in cases:
        dut.in_data.value = pack_word(vals, w)
        await Timer(1, unit="ns")
        got = unpack_word(int(dut.sum.value), 1, out_w, bool(signed))[0]
        assert got == sum(vals), f"inputs {vals}: sum {got}, expected {sum(vals)}"
