"""cocotb bench for rtl/sbn_uart_tx.v: bytes offered with random gaps; the line is decoded bit by
bit at CLKS_PER_BIT cycles per bit (see decode)."""

import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge


async def decode(dut, cpb: int, n: int, out: list) -> None:
    """Record n characters: each bit is sampled early and late within its time (cycles 1 and
    cpb - 2 after it should have started); both samples must agree, so every bit lasts
    CLKS_PER_BIT cycles to within a cycle or two, over the whole character."""
    for _ in range(n):
        while True:
            await RisingEdge(dut.clk)
            if int(dut.tx.value) == 0:
                break
        t, levels = 0, []
        for bit in range(10):
            pair = []
            for at in (bit * cpb + 1, bit * cpb + cpb - 2):
                await ClockCycles(dut.clk, at - t)
                t = at
                pair.append(int(dut.tx.value))
            assert pair[0] == pair[1], f"bit {bit} of character {len(out)} changed within its time: {pair}"
            levels.append(pair[0])
        assert levels[0] == 0 and levels[9] == 1, f"start/stop bits wrong: {levels}"
        out.append(sum(b << i for i, b in enumerate(levels[1:9])))


@cocotb.test()
async def bytes_with_gaps(dut):
    cpb = int(os.environ["SBN_CLKS_PER_BIT"])
    rng = random.Random(cpb)
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.rst.value = 1
    dut.s_axis_tvalid.value = 0
    await ClockCycles(dut.clk, 3)
    dut.rst.value = 0
    assert int(dut.tx.value) == 1, "line not idle after reset"
    sent = [0x00, 0xFF, 0x01, 0x80] + [rng.randrange(256) for _ in range(40)]
    got: list[int] = []
    dec = cocotb.start_soon(decode(dut, cpb, len(sent), got))
    i, driving = 0, False
    while i < len(sent):
        await RisingEdge(dut.clk)
        if driving and int(dut.s_axis_tready.value):
            i += 1
            driving = False
        if not driving and i < len(sent) and rng.random() < 0.3:
            dut.s_axis_tdata.value = sent[i]
            driving = True
        dut.s_axis_tvalid.value = int(driving)
    dut.s_axis_tvalid.value = 0
    await dec
    assert got == sent, f"line carried {got}, sent {sent}"
