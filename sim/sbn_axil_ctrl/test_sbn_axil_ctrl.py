"""cocotb bench for rtl/sbn_axil_ctrl.v through cocotbext-axi's AXI-Lite master, with random
stalls on all five AXI-Lite channels: identity registers read back their parameters, read/write
registers honour byte strobes, counters count the pulses they are given, and a random mix of
accesses matches a register model. Offsets come from sbn_hw.rtlgen.shell.REGISTERS."""

import json
import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge
from cocotbext.axi import AxiLiteBus, AxiLiteMaster

from sbn_hw.rtlgen.shell import CONTROL_CLEAR, CONTROL_RESET, MAGIC, REGISTERS, STATUS_IDLE, STATUS_IN_OPEN, \
    STATUS_OUT_OPEN, STATUS_RESET, STATUS_XFER_OPEN

P = json.loads(os.environ["SBN_PARAMS"])
PULSES = ("in_frame_done", "out_frame_done", "out_transfer_done")
FLAGS = ("in_frame_open", "out_frame_open", "out_transfer_open")


def pauses(seed, p):
    rng = random.Random(seed)
    while True:
        yield rng.random() < p


async def start(dut, stall=0.0, seed=0):
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    for s in PULSES + FLAGS:
        getattr(dut, s).value = 0
    axil = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axi"), dut.clk, dut.rst)
    if stall:
        for i, ch in enumerate((axil.write_if.aw_channel, axil.write_if.w_channel, axil.write_if.b_channel,
                                axil.read_if.ar_channel, axil.read_if.r_channel)):
            ch.set_pause_generator(pauses(seed + i, stall))
    dut.rst.value = 1
    await ClockCycles(dut.clk, 3)
    dut.rst.value = 0
    await RisingEdge(dut.clk)
    return axil


async def pulse(dut, name, n):
    for _ in range(n):
        getattr(dut, name).value = 1
        await RisingEdge(dut.clk)
        getattr(dut, name).value = 0
        await RisingEdge(dut.clk)


@cocotb.test()
async def identity_registers(dut):
    axil = await start(dut, stall=0.3, seed=1)
    want = {
        "MAGIC": MAGIC, "VERSION": P["VERSION"], "DESC_HASH": P["DESC_HASH"],
        "IN_WIDTH": P["IN_BITS"] << 16 | P["IN_WIDTH"], "OUT_WIDTH": P["OUT_BITS"] << 16 | P["OUT_WIDTH"],
        "IN_WORDS": P["IN_WORDS"], "OUT_WORDS": P["OUT_WORDS"], "CYCLES": P["CYCLES"],
        "FRAMES_PER_XFER": 1, "CONTROL": 0, "STATUS": STATUS_IDLE,
        "FRAMES_IN": 0, "FRAMES_OUT": 0, "TRANSFERS_OUT": 0, "ACTIVE_CYCLES": 0,
    }
    for name, value in want.items():
        got = await axil.read_dword(REGISTERS[name])
        assert got == value, f"{name} (0x{REGISTERS[name]:02x}) reads 0x{got:08x}, expected 0x{value:08x}"
    # Past the last register: reads 0, writes change nothing.
    await axil.write_dword(0x3C, 0xFFFFFFFF)
    assert await axil.read_dword(0x3C) == 0
    # Identity registers ignore writes.
    await axil.write_dword(REGISTERS["MAGIC"], 0)
    assert await axil.read_dword(REGISTERS["MAGIC"]) == MAGIC


@cocotb.test()
async def frames_per_transfer_honours_byte_strobes(dut):
    axil = await start(dut, stall=0.4, seed=2)
    off = REGISTERS["FRAMES_PER_XFER"]
    await axil.write_dword(off, 0x11223344)
    assert await axil.read_dword(off) == 0x11223344
    await axil.write(off + 1, b"\xAB")  # byte lane 1 only
    assert await axil.read_dword(off) == 0x1122AB44
    await axil.write(off + 2, b"\x00\x00")  # upper half only
    assert await axil.read_dword(off) == 0x0000AB44
    assert int(dut.frames_per_transfer.value) == 0xAB44


@cocotb.test()
async def counters_status_clear_and_datapath_reset(dut):
    axil = await start(dut, stall=0.2, seed=3)
    await pulse(dut, "in_frame_done", 5)
    await pulse(dut, "out_frame_done", 3)
    await pulse(dut, "out_transfer_done", 2)
    got = [await axil.read_dword(REGISTERS[n]) for n in ("FRAMES_IN", "FRAMES_OUT", "TRANSFERS_OUT")]
    assert got == [5, 3, 2], got
    # 5 frames in, 3 out: busy, and the busy cycles were counted.
    status = await axil.read_dword(REGISTERS["STATUS"])
    assert not status & STATUS_IDLE
    active = await axil.read_dword(REGISTERS["ACTIVE_CYCLES"])
    assert active > 0
    assert await axil.read_dword(REGISTERS["ACTIVE_CYCLES"]) > active  # still busy: still counting
    # Each "open" flag shows in STATUS and alone makes the block busy.
    for flag, bit in zip(FLAGS, (STATUS_IN_OPEN, STATUS_OUT_OPEN, STATUS_XFER_OPEN)):
        getattr(dut, flag).value = 1
        assert (await axil.read_dword(REGISTERS["STATUS"])) & bit
        getattr(dut, flag).value = 0
    await pulse(dut, "out_frame_done", 2)
    assert (await axil.read_dword(REGISTERS["STATUS"])) & STATUS_IDLE
    # Clear: a pulse, CONTROL reads back without it.
    await axil.write_dword(REGISTERS["CONTROL"], CONTROL_CLEAR)
    assert [await axil.read_dword(REGISTERS[n]) for n in ("FRAMES_IN", "FRAMES_OUT", "TRANSFERS_OUT", "ACTIVE_CYCLES")] == [0] * 4
    assert await axil.read_dword(REGISTERS["CONTROL"]) == 0
    # Datapath reset holds until cleared, and counters stay 0 under it.
    await axil.write_dword(REGISTERS["CONTROL"], CONTROL_RESET)
    assert int(dut.datapath_reset.value) == 1
    await pulse(dut, "in_frame_done", 4)
    assert await axil.read_dword(REGISTERS["FRAMES_IN"]) == 0
    assert (await axil.read_dword(REGISTERS["STATUS"])) & STATUS_RESET
    assert await axil.read_dword(REGISTERS["CONTROL"]) == CONTROL_RESET
    await axil.write_dword(REGISTERS["CONTROL"], 0)
    assert int(dut.datapath_reset.value) == 0
    await pulse(dut, "in_frame_done", 4)
    assert await axil.read_dword(REGISTERS["FRAMES_IN"]) == 4


@cocotb.test()
async def random_accesses_match_a_model(dut):
    """Reads and writes, issued concurrently, with every channel stalling at random."""
    axil = await start(dut, stall=0.5, seed=4)
    rng = random.Random(5)
    model = {REGISTERS["FRAMES_PER_XFER"]: 1, REGISTERS["MAGIC"]: MAGIC, REGISTERS["DESC_HASH"]: P["DESC_HASH"]}
    for _ in range(60):
        off = rng.choice(sorted(model))
        if rng.random() < 0.5 and off == REGISTERS["FRAMES_PER_XFER"]:
            value = rng.getrandbits(32)
            write = cocotb.start_soon(axil.write_dword(off, value))
            read = cocotb.start_soon(axil.read_dword(REGISTERS["MAGIC"]))
            await write
            assert await read == MAGIC
            model[off] = value
        else:
            got = await axil.read_dword(off)
            assert got == model[off], f"0x{off:02x}: read 0x{got:08x}, model 0x{model[off]:08x}"
