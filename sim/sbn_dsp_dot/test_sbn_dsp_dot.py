"""cocotb bench for rtl/sbn_dsp_dot.v: PE dot products of integer inputs and bipolar weights,
a new operand set every cycle, against Python's sum. Extreme operands (every input at its
minimum or maximum, every weight +1 or -1) push the packed fields of each DSP chain to their
limits; random ones follow. The sums must appear SBN_LATENCY cycles later. A wrong sum names the
cycle, the PE, the sum expected and the lanes' operands."""

import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge


def pack(values: list[int], bits: int) -> int:
    return sum((v & ((1 << bits) - 1)) << (i * bits) for i, v in enumerate(values))


@cocotb.test()
async def sums_match(dut):
    n, pe, bits, signed, out_w, latency = (int(os.environ[k]) for k in
                                          ("SBN_N", "SBN_PE", "SBN_IN_BITS", "SBN_SIGNED", "SBN_OUT_W", "SBN_LATENCY"))
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    rng = random.Random(n * 31 + pe * 7 + bits)
    cases = []
    for xv in (lo, hi):
        for wv in (0, 1):
            cases.append(([xv] * n, [[wv] * n for _ in range(pe)]))
        cases.append(([xv] * n, [[(i + p) % 2 for i in range(n)] for p in range(pe)]))
    for _ in range(300):
        extreme = rng.random() < 0.3
        xs = [rng.choice((lo, hi)) if extreme else rng.randint(lo, hi) for _ in range(n)]
        cases.append((xs, [[rng.randint(0, 1) for _ in range(n)] for _ in range(pe)]))
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.rst.value = 1
    for _ in range(2):
        await FallingEdge(dut.clk)
    dut.rst.value = 0
    for k in range(len(cases) + latency):
        await FallingEdge(dut.clk)
        if k >= latency:
            xs, ws = cases[k - latency]
            got_all = int(dut.sum.value)
            for p in range(pe):
                want = sum(x if w else -x for x, w in zip(xs, ws[p]))
                got = (got_all >> (p * out_w)) & ((1 << out_w) - 1)
                got -= (1 << out_w) if got >> (out_w - 1) else 0
                assert got == want, (f"cycle {k - latency}, PE {p}: sum {got}, expected {want} "
                                     f"(x={xs}, w={ws[p]}; N={n}, IN_BITS={bits}, latency {latency})")
        if k < len(cases):
            xs, ws = cases[k]
            dut.x.value = pack(xs, bits)
            dut.w.value = sum(w << (p * n + i) for p in range(pe) for i, w in enumerate(ws[p]))
