"""cocotb bench for rtl/sbn_uart_rx.v: bytes sent on the line with random gaps and a baud rate a
few percent off, under random backpressure; a break (dropping a held byte), a framing error and an overrun."""

import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge, Timer

CLK_NS = 10


async def send_char(line, byte: int, bit_ns: int, stop: int = 1) -> None:
    for b in [0] + [(byte >> i) & 1 for i in range(8)] + [stop]:
        line.value = b
        await Timer(bit_ns, unit="ns")
    line.value = 1


class Monitor:
    """Takes bytes from m_axis (ready with probability 1 - stall) and counts the pulses."""

    def __init__(self, dut, rng, stall=0.0):
        self.dut, self.rng, self.stall = dut, rng, stall
        self.bytes, self.pulses = [], {"brk": 0, "frame_err": 0, "overrun": 0}
        cocotb.start_soon(self.run())

    async def run(self):
        dut = self.dut
        ready = 0
        while True:
            await RisingEdge(dut.clk)
            if ready and int(dut.m_axis_tvalid.value):
                self.bytes.append(int(dut.m_axis_tdata.value))
            for k in self.pulses:
                self.pulses[k] += int(getattr(dut, k).value)
            ready = int(self.rng.random() >= self.stall)
            dut.m_axis_tready.value = ready


async def setup(dut):
    dut.rx.value = 1
    dut.rst.value = 1
    dut.m_axis_tready.value = 0
    cocotb.start_soon(Clock(dut.clk, CLK_NS, unit="ns").start())
    await ClockCycles(dut.clk, 3)
    dut.rst.value = 0
    await ClockCycles(dut.clk, 2)
    return int(os.environ["SBN_CLKS_PER_BIT"])


@cocotb.test()
async def bytes_with_gaps_and_baud_error(dut):
    cpb = await setup(dut)
    rng = random.Random(cpb)
    mon = Monitor(dut, rng, stall=0.3)
    sent = [0x00, 0xFF, 0x55, 0xAA] + [rng.randrange(256) for _ in range(60)]
    for i, b in enumerate(sent):
        # The sender's bit time is off by up to 2% (2.5% at 4 cycles per bit: whole nanoseconds).
        bit_ns = round(cpb * CLK_NS * (1 + rng.choice([-0.02, -0.01, 0.0, 0.01, 0.02])))
        await send_char(dut.rx, b, bit_ns)
        gap = rng.choice([0, 0, 1, 7, 3 * cpb * CLK_NS])
        if gap:
            await Timer(gap, unit="ns")
    await ClockCycles(dut.clk, 4 * cpb)
    assert mon.bytes == sent, f"received {mon.bytes}, sent {sent}"
    assert mon.pulses == {"brk": 0, "frame_err": 0, "overrun": 0}, mon.pulses


@cocotb.test()
async def break_framing_error_and_overrun(dut):
    cpb = await setup(dut)
    rng = random.Random(cpb + 1)
    mon = Monitor(dut, rng)
    bit_ns = cpb * CLK_NS
    await send_char(dut.rx, 0x3C, bit_ns)
    # A break: the line low for 12 bit times.
    dut.rx.value = 0
    await Timer(12 * bit_ns, unit="ns")
    dut.rx.value = 1
    await Timer(2 * bit_ns, unit="ns")
    await send_char(dut.rx, 0x81, bit_ns, stop=0)   # framing error: dropped
    await Timer(2 * bit_ns, unit="ns")
    await send_char(dut.rx, 0x42, bit_ns)
    await ClockCycles(dut.clk, 2 * cpb)
    assert mon.bytes == [0x3C, 0x42], mon.bytes
    assert mon.pulses == {"brk": 1, "frame_err": 1, "overrun": 0}, mon.pulses
    # Overrun: nobody takes the bytes; the first is held, the next two are dropped.
    mon.stall = 1.0
    await ClockCycles(dut.clk, 2)
    for b in (0x11, 0x22, 0x33):
        await send_char(dut.rx, b, bit_ns)
    await ClockCycles(dut.clk, 2 * cpb)
    assert mon.pulses["overrun"] == 2, mon.pulses
    mon.stall = 0.0
    await ClockCycles(dut.clk, 4)
    assert mon.bytes == [0x3C, 0x42, 0x11], mon.bytes
    # A break drops a byte still held (0x44, sent before it while nobody takes bytes): it is never offered.
    mon.stall = 1.0
    await ClockCycles(dut.clk, 2)
    await send_char(dut.rx, 0x44, bit_ns)
    await ClockCycles(dut.clk, 2 * cpb)
    assert int(dut.m_axis_tvalid.value) == 1
    dut.rx.value = 0
    await Timer(12 * bit_ns, unit="ns")
    dut.rx.value = 1
    await ClockCycles(dut.clk, 2 * cpb)
    assert mon.pulses["brk"] == 2, mon.pulses
    mon.stall = 0.0
    await ClockCycles(dut.clk, 4)
    assert mon.bytes == [0x3C, 0x42, 0x11], f"a byte held before the break was offered after it: {mon.bytes}"
