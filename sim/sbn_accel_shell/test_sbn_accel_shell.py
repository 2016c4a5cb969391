"""cocotb bench for a generated accelerator shell (sbn_hw.rtlgen.shell): the way a Zynq design
drives it. An AXI-Lite master reads the identity registers and sets frames per transfer; an
AXI-Stream source plays AXI DMA MM2S and a sink plays S2MM (it splits at TLAST, as S2MM ends a
buffer there), both stalling at random. Every output word must equal the golden model's, every
transfer must hold exactly frames_per_transfer frames, and the counters must agree.
The data file (SBN_BENCH_DATA) holds the input words, the golden output words and the expected
register values."""

import json
import os
import random

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge, with_timeout
from cocotbext.axi import AxiLiteBus, AxiLiteMaster, AxiStreamBus, AxiStreamFrame, AxiStreamSink, AxiStreamSource

from sbn_hw.rtlgen.shell import CONTROL_RESET, REGISTERS, STATUS_IDLE, STATUS_RESET

DATA = json.loads(open(os.environ["SBN_BENCH_DATA"]).read())


def pauses(seed, p):
    rng = random.Random(seed)
    while True:
        yield rng.random() < p


class Shell:
    def __init__(self, dut):
        self.dut = dut
        cocotb.start_soon(Clock(dut.aclk, 10, unit="ns").start())
        self.axil = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axi"), dut.aclk, dut.aresetn, reset_active_level=False)
        self.mm2s = AxiStreamSource(AxiStreamBus.from_prefix(dut, "s_axis"), dut.aclk, dut.aresetn,
                                    reset_active_level=False, byte_lanes=1)
        self.s2mm = AxiStreamSink(AxiStreamBus.from_prefix(dut, "m_axis"), dut.aclk, dut.aresetn, reset_active_level=False)
        self.out_bytes = DATA["out_width"] // 8

    async def reset(self):
        self.dut.aresetn.value = 0
        await ClockCycles(self.dut.aclk, 4)
        self.dut.aresetn.value = 1
        await ClockCycles(self.dut.aclk, 2)

    def stalls(self, seed, p_in, p_out):
        self.mm2s.set_pause_generator(pauses(seed, p_in))
        self.s2mm.set_pause_generator(pauses(seed + 1, p_out))

    def words(self, frame: AxiStreamFrame) -> list[int]:
        """S2MM's bytes back into output words (the sink drops bytes whose tkeep bit is low)."""
        b = bytes(frame.tdata)
        assert len(b) % self.out_bytes == 0, f"{len(b)} bytes received: m_axis_tkeep dropped some"
        return [int.from_bytes(b[i:i + self.out_bytes], "little") for i in range(0, len(b), self.out_bytes)]

    async def reg(self, name):
        return await self.axil.read_dword(REGISTERS[name])


@cocotb.test()
async def identity_registers_describe_the_accelerator(dut):
    sh = Shell(dut)
    await sh.reset()
    for name, value in DATA["registers"].items():
        got = await sh.reg(name)
        assert got == value, f"{name} reads 0x{got:08x}, expected 0x{value:08x}"


@cocotb.test()
async def frames_stream_bit_exact_with_tlast_per_transfer(dut):
    sh = Shell(dut)
    in_words, out_words = DATA["in_words"], DATA["out_words"]
    x, y = DATA["x_words"], DATA["y_words"]
    frames = len(x) // in_words
    for fpt, p_in, p_out in ((1, 0.0, 0.0), (3, 0.3, 0.5), (frames, 0.6, 0.3)):
        await sh.reset()
        sh.stalls(fpt, p_in, p_out)
        await sh.axil.write_dword(REGISTERS["FRAMES_PER_XFER"], fpt)
        n = frames - frames % fpt  # whole transfers only
        await sh.mm2s.send(AxiStreamFrame(x[: n * in_words]))
        got = []
        for t in range(n // fpt):
            rx = await with_timeout(sh.s2mm.recv(), 200_000, "ns")
            words = sh.words(rx)
            assert len(words) == fpt * out_words, \
                f"frames_per_transfer={fpt}: transfer {t} ended after {len(words)} words, expected {fpt * out_words}"
            got += words
        for i, (g, w) in enumerate(zip(got, y)):
            assert g == w, f"frames_per_transfer={fpt}: frame {i // out_words} word {i % out_words}: 0x{g:x} != golden 0x{w:x}"
        assert len(got) == n * out_words
        await ClockCycles(dut.aclk, 4)
        counts = [await sh.reg(r) for r in ("FRAMES_IN", "FRAMES_OUT", "TRANSFERS_OUT")]
        assert counts == [n, n, n // fpt], counts
        assert (await sh.reg("STATUS")) & STATUS_IDLE
        assert await sh.reg("ACTIVE_CYCLES") >= n * out_words  # at least a cycle per output word


@cocotb.test()
async def datapath_reset_stops_the_streams_and_recovers(dut):
    sh = Shell(dut)
    in_words, out_words = DATA["in_words"], DATA["out_words"]
    await sh.reset()
    sh.stalls(9, 0.0, 0.0)
    await sh.axil.write_dword(REGISTERS["CONTROL"], CONTROL_RESET)
    await ClockCycles(dut.aclk, 2)
    assert (await sh.reg("STATUS")) & STATUS_RESET
    await sh.mm2s.send(AxiStreamFrame(DATA["x_words"][:in_words]))
    await ClockCycles(dut.aclk, 50)
    assert int(dut.s_axis_tready.value) == 0, "s_axis must not take words while the datapath is held in reset"
    assert await sh.reg("FRAMES_IN") == 0
    await sh.axil.write_dword(REGISTERS["CONTROL"], 0)
    rx = await with_timeout(sh.s2mm.recv(), 200_000, "ns")
    assert sh.words(rx) == DATA["y_words"][:out_words]
    assert await sh.reg("FRAMES_OUT") == 1
