"""The simulated twin's PL side: the accelerator shell in Verilator with what the Zynq design puts
around it, served to a driver process over a socket (sbn_hw.runtime.simpynq is that process's
`pynq`). Each request is one host access to the PL: AXI-Lite reads/writes of the shell (through
cocotbext-axi's AXI-Lite master, so the real sbn_axil_ctrl answers) or of the AXI DMA, which is
modelled here at register level (simple mode, PG021): MM2S reads the buffer from the shared DDR
file and streams it into s_axis; S2MM takes m_axis into DDR until TLAST. Every host access costs
host_access_cycles PL cycles (a PS access over the GP port is not free), so polling advances time.

SBN_TWIN holds the twin's JSON (sbn_hw.runtime.twin.write_twin) plus "socket" and "ddr"."""

import json
import os
import socket

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles
from cocotb.utils import get_sim_time
from cocotbext.axi import AxiLiteBus, AxiLiteMaster, AxiStreamBus, AxiStreamFrame, AxiStreamSink, AxiStreamSource

CFG = json.loads(os.environ["SBN_TWIN"])
# AXI DMA register bits (PG021), as sbn_hw/runtime/dma.py names them.
CR_RUN, CR_RESET = 1 << 0, 1 << 2
SR_HALTED, SR_IDLE, SR_INT_ERR, SR_DEC_ERR, SR_IOC, SR_ERR_IRQ = 1, 2, 1 << 4, 1 << 6, 1 << 12, 1 << 14
SR_W1C = (1 << 12) | (1 << 13) | (1 << 14)


class Channel:
    """Register state of one AXI DMA channel."""

    def __init__(self, name):
        self.name = name
        self.reset()

    def reset(self):
        self.cr, self.sr, self.addr, self.length, self.task = 0, SR_HALTED, 0, 0, None

    def fail(self, bit):
        self.sr |= bit | SR_ERR_IRQ | SR_HALTED
        self.cr &= ~CR_RUN


class AxiDma:
    def __init__(self, dut, mem, base):
        self.dut, self.mem, self.base = dut, mem, base
        self.length_mask = (1 << CFG["dma_length_width"]) - 1
        self.mm2s, self.s2mm = Channel("MM2S"), Channel("S2MM")
        self.source = AxiStreamSource(AxiStreamBus.from_prefix(dut, "s_axis"), dut.aclk, dut.aresetn,
                                      reset_active_level=False, byte_lanes=1)
        self.sink = AxiStreamSink(AxiStreamBus.from_prefix(dut, "m_axis"), dut.aclk, dut.aresetn, reset_active_level=False)
        self.sink.pause = True  # S2MM takes no data before a transfer is programmed
        self.in_bytes = CFG["mm2s_bytes"]

    def channel(self, off):
        return (self.mm2s, off) if off < 0x30 else (self.s2mm, off - 0x30)

    def read(self, off):
        ch, reg = self.channel(off)
        return {0x00: ch.cr, 0x04: ch.sr, 0x18: ch.addr & 0xFFFFFFFF, 0x1C: ch.addr >> 32, 0x28: ch.length}.get(reg, 0)

    def write(self, off, v):
        ch, reg = self.channel(off)
        if reg == 0x00:
            if v & CR_RESET:  # soft reset: both channels, transfers dropped
                for c in (self.mm2s, self.s2mm):
                    if c.task is not None:
                        c.task.cancel()
                    c.reset()
                for stream in (self.source, self.sink):  # drop queued data and the beat in flight
                    stream.clear()
                    stream.assert_reset()
                self.sink.pause = True
                return
            ch.cr = v & 0x7FFF_FFF3
            if v & CR_RUN:
                ch.sr &= ~SR_HALTED
            elif ch.task is None or ch.task.done():
                ch.sr |= SR_HALTED
        elif reg == 0x04:
            ch.sr &= ~(v & SR_W1C)
        elif reg == 0x18:
            ch.addr = (ch.addr & ~0xFFFFFFFF) | v
        elif reg == 0x1C:
            ch.addr = (ch.addr & 0xFFFFFFFF) | (v << 32)
        elif reg == 0x28 and not ch.sr & SR_HALTED:  # writing LENGTH starts the transfer
            ch.length = v & self.length_mask
            ch.sr &= ~SR_IDLE
            if ch.length == 0:
                ch.fail(SR_INT_ERR)
                return
            run = self.run_mm2s if ch is self.mm2s else self.run_s2mm
            ch.task = cocotb.start_soon(run(ch))

    def region(self, ch):
        off = ch.addr - self.base
        if off < 0 or off + ch.length > len(self.mem):
            ch.fail(SR_DEC_ERR)
            return None
        return off

    async def run_mm2s(self, ch):
        off = self.region(ch)
        if off is None:
            return
        data = bytes(self.mem[off:off + ch.length])
        data += bytes(-len(data) % self.in_bytes)  # a partial last beat is zero-padded
        words = [int.from_bytes(data[i:i + self.in_bytes], "little") for i in range(0, len(data), self.in_bytes)]
        await self.source.send(AxiStreamFrame(words))
        await self.source.wait()
        ch.sr |= SR_IDLE | SR_IOC

    async def run_s2mm(self, ch):
        off = self.region(ch)
        if off is None:
            return
        self.sink.pause = False
        frame = await self.sink.recv()  # up to TLAST
        self.sink.pause = True
        data = bytes(frame.tdata)
        if len(data) > ch.length:  # the buffer filled before TLAST
            self.mem[off:off + ch.length] = np.frombuffer(data[:ch.length], np.uint8)
            ch.fail(SR_INT_ERR)
            return
        self.mem[off:off + len(data)] = np.frombuffer(data, np.uint8)
        ch.length = len(data)  # S2MM_LENGTH reads the bytes received
        ch.sr |= SR_IDLE | SR_IOC


class Twin:
    def __init__(self, dut):
        self.dut = dut
        ps = int(round(1e6 / CFG["clock_mhz"] / 2)) * 2
        cocotb.start_soon(Clock(dut.aclk, ps, unit="ps").start())
        self.axil = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axi"), dut.aclk, dut.aresetn, reset_active_level=False)
        mem = np.memmap(CFG["ddr"], dtype=np.uint8, mode="r+")
        self.dma = AxiDma(dut, mem, CFG["ddr_base"])
        self.blocks = {name: (ip["phys_addr"], ip["addr_range"]) for name, ip in CFG["ip"].items()}

    def block(self, addr):
        for name, (base, size) in self.blocks.items():
            if base <= addr < base + size:
                return name, addr - base
        raise ValueError(f"no IP at address 0x{addr:x}")

    async def access(self, op, addr, value=0):
        await ClockCycles(self.dut.aclk, CFG["host_access_cycles"])
        name, off = self.block(addr)
        if name == CFG["accel_cell"]:
            if op == "r":
                return await self.axil.read_dword(off)
            await self.axil.write_dword(off, value)
            return 0
        if op == "r":
            return self.dma.read(off)
        self.dma.write(off, value)
        return 0


@cocotb.test()
async def serve(dut):
    twin = Twin(dut)
    dut.aresetn.value = 0
    await ClockCycles(dut.aclk, 8)
    dut.aresetn.value = 1
    await ClockCycles(dut.aclk, 2)
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.connect(CFG["socket"])
    f = conn.makefile("rwb")
    while True:
        line = f.readline()  # the simulator waits for the host: PL time stands still meanwhile
        if not line or line.strip() == b"q":
            break
        op, *args = line.decode().split()
        try:
            if op == "t":
                reply = f"ok {int(get_sim_time('ps'))}"
            else:
                reply = f"ok {await twin.access(op, *(int(a) for a in args))}"
        except Exception as e:  # the host sees the error; the simulation goes on
            reply = "err " + str(e).replace("\n", " ")
        f.write(reply.encode() + b"\n")
        f.flush()
    conn.close()
