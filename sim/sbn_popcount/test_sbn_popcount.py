"""cocotb bench for rtl/sbn_popcount.v: random and extreme operand vectors vs Python's count of
the lane products (XNOR or AND), a new pair every cycle; the count must appear SBN_LATENCY cycles
later (0: combinational). A wrong count names the cycle, the operands and the lanes that differ
from a correct count's products."""

import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge


def products(x: int, w: int, n: int, lane_op: int) -> list[int]:
    return [((x >> i) & (w >> i) & 1) if lane_op else (1 - (((x >> i) ^ (w >> i)) & 1)) for i in range(n)]


@cocotb.test()
async def counts_match(dut):
    n, lane_op, out_w, latency = (int(os.environ[k]) for k in ("SBN_N", "SBN_LANE_OP", "SBN_OUT_W", "SBN_LATENCY"))
    full = (1 << n) - 1
    rng = random.Random(n * 7 + lane_op)
    # Extremes (all products 1, all 0), single lanes, then random pairs of random density.
    cases = [(full, full), (0, full), (full, 0), (0, 0)]
    cases += [(1 << i, (1 << i) if lane_op else full) for i in range(n)]
    for _ in range(400):
        p = rng.random()
        cases.append((sum((rng.random() < p) << i for i in range(n)), sum((rng.random() < p) << i for i in range(n))))
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    delay = max(1, latency)
    for k in range(len(cases) + delay):
        await FallingEdge(dut.clk)
        if k >= delay:
            x, w = cases[k - delay]
            want = sum(products(x, w, n, lane_op))
            got = int(dut.count.value)
            assert got == want % (1 << out_w), (
                f"cycle {k - delay}: x={x:#x} w={w:#x}: count {got}, expected {want} "
                f"(N={n}, LANE_OP={lane_op}, latency {latency})")
        if k < len(cases):
            dut.x.value, dut.w.value = cases[k]
