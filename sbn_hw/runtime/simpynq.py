"""A `pynq` stand-in for the simulated twin: the subset of PYNQ's API the driver uses (Overlay,
ip_dict, MMIO, allocate, Clocks), reaching the shell RTL in Verilator instead of a board.

Overlay(twin.json) starts the simulation (sbn_hw.runtime.twin, sim/runtime_twin) as a child
process and talks to it over a Unix socket: every MMIO read/write is one PS access to the PL at
that physical address. DDR is a file both processes map; allocate() hands out page-aligned
regions of it. Buffers behave like PYNQ's cacheable ones: the array is the CPU's copy, flush()
writes it to DDR and invalidate() reads DDR back, so a driver that forgets either fails here too.
"""

from __future__ import annotations

import atexit
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from .errors import AcceleratorError

START_TIMEOUT_S = 900  # a first Verilator build of a large accelerator takes minutes
PAGE = 4096
_twin = None  # the running simulation (PYNQ has one PL; so does the twin)


class _Twin:
    def __init__(self, path: str):
        from sbn_hw.runtime.twin import load_twin

        try:
            self.cfg = load_twin(path)
        except ValueError as e:
            raise AcceleratorError(str(e)) from None
        self.dir = Path(tempfile.mkdtemp(prefix="sbn-twin-"))
        ddr = self.dir / "ddr.bin"
        with open(ddr, "wb") as f:
            f.truncate(self.cfg["ddr_bytes"])  # sparse: only touched pages take space
        self.mem = np.memmap(ddr, dtype=np.uint8, mode="r+")
        self.free_blocks = [(0, self.cfg["ddr_bytes"])]
        self.log_path = self.dir / "twin.log"
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(str(self.dir / "twin.sock"))
        server.listen(1)
        server.settimeout(0.5)
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "sbn_hw.runtime.twin", str(Path(path).resolve()),
                                          str(self.dir / "twin.sock"), str(ddr)], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT_S
        try:
            while True:
                try:
                    conn, _ = server.accept()
                    break
                except socket.timeout:
                    if self.proc.poll() is not None or time.monotonic() > deadline:
                        self.close()
                        raise AcceleratorError(f"the simulated twin did not start:\n{self.log_tail()}") from None
        finally:
            server.close()
        self.conn = conn
        self.f = conn.makefile("rwb")

    def log_tail(self, n: int = 3000) -> str:
        return self.log_path.read_text()[-n:] if self.log_path.exists() else ""

    def request(self, line: str) -> int:
        try:
            self.f.write(line.encode() + b"\n")
            self.f.flush()
            reply = self.f.readline().decode().split(" ", 1)
        except OSError:
            reply = [""]
        if reply[0] == "ok":
            return int(reply[1])
        if reply[0] == "err":
            raise AcceleratorError(f"simulated PL access '{line}' failed: {reply[1].strip()}")
        raise AcceleratorError(f"the simulated twin has stopped:\n{self.log_tail()}")

    def alloc(self, nbytes: int) -> int:
        size = -(-max(nbytes, 1) // PAGE) * PAGE
        for i, (off, free) in enumerate(self.free_blocks):
            if free >= size:
                self.free_blocks[i] = (off + size, free - size)
                return off
        raise MemoryError(f"the twin's {self.cfg['ddr_bytes'] >> 20} MiB of DDR are used up")

    def free(self, off: int, nbytes: int) -> None:
        size = -(-max(nbytes, 1) // PAGE) * PAGE
        self.free_blocks = sorted(self.free_blocks + [(off, size)])

    def close(self) -> None:
        if getattr(self, "f", None) is not None:
            try:
                self.f.write(b"q\n")
                self.f.flush()
            except OSError:
                pass
        if self.proc.poll() is None:
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


@atexit.register
def _close_at_exit() -> None:
    """A script that never closes its overlay still stops the simulation and removes its DDR file."""
    if _twin is not None:
        _twin.close()


def _current() -> _Twin:
    if _twin is None:
        raise AcceleratorError("no overlay loaded: the twin's memory and registers exist once an Overlay is loaded")
    return _twin


class Clocks:
    fclk0_mhz = None  # the twin's PL clock, set when an Overlay loads


class Overlay:
    """Loads the twin (a .twin.json): starts its simulation, as pynq.Overlay programs the PL."""

    def __init__(self, bitfile: str, download: bool = True, **_):
        global _twin
        if _twin is not None:  # one PL: loading a new overlay replaces the old one
            _twin.close()
            _twin = None
        _twin = self._twin = _Twin(bitfile)
        self.ip_dict = {name: dict(ip) for name, ip in self._twin.cfg["ip"].items()}
        Clocks.fclk0_mhz = self._twin.cfg["clock_mhz"]

    def close(self) -> None:
        global _twin
        if _twin is self._twin:
            _twin = None
        self._twin.close()


class MMIO:
    def __init__(self, base_addr: int, length: int = 4, **_):
        self.base_addr, self.length = int(base_addr), int(length)

    def _addr(self, offset: int) -> int:
        if offset % 4 or not 0 <= offset < self.length:
            raise AcceleratorError(f"MMIO offset 0x{offset:x} outside 0..0x{self.length:x} or not word aligned")
        return self.base_addr + offset

    def read(self, offset: int = 0, length: int = 4) -> int:
        return _current().request(f"r {self._addr(offset)}")

    def write(self, offset: int, data) -> None:
        _current().request(f"w {self._addr(offset)} {int(data) & 0xFFFFFFFF}")


class SimBuffer(np.ndarray):
    """A contiguous buffer in the twin's DDR; the array is the CPU's cached copy."""

    def __array_finalize__(self, obj):
        self._root = getattr(obj, "_root", None)
        self.physical_address = getattr(obj, "physical_address", None)

    def _sync(self, to_ddr: bool) -> None:
        root = self._root
        cpu = root.view(np.ndarray).reshape(-1).view(np.uint8)
        ddr = root._twin.mem[root._offset:root._offset + cpu.nbytes]
        if to_ddr:
            ddr[:] = cpu
        else:
            cpu[:] = ddr

    def flush(self) -> None:
        self._sync(True)

    def invalidate(self) -> None:
        self._sync(False)

    def freebuffer(self) -> None:
        root = self._root
        if getattr(root, "_twin", None) is not None:
            root._twin.free(root._offset, root.nbytes)
            root._twin = None

    close = freebuffer


def allocate(shape, dtype="u4", **_) -> SimBuffer:
    twin = _current()
    buf = np.zeros(shape, dtype=dtype).view(SimBuffer)
    buf._root, buf._twin, buf._offset = buf, twin, twin.alloc(buf.nbytes)
    buf.physical_address = twin.cfg["ddr_base"] + buf._offset
    return buf


def simulated_time_ns() -> float:
    """The twin's simulated time (not part of PYNQ; for benchmarks of the twin itself)."""
    return _current().request("t") / 1000.0
