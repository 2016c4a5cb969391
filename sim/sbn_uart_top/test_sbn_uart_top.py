"""cocotb bench for the UART bridge top (sbn_hw.flows.ecp5.uart_top_verilog: rtl/sbn_uart_bridge.v
+ a generated accelerator). The host side is modelled here: it sends a stray half frame, a break
(which must reset the accelerator and the byte packing), then every frame as bytes with random
gaps; the bytes coming back are decoded into frames and compared with the golden model."""

import json
import os
import random

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge, Timer, with_timeout

from sbn_hw.verify.scoreboard import check_stream
from sbn_hw.verify.streams import frames_to_words

CLK_NS = 10


def word_bytes(word: int, width: int) -> list[int]:
    return list(int(word).to_bytes(-(-width // 8), "little"))


async def send_char(line, byte: int, bit_ns: int, stop: int = 1) -> None:
    for b in [0] + [(byte >> i) & 1 for i in range(8)] + [stop]:
        line.value = b
        await Timer(bit_ns, unit="ns")
    line.value = 1


async def receive(dut, cpb: int, out: list) -> None:
    """Decode characters from uart_tx for ever (sampled at the middle of each bit)."""
    while True:
        await RisingEdge(dut.clk)
        if int(dut.uart_tx.value):
            continue
        await ClockCycles(dut.clk, cpb // 2)
        bits = []
        for _ in range(9):
            await ClockCycles(dut.clk, cpb)
            bits.append(int(dut.uart_tx.value))
        assert bits[8] == 1, "stop bit low on uart_tx"
        out.append(sum(b << i for i, b in enumerate(bits[:8])))


@cocotb.test()
async def frames_over_uart(dut):
    z = np.load(os.environ["SBN_TEST_DATA"])
    m = json.loads(str(z["meta"]))
    x, y = z["x"], z["y"]
    cpb, rng = m["cpb"], random.Random(m["seed"])
    bit_ns = cpb * CLK_NS
    cocotb.start_soon(Clock(dut.clk, CLK_NS, unit="ns").start())
    dut.uart_rx.value = 1
    dut.rst.value = 1
    await ClockCycles(dut.clk, 4)
    dut.rst.value = 0
    await ClockCycles(dut.clk, 4)
    got: list[int] = []
    cocotb.start_soon(receive(dut, cpb, got))

    words = frames_to_words(x, m["simd"], m["in_bits"])
    stream = [b for w in words for b in word_bytes(w, m["in_w"])]
    per_frame = len(stream) // len(x)
    # A stray half frame (a host that lost its place), then a break to start afresh.
    for b in stream[: per_frame // 2 + 1]:
        await send_char(dut.uart_rx, b, bit_ns)
    dut.uart_rx.value = 0
    await Timer(12 * bit_ns, unit="ns")
    dut.uart_rx.value = 1
    await Timer(3 * bit_ns, unit="ns")
    assert not got, f"bytes came back before any whole frame was sent: {got}"
    for b in stream:
        await send_char(dut.uart_rx, b, bit_ns)
        gap = rng.choice([0, 0, 0, CLK_NS, 5 * CLK_NS, 2 * bit_ns, 11 * bit_ns])
        if gap:
            await Timer(gap, unit="ns")

    out_bytes = -(-m["out_w"] // 8)
    expect = len(y) * m["nf"] * out_bytes

    async def drained():
        while len(got) < expect:
            await ClockCycles(dut.clk, cpb)

    await with_timeout(drained(), 40 * bit_ns * (expect + 10), "ns")
    await ClockCycles(dut.clk, 40 * cpb)
    assert len(got) == expect, f"{len(got)} bytes back, expected {expect}"
    assert int(dut.led.value) & 2 == 0, "rx_overrun set: a byte was dropped"
    out_words = [int.from_bytes(bytes(got[i:i + out_bytes]), "little") for i in range(0, len(got), out_bytes)]
    check_stream("uart", out_words, m["pe"], m["out_bits"], m["out_signed"], y)
