"""cocotb bench for rtl/sbn_axis_tlast.v: words pass unchanged and TLAST closes every transfer of
frames_per_transfer frames, under random stalls on both sides (cocotbext-axi source and sink;
the sink splits what it receives at TLAST, so each received frame is one transfer)."""

import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge
from cocotbext.axi import AxiStreamBus, AxiStreamFrame, AxiStreamSink, AxiStreamSource

WIDTH = int(os.environ["SBN_WIDTH"])
WPF = int(os.environ["SBN_WORDS_PER_FRAME"])


def pauses(seed, p):
    rng = random.Random(seed)
    while True:
        yield rng.random() < p


class Bench:
    def __init__(self, dut):
        self.dut = dut
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
        # One "byte" per word: tdata need not be a multiple of 8 bits.
        self.source = AxiStreamSource(AxiStreamBus.from_prefix(dut, "s_axis"), dut.clk, dut.rst, byte_lanes=1)
        self.sink = AxiStreamSink(AxiStreamBus.from_prefix(dut, "m_axis"), dut.clk, dut.rst, byte_lanes=1)
        self.frames_done = self.transfers_done = 0
        cocotb.start_soon(self._count_pulses())

    async def _count_pulses(self):
        while True:
            await RisingEdge(self.dut.clk)
            if not int(self.dut.rst.value):
                self.frames_done += int(self.dut.frame_done.value)
                self.transfers_done += int(self.dut.transfer_done.value)

    async def reset(self):
        self.dut.frames_per_transfer.value = 1
        self.dut.rst.value = 1
        await ClockCycles(self.dut.clk, 3)
        self.dut.rst.value = 0
        await RisingEdge(self.dut.clk)
        self.frames_done = self.transfers_done = 0

    def stalls(self, seed, p_in, p_out):
        self.source.set_pause_generator(pauses(seed, p_in))
        self.sink.set_pause_generator(pauses(seed + 1, p_out))

    async def send_frames(self, words):
        await self.source.send(AxiStreamFrame(words))
        await self.source.wait()


def random_words(n, seed):
    rng = random.Random(seed)
    return [rng.getrandbits(WIDTH) for _ in range(n)]


@cocotb.test()
async def tlast_closes_every_transfer(dut):
    tb = Bench(dut)
    for fpt, transfers, p_in, p_out in ((1, 5, 0.0, 0.0), (3, 4, 0.3, 0.5), (2, 3, 0.7, 0.2), (0, 3, 0.4, 0.4)):
        await tb.reset()
        dut.frames_per_transfer.value = fpt
        tb.stalls(fpt, p_in, p_out)
        words = random_words(max(fpt, 1) * WPF * transfers, fpt + 10)
        await tb.send_frames(words)
        got = []
        for t in range(transfers):
            rx = await tb.sink.recv()
            assert len(rx.tdata) == max(fpt, 1) * WPF, \
                f"frames_per_transfer={fpt}: transfer {t} has {len(rx.tdata)} words, TLAST expected after {max(fpt, 1) * WPF}"
            got += list(rx.tdata)
        assert got == words, f"frames_per_transfer={fpt}: data changed in flight"
        assert tb.sink.empty()
        await ClockCycles(dut.clk, 2)
        assert tb.frames_done == max(fpt, 1) * transfers and tb.transfers_done == transfers
        assert int(dut.frame_open.value) == 0 and int(dut.transfer_open.value) == 0


@cocotb.test()
async def open_flags_follow_partial_frames(dut):
    tb = Bench(dut)
    await tb.reset()
    dut.frames_per_transfer.value = 2
    tb.stalls(7, 0.0, 0.0)
    await tb.send_frames(random_words(WPF, 1))  # one whole frame: transfer still open
    await ClockCycles(dut.clk, 2)
    assert int(dut.frame_open.value) == 0 and int(dut.transfer_open.value) == 1
    if WPF > 1:
        await tb.send_frames(random_words(1, 2))  # one word of the next frame
        await ClockCycles(dut.clk, 2)
        assert int(dut.frame_open.value) == 1
    await tb.send_frames(random_words(WPF - (1 if WPF > 1 else 0), 3))
    rx = await tb.sink.recv()
    assert len(rx.tdata) == 2 * WPF
    await ClockCycles(dut.clk, 2)
    assert int(dut.frame_open.value) == 0 and int(dut.transfer_open.value) == 0


@cocotb.test()
async def shorter_transfer_ends_at_the_next_frame(dut):
    """Lowering frames_per_transfer in the middle of a transfer ends it at the next frame end."""
    tb = Bench(dut)
    await tb.reset()
    dut.frames_per_transfer.value = 4
    tb.stalls(3, 0.0, 0.0)
    await tb.send_frames(random_words(2 * WPF, 4))
    await ClockCycles(dut.clk, 2)
    dut.frames_per_transfer.value = 1
    await tb.send_frames(random_words(WPF, 5))
    rx = await tb.sink.recv()
    assert len(rx.tdata) == 3 * WPF
