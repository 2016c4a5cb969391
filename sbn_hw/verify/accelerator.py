"""The simulate stage: generated RTL under Verilator vs the golden model, every frame."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sbn_hw import SbnHwError
from sbn_hw.compile.accel import Accelerator
from sbn_hw.golden import run_accelerator
from sbn_hw.rtlgen import generate_rtl
from sbn_hw.verify.bench import BENCH_TOP, INPUT_FILE, bench_verilog
from sbn_hw.verify.progress import ProgressWatcher
from sbn_hw.verify.runner import SIM_DIR, run_cocotb
from sbn_hw.verify.streams import frames_to_words


@dataclass
class SimResult:
    outputs: np.ndarray  # (N, MH) integers from the last layer
    frames: int
    cycles_per_frame: float
    mismatch_count: int
    mismatches: list[str]
    seconds: float
    golden: list[np.ndarray]  # the golden model's output of every layer for the same frames
    waves: Path | None = None  # the run's VCD, when asked for
    checked_cycles: int = 0  # simulated cycles of the checked run (every frame, random stalls)
    checked_seconds: float = 0.0  # its wall time, simulator alone (no build, no checks after it)
    full_rtl: bool = False  # the popcounts ran as their LUT tables (not their behavioural model)


# Defined for every accelerator simulation unless full_rtl: rtl/sbn_popcount.v then counts with
# $countones instead of its LUT tables (the same count and latency; Yosys proves an 18-lane group of
# tables equal to it in tests/rtl/test_sbn_popcount.py, and the module sweep runs both), about 7x
# faster under Verilator on a CNN. Synthesis never defines it.
FAST_SIM_DEFINE = "SBN_FAST_SIM"


def popcount_model(full_rtl: bool) -> str:
    """How a run simulated the popcounts, in words for records and reports."""
    return "LUT tables as synthesised" if full_rtl else "behavioural model, proved equal to the LUT tables"


def narrowest_ints(a) -> np.ndarray:
    """`a` in the narrowest signed integer type that holds it: a CNN's sliding-window streams hold
    hundreds of thousands of bits per frame, which as int64 made a 1,000-frame bench file 2.4 GB."""
    a = np.asarray(a)
    lo, hi = (int(a.min()), int(a.max())) if a.size else (0, 0)
    for t in (np.int8, np.int16, np.int32):
        if np.iinfo(t).min <= lo and hi <= np.iinfo(t).max:
            return a.astype(t)
    return a.astype(np.int64)


def check_stall(p: float) -> None:
    if not 0.0 <= p < 1.0:
        raise SbnHwError(f"--stall must be in [0, 1) (a probability per cycle; 1 would never move data), got {p}")


def simulate(
    accel: Accelerator,
    x_hw: np.ndarray,
    build_dir: Path,
    seed: int = 0,
    in_stall: float = 0.3,
    out_stall: float = 0.3,
    throughput_frames: int = 64,
    progress: Callable[[int, int], None] | None = None,
    waves: bool = False,
    full_rtl: bool = False,
) -> SimResult:
    """Stream every frame of `x_hw` through the generated top; raises SbnHwError on any mismatch.
    progress(frames done, frames in all) is called from a watcher thread as the checked run goes.
    waves: trace every signal into build_dir/waves.vcd (kept when the run fails too).
    full_rtl: simulate the popcounts' LUT tables as synthesised rather than their behavioural model
        (several times slower on a CNN; the two are proved equal)."""
    t0 = time.time()
    build_dir = Path(build_dir).resolve()
    rtl = generate_rtl(accel, build_dir / "rtl")
    golden = run_accelerator(accel, x_hw)
    sim_dir = build_dir / "sim"
    sim_dir.mkdir(parents=True, exist_ok=True)
    result_path, outputs_path = sim_dir / "result.json", sim_dir / "rtl_outputs.npy"
    for p in (result_path, outputs_path):
        p.unlink(missing_ok=True)
    layers = [
        dict(name=l.name, pe=l.pe, simd=l.simd, sf=l.in_words, nf=l.out_words, mh=l.out_elems, in_bits=l.in_bits,
             out_bits=l.out_bits, out_signed=bool(l.out_signed))
        for l in accel.layers
    ]
    check_stall(in_stall)
    check_stall(out_stall)
    # Liveness guard: cycles without any handshake on either port. A generous multiple of the
    # slowest layer's work for one frame, stretched by the expected wait for a stalled handshake.
    idle_limit = int((20 * accel.cycles_per_frame + 1000) / (1 - max(in_stall, out_stall)))
    meta = dict(layers=layers, seed=seed, in_stall=in_stall, out_stall=out_stall, throughput_frames=throughput_frames,
                idle_limit=idle_limit, result_path=str(result_path), outputs_path=str(outputs_path),
                progress_path=str(sim_dir / "progress.json"))
    data = sim_dir / "bench_data.npz"
    np.savez(data, meta=np.array(json.dumps(meta)), **{f"y{i}": narrowest_ints(g) for i, g in enumerate(golden)})
    # The stream harness (simulation only) and its input words, next to the generated RTL.
    first = accel.layers[0]
    words = frames_to_words(x_hw, first.simd, first.in_bits)
    digits = -(-first.simd * first.in_bits // 4)
    (rtl.directory / INPUT_FILE).write_text("".join(f"{w:0{digits}x}\n" for w in words) or "0\n")
    bench = rtl.directory / f"{BENCH_TOP}.v"
    bench.write_text(bench_verilog(accel, len(words)))
    vcd, dump = build_dir / "waves.vcd", rtl.directory / "dump.vcd"
    for stale in (vcd, dump):  # a file left by an earlier run must never pass for this run's
        stale.unlink(missing_ok=True)
    try:
        with ProgressWatcher(sim_dir / "progress.json", progress or (lambda done, total: None)):
            run_cocotb([*rtl.sources, bench], BENCH_TOP, "test_accelerator", SIM_DIR / "accelerator",
                       sim_dir / ("verilator" + ("-luts" if full_rtl else "") + ("-waves" if waves else "")),
                       {}, {"SBN_BENCH_DATA": str(data)}, run_dir=rtl.directory, waves=waves, lean=True,
                       defines={} if full_rtl else {FAST_SIM_DEFINE: 1}, timing=True, cxx_o2=not full_rtl)
    except SbnHwError as e:
        where = ""
        if waves and dump.exists():
            dump.replace(vcd)
            where = f" (waves of the run: {vcd})"
        if result_path.exists():
            r = json.loads(result_path.read_text())
            if r["mismatches"]:
                raise SbnHwError("RTL does not match the golden model: " + "; ".join(r["mismatches"]) + where) from None
        if not where:
            raise
        raise SbnHwError(f"{e}{where}") from None
    if waves:
        if not dump.exists():
            raise SbnHwError(f"the simulator wrote no waves ({dump} is missing): rebuild it by deleting "
                             f"{sim_dir / 'verilator-waves'} and run again")
        dump.replace(vcd)
    r = json.loads(result_path.read_text())
    return SimResult(np.load(outputs_path), r["frames"], r["cycles_per_frame_measured"], r["mismatch_count"],
                     r["mismatches"], time.time() - t0, golden, vcd if waves else None, r["cycles_total_phase2"],
                     r["seconds_phase2"], full_rtl)
