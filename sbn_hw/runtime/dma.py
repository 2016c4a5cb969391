"""AXI DMA in simple (direct register) mode, programmed through its registers (PG021), so the
driver controls every step and can give up after a timeout: pynq's own DMA.wait() polls forever.

One channel is MM2S (memory -> stream, registers at 0x00) or S2MM (stream -> memory, at 0x30).
"""

from __future__ import annotations

from .errors import DmaError

MM2S, S2MM = 0x00, 0x30  # register block offsets of the two channels
DMACR, DMASR, ADDR, ADDR_MSB, LENGTH = 0x00, 0x04, 0x18, 0x1C, 0x28  # within a channel's block
CR_RUN, CR_RESET = 1 << 0, 1 << 2
SR_HALTED, SR_IDLE = 1 << 0, 1 << 1
SR_INT_ERR, SR_SLV_ERR, SR_DEC_ERR = 1 << 4, 1 << 5, 1 << 6
SR_IOC_IRQ, SR_ERR_IRQ = 1 << 12, 1 << 14
SR_ERRORS = {SR_INT_ERR: "internal error (a length of 0, or S2MM's buffer filled before TLAST)",
             SR_SLV_ERR: "slave error (the memory port refused the access)",
             SR_DEC_ERR: "decode error (the buffer address is not memory)"}


def status_text(sr: int) -> str:
    flags = [n for bit, n in ((SR_HALTED, "halted"), (SR_IDLE, "idle"), (SR_INT_ERR, "DMAIntErr"),
                              (SR_SLV_ERR, "DMASlvErr"), (SR_DEC_ERR, "DMADecErr"), (SR_IOC_IRQ, "IOC"),
                              (SR_ERR_IRQ, "Err")) if sr & bit]
    return f"0x{sr:08x} ({', '.join(flags) or 'running'})"


class DmaChannel:
    """One channel of an AXI DMA whose registers `mmio` (pynq.MMIO) maps."""

    def __init__(self, mmio, offset: int, name: str, max_bytes: int):
        self.mmio, self.offset, self.name, self.max_bytes = mmio, offset, name, max_bytes
        self.active = False  # a transfer was started and not yet collected
        self.started_once = False  # Idle reads 0 after reset until the first transfer completes

    def read(self, reg: int) -> int:
        return int(self.mmio.read(self.offset + reg))

    def write(self, reg: int, value: int) -> None:
        self.mmio.write(self.offset + reg, int(value))

    def start(self) -> None:
        """Set run/stop; the channel leaves the halted state."""
        self.write(DMACR, CR_RUN)
        self.started_once = self.active = False

    @property
    def status(self) -> int:
        return self.read(DMASR)

    def check_errors(self, sr: int | None = None) -> None:
        sr = self.status if sr is None else sr
        errors = [text for bit, text in SR_ERRORS.items() if sr & bit]
        if errors:
            raise DmaError(f"AXI DMA {self.name} reports {'; '.join(errors)}; status {status_text(sr)}. The DMA was "
                           "reset: check the buffer (allocated with pynq.allocate) and the stream widths")

    def transfer(self, address: int, nbytes: int) -> None:
        """Start moving nbytes at physical `address` (a DMA with no transfer pending)."""
        if not 0 < nbytes <= self.max_bytes:
            raise DmaError(f"AXI DMA {self.name}: a transfer of {nbytes} bytes is outside 1..{self.max_bytes}")
        if self.active:
            raise DmaError(f"AXI DMA {self.name} still has a transfer pending: wait for it first")
        sr = self.status
        self.check_errors(sr)
        if sr & SR_HALTED:
            raise DmaError(f"AXI DMA {self.name} is halted (status {status_text(sr)}): it was not started")
        self.write(ADDR, address & 0xFFFFFFFF)
        self.write(ADDR_MSB, (address >> 32) & 0xFFFFFFFF)
        self.write(LENGTH, nbytes)  # writing the length starts the transfer
        self.active = self.started_once = True

    def done(self) -> bool:
        """The pending transfer finished (raises DmaError if the DMA flagged an error)."""
        sr = self.status
        self.check_errors(sr)
        return bool(sr & SR_IDLE)

    def finish(self) -> int:
        """Collect a finished transfer: the bytes moved (S2MM: up to and including TLAST)."""
        self.active = False
        self.write(DMASR, SR_IOC_IRQ)  # write-1-to-clear: the next status read shows the next transfer
        return self.read(LENGTH)


def reset_dma(mmio) -> None:
    """Soft reset (resets both channels; the bit clears itself when done), leaving them halted."""
    mmio.write(MM2S + DMACR, CR_RESET)
    for _ in range(1000):
        if not int(mmio.read(MM2S + DMACR)) & CR_RESET:
            return
    raise DmaError("AXI DMA did not come out of reset: is its clock running (is the bitfile loaded)?")
