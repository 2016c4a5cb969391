"""The PYNQ driver of an sbn-hw accelerator: one class for the board (target "pynq") and for the
simulated twin (target "sim", the shell RTL in Verilator behind the same AXI-Lite and AXI DMA
registers). Only numpy and pynq (or its stand-in) are needed; the rest is this package.

    acc = Accelerator("sbn_accel.bit")          # description.json next to it
    logits = acc.execute(x)                      # x: floats as the model takes them
    classes = acc.predict(x)
    job = acc.execute_async(x); ...; logits = acc.wait(job)
    print(acc.throughput_test())
"""

from __future__ import annotations

import importlib
import time
from pathlib import Path

import numpy as np

from .description import check_description, frame_bytes, load_description
from .dma import MM2S, S2MM, DmaChannel, reset_dma, status_text
from .errors import AcceleratorError, BitfileMismatch, DmaError, DmaTimeout, InputError
from .packing import INPUT_DTYPES, pack_frames, quantize_inputs, unpack_frames

# Where each target's `pynq` comes from: the board's library, or the simulated twin's stand-in.
TARGETS = {"pynq": "pynq", "sim": "sbn_hw.runtime.simpynq"}
DEFAULT_BATCH = 1024  # frames per DMA transfer (each buffer holds this many frames)
CONTROL_CLEAR, CONTROL_RESET = 1 << 0, 1 << 1  # CONTROL register bits (rtl/sbn_axil_ctrl.v)
STATUS_FLAGS = ("idle", "input frame partly in", "output frame partly out", "output transfer open (TLAST due)",
                "datapath held in reset (CONTROL bit 1)")


def load_backend(target: str):
    """The `pynq` module for a target."""
    if target not in TARGETS:
        raise AcceleratorError(f"unknown target '{target}': choose one of {', '.join(TARGETS)}")
    try:
        return importlib.import_module(TARGETS[target])
    except ImportError as e:
        where = ("a PYNQ board image (the pynq package)" if target == "pynq"
                 else "a host with sbn-hw installed (Verilator, cocotb)")
        raise AcceleratorError(f"target '{target}' runs on {where}: {e}") from None


def status_flags(status: int) -> str:
    return ", ".join(n for i, n in enumerate(STATUS_FLAGS) if status >> i & 1) or "busy"


class Job:
    """A run in flight: frames go through in chunks of at most batch_size, one DMA transfer each."""

    def __init__(self, frames: np.ndarray, batch_size: int):
        self.frames = frames
        self.chunks = [(s, min(batch_size, len(frames) - s)) for s in range(0, len(frames), batch_size)]
        self.outputs: list[np.ndarray] = []
        self.next = 0  # index of the next chunk to start
        self.times = {"pack": 0.0, "dma": 0.0, "unpack": 0.0}

    @property
    def done(self) -> bool:
        return len(self.outputs) == len(self.chunks)


class Accelerator:
    """An sbn-hw accelerator loaded on the PL (or in simulation).

    bitfile: the .bit (with its .hwh beside it) or, for target "sim", the twin's .twin.json.
    description: the runtime description (path or dict); default description.json beside bitfile.
    timeout_s: a DMA transfer fails when neither it finishes nor the accelerator's frame counters
    move for this long (a long batch that keeps moving never times out).
    """

    def __init__(self, bitfile, description=None, target: str = "pynq", batch_size: int | None = None,
                 timeout_s: float = 10.0, download: bool = True):
        bitfile = Path(bitfile)
        if isinstance(description, dict):
            self.desc = check_description(description)
        else:
            self.desc = load_description(description or bitfile.with_name("description.json"))
        self.target, self.timeout_s = target, float(timeout_s)
        inp, out = self.desc["input"], self.desc["output"]
        self.in_frame_bytes, self.out_frame_bytes = frame_bytes(inp), frame_bytes(out)
        max_bytes = (1 << self.desc["dma"]["length_width"]) - 1
        max_frames = max_bytes // max(self.in_frame_bytes, self.out_frame_bytes)
        if batch_size is not None and not 1 <= batch_size <= max_frames:
            raise AcceleratorError(f"batch_size must be in 1..{max_frames} (frames in one DMA transfer), got {batch_size}")
        self.batch_size = min(batch_size or DEFAULT_BATCH, max_frames)
        self.pynq = load_backend(target)
        if not bitfile.is_file():
            raise AcceleratorError(f"no bitfile at '{bitfile}'")
        self.overlay = self.pynq.Overlay(str(bitfile), download=download)
        self._in_buf = self._out_buf = None
        self._job: Job | None = None
        try:
            self.regs = self._mmio(self.desc["cells"]["accelerator"])
            self._check_bitfile(bitfile)
            self._dma_mmio = self._mmio(self.desc["cells"]["dma"])
            self.mm2s = DmaChannel(self._dma_mmio, MM2S, "MM2S (memory -> accelerator)", max_bytes)
            self.s2mm = DmaChannel(self._dma_mmio, S2MM, "S2MM (accelerator -> memory)", max_bytes)
            self._restart()
        except AcceleratorError:
            self._close_overlay()  # the twin's simulation does not outlive a refused bitfile
            raise

    # ---------------------------------------------------------------- registers and checks
    def _mmio(self, cell: str):
        ip = self.overlay.ip_dict
        if cell not in ip:
            raise BitfileMismatch(f"the overlay has no IP named '{cell}' (it has {', '.join(sorted(ip)) or 'none'}): "
                                  "load a bitfile built by `sbn-hw bitstream`")
        return self.pynq.MMIO(ip[cell]["phys_addr"], ip[cell]["addr_range"])

    def read_register(self, name: str) -> int:
        return int(self.regs.read(self.desc["registers"][name]))

    def write_register(self, name: str, value: int) -> None:
        self.regs.write(self.desc["registers"][name], int(value))

    def _check_bitfile(self, bitfile: Path) -> None:
        d = self.desc
        magic = self.read_register("MAGIC")
        if magic != d["magic"]:
            raise BitfileMismatch(f"'{bitfile}' holds no sbn-hw accelerator at IP '{d['cells']['accelerator']}' "
                                  f"(MAGIC reads 0x{magic:08x}, expected 0x{d['magic']:08x})")
        inp, out = d["input"], d["output"]
        want = {"VERSION": d["register_version"], "DESC_HASH": d["desc_hash"],
                "IN_WIDTH": inp["word_bits"] << 16 | inp["word_width"], "OUT_WIDTH": out["word_bits"] << 16 | out["word_width"],
                "IN_WORDS": inp["words"], "OUT_WORDS": out["words"]}
        got = {name: self.read_register(name) for name in want}
        if got["VERSION"] >> 16 != want["VERSION"] >> 16:
            raise BitfileMismatch(f"'{bitfile}' has register map version 0x{got['VERSION']:08x}, this driver and "
                                  f"description expect 0x{want['VERSION']:08x}: deploy them from the same sbn-hw")
        bad = [f"{n} 0x{got[n]:x} in the bitfile, 0x{want[n]:x} in the description" for n in want
               if n != "VERSION" and got[n] != want[n]]
        if bad:
            raise BitfileMismatch(f"'{bitfile}' was built from another accelerator than its description "
                                  f"'{d['name']}': {'; '.join(bad)}. Use the bitfile and description.json of one "
                                  "build (`sbn-hw deploy` writes both)")

    def _restart(self) -> None:
        """DMA reset and running; datapath out of reset; counters cleared."""
        reset_dma(self._dma_mmio)
        self.mm2s.start()
        self.s2mm.start()
        self.write_register("CONTROL", CONTROL_RESET)
        self.write_register("CONTROL", CONTROL_CLEAR)
        self._job = None

    def clock_mhz(self) -> float | None:
        """The PL clock: PYNQ's Clocks.fclk0_mhz, else the board clock in the description."""
        try:
            return float(self.pynq.Clocks.fclk0_mhz)
        except Exception:  # no Clocks on this platform
            return self.desc.get("clock_mhz")

    # ---------------------------------------------------------------- inputs
    def quantize(self, x) -> np.ndarray:
        """Floats as the model takes them -> the integers streamed, (N, features)."""
        inp = self.desc["input"]
        return quantize_inputs(x, inp["dtype"], inp["scale"], inp["features"], inp.get("shape") or inp.get("chw"),
                               inp.get("chw"))

    def _check_integers(self, x_hw) -> np.ndarray:
        inp = self.desc["input"]
        x_hw = np.asarray(x_hw)
        if not np.issubdtype(x_hw.dtype, np.integer) or x_hw.ndim != 2 or x_hw.shape[1] != inp["features"] \
                or len(x_hw) == 0:
            raise InputError(f"integer inputs must be an (N, {inp['features']}) integer array with N >= 1, got "
                             f"{x_hw.dtype} {x_hw.shape}")
        lo, hi = INPUT_DTYPES[inp["dtype"]]
        if x_hw.min() < lo or x_hw.max() > hi:
            raise InputError(f"integer inputs span [{x_hw.min()}, {x_hw.max()}], outside {inp['dtype']} [{lo}, {hi}]")
        return x_hw.astype(np.int64)

    # ---------------------------------------------------------------- running
    def execute(self, x) -> np.ndarray:
        """Logits (N, classes) for inputs x (floats, N x features or N x C x H x W)."""
        return self.wait(self.execute_async(x))

    def predict(self, x) -> np.ndarray:
        return self.execute(x).argmax(axis=1)

    def execute_integers(self, x_hw) -> np.ndarray:
        """The accelerator's integer outputs for integer inputs (as the golden model takes them)."""
        return self.wait(self.execute_async_integers(x_hw), raw=True)

    def execute_async(self, x) -> Job:
        """Start a run and return at once (the first DMA transfer is under way); wait(job) ends it."""
        return self.execute_async_integers(self.quantize(x))

    def execute_async_integers(self, x_hw) -> Job:
        if self._job is not None:
            raise AcceleratorError("a run is still in flight: call wait() on it before starting another")
        job = Job(self._check_integers(x_hw), self.batch_size)
        self._ensure_buffers(min(len(job.frames), self.batch_size))
        self._job = job
        self._start_chunk(job)
        return job

    def wait(self, job: Job | None = None, raw: bool = False) -> np.ndarray:
        """Finish a run: every remaining chunk in turn. Logits, or the integers with raw=True."""
        job = job or self._job
        if job is None or (job is not self._job and not job.done):
            raise AcceleratorError("no such run in flight: wait() takes the job execute_async returned")
        try:
            while not job.done:
                self._finish_chunk(job)
                if not job.done:
                    self._start_chunk(job)
        finally:
            if self._job is job and job.done:
                self._job = None
        acc = np.concatenate(job.outputs)
        return acc if raw else self.logits(acc)

    def logits(self, acc: np.ndarray) -> np.ndarray:
        """The host-side tail after the last layer: acc * scale + bias."""
        out = self.desc["output"]
        return acc * np.asarray(out["scale"], dtype=np.float64) + np.asarray(out["bias"], dtype=np.float64)

    def _ensure_buffers(self, frames: int) -> None:
        """Physically contiguous DMA buffers for `frames` frames (kept for the next run)."""
        if self._in_buf is not None and len(self._in_buf) >= frames:
            return
        self._free_buffers()
        self._in_buf = self.pynq.allocate(shape=(frames, self.in_frame_bytes), dtype=np.uint8)
        self._out_buf = self.pynq.allocate(shape=(frames, self.out_frame_bytes), dtype=np.uint8)

    def _free_buffers(self) -> None:
        for b in (self._in_buf, self._out_buf):
            if b is not None and hasattr(b, "freebuffer"):
                b.freebuffer()
        self._in_buf = self._out_buf = None

    def _start_chunk(self, job: Job) -> None:
        inp = self.desc["input"]
        s, n = job.chunks[job.next]
        t0 = time.perf_counter()
        self._in_buf[:n] = pack_frames(job.frames[s:s + n], inp["per_word"], inp["elem_bits"], inp["word_width"] // 8)
        self._in_buf.flush()  # the DMA reads memory, not the CPU's cache
        t1 = time.perf_counter()
        self.write_register("FRAMES_PER_XFER", n)  # TLAST after this chunk's last frame ends S2MM
        self.s2mm.transfer(self._out_buf.physical_address, n * self.out_frame_bytes)
        self.mm2s.transfer(self._in_buf.physical_address, n * self.in_frame_bytes)
        job.times["pack"] += t1 - t0
        job.t_dma = t1
        job.next += 1

    def _finish_chunk(self, job: Job) -> None:
        out = self.desc["output"]
        n = job.chunks[len(job.outputs)][1]
        self._wait_dma(job)
        got = self.s2mm.finish()
        self.mm2s.finish()
        t1 = time.perf_counter()
        if got != n * self.out_frame_bytes:
            self._restart()
            raise AcceleratorError(f"S2MM received {got} bytes for {n} frames, expected {n * self.out_frame_bytes}: "
                                   "TLAST came early (the bitfile's OUT_WORDS / FRAMES_PER_XFER disagree with the "
                                   "description)")
        self._out_buf.invalidate()  # see what the DMA wrote, not stale cache lines
        data = np.array(self._out_buf[:n])
        job.outputs.append(unpack_frames(data, out["per_word"], out["elem_bits"], out["word_width"] // 8,
                                         out["signed"], out["features"]))
        job.times["dma"] += t1 - job.t_dma
        job.times["unpack"] += time.perf_counter() - t1

    def _progress(self) -> tuple[int, int]:
        return self.read_register("FRAMES_IN"), self.read_register("FRAMES_OUT")

    def _wait_dma(self, job: Job) -> None:
        """Poll both channels until done; give up when nothing moved for timeout_s."""
        progress, deadline = None, time.monotonic() + self.timeout_s
        try:
            while not (self.mm2s.done() and self.s2mm.done()):
                if time.monotonic() > deadline:
                    now = self._progress()
                    if progress is None or now != progress:  # still moving: a long transfer, not a stall
                        progress, deadline = now, time.monotonic() + self.timeout_s
                        continue
                    raise DmaTimeout(self._stall_message(job))
        except (DmaTimeout, DmaError):
            self._restart()
            raise

    def _stall_message(self, job: Job) -> str:
        s, n = job.chunks[len(job.outputs)]
        st = self.read_register("STATUS")
        fin, fout = self._progress()
        return (f"the DMA did not finish within {self.timeout_s:g} s and the accelerator made no progress "
                f"(frames {s}..{s + n - 1} of {len(job.frames)}): MM2S {status_text(self.mm2s.status)}, "
                f"S2MM {status_text(self.s2mm.status)}; accelerator STATUS 0x{st:x} ({status_flags(st)}), "
                f"{fin} of {n} frames in, {fout} out. The DMA and datapath were reset; check that the PL clock "
                "runs and that the bitfile matches the description, or raise timeout_s")

    # ---------------------------------------------------------------- measuring
    def throughput_test(self, frames: int | None = None, seed: int = 0) -> dict:
        """One batch of random valid frames, timed by the accelerator's own counters at the PL
        clock (ACTIVE_CYCLES: first input word to last output word), plus one frame alone for the
        latency; host times (pack, DMA wait, unpack) as measured by this process. Keys as FINN's
        driver reports them, plus cycle counts."""
        n = min(frames or self.batch_size, self.batch_size)
        lo, hi = INPUT_DTYPES[self.desc["input"]["dtype"]]
        x = np.random.default_rng(seed).integers(lo, hi + 1, (n, self.desc["input"]["features"]))
        self.write_register("CONTROL", CONTROL_CLEAR)
        self.execute_integers(x[:1])
        latency_cycles = self.read_register("ACTIVE_CYCLES")
        self.write_register("CONTROL", CONTROL_CLEAR)
        t0 = time.perf_counter()
        job = self.execute_async_integers(x)
        self.wait(job, raw=True)
        wall = time.perf_counter() - t0
        cycles, frames_out = self.read_register("ACTIVE_CYCLES"), self.read_register("FRAMES_OUT")
        if frames_out != n:
            raise AcceleratorError(f"FRAMES_OUT reads {frames_out} after a batch of {n} frames")
        mhz = self.clock_mhz()
        res = {"batch_size": n, "fclk[mhz]": mhz, "cycles": cycles, "latency_cycles": latency_cycles,
               "cycles_per_frame": (cycles - latency_cycles) / (n - 1) if n > 1 else float(cycles),
               "cycles_per_frame_analytic": self.desc["cycles_per_frame"]}
        if mhz:
            runtime = cycles / (mhz * 1e6)
            res.update({"runtime[ms]": runtime * 1e3, "throughput[images/s]": n / runtime,
                        "steady_throughput[images/s]": mhz * 1e6 / res["cycles_per_frame"],
                        "latency[us]": latency_cycles / mhz,
                        "DRAM_in_bandwidth[MB/s]": n * self.in_frame_bytes / runtime / 1e6,
                        "DRAM_out_bandwidth[MB/s]": n * self.out_frame_bytes / runtime / 1e6})
        res.update({"host_runtime[ms]": wall * 1e3, "host_throughput[images/s]": n / wall,
                    "pack_input[ms]": job.times["pack"] * 1e3, "dma_wait[ms]": job.times["dma"] * 1e3,
                    "unpack_output[ms]": job.times["unpack"] * 1e3})
        return res

    # ---------------------------------------------------------------- lifetime
    def close(self) -> None:
        self._free_buffers()
        self._close_overlay()

    def _close_overlay(self) -> None:
        close = getattr(self.overlay, "close", None)  # the twin's Overlay; pynq's has none
        if callable(close):
            close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
