"""The simulate stage: generated RTL under Verilator vs the golden model, every frame."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sbn_hw import SbnHwError
from sbn_hw.compile.accel import Accelerator
from sbn_hw.golden import run_accelerator
from sbn_hw.golden.executor import check_input_range
from sbn_hw.rtlgen import generate_rtl
from sbn_hw.verify.bench import BENCH_TOP, INPUT_FILE, bench_verilog
from sbn_hw.verify.progress import ProgressWatcher
from sbn_hw.verify.runner import SIM_DIR, SimRun, run_cocotb_parallel
from sbn_hw.verify.streams import frames_to_words


@dataclass
class SimResult:
    outputs: np.ndarray  # (N, MH) integers from the last layer
    frames: int
    cycles_per_frame: float
    mismatch_count: int
    mismatches: list[str]
    seconds: float
    golden_outputs: np.ndarray  # the golden model's output of the last layer for the same frames
    waves: Path | None = None  # the run's VCD, when asked for
    checked_cycles: int = 0  # simulated cycles of the checked run (every frame, random stalls)
    checked_seconds: float = 0.0  # its wall time: simulation, golden model and checks (no build)
    simulator_seconds: float = 0.0  # of which in the simulator (the longest process's sum over its chunks)
    full_rtl: bool = False  # the RTL as written for synthesis ran (not the SBN_FAST_SIM models)
    jobs: int = 1  # simulator processes that shared the frames
    chunks: int = 1  # runs of frames the processes checked one after another (golden memory bound)


# Defined for every accelerator simulation unless full_rtl. Two modules then simulate behavioural
# models with the same values and latencies: rtl/sbn_popcount.v counts with $countones instead of
# its LUT tables (Yosys SAT proves the two equal up to 37 lanes in tests/rtl/test_sbn_popcount.py;
# the module sweep runs both forms up to 300), about 7x faster under Verilator on a CNN; and
# rtl/sbn_thresh.v counts only for a valid beat, without its adder tree (its sweep runs both forms).
# Synthesis never defines it.
FAST_SIM_DEFINE = "SBN_FAST_SIM"

# Frames streamed without stalls first to measure cycles per frame (by the first process).
THROUGHPUT_FRAMES = 64

# Memory for one chunk of frames in a simulator process: the bench computes every layer's golden
# stream of a chunk, checks the captures against it and drops both before the next chunk. A CNV
# frame costs about 4.7 MB (its streams, and the widest one decoded), so 10,000 frames at once
# would need 47 GB; chunks of about 100 frames need 0.5 GB.
GOLDEN_CHUNK_BYTES = 512 << 20


def arithmetic_model(full_rtl: bool) -> str:
    """How a run simulated the popcounts and threshold counters, in words for records and reports."""
    return ("as written for synthesis (LUT tables, adder trees)" if full_rtl else
            "behavioural models (SBN_FAST_SIM): popcount SAT-proved equal to its LUT tables up to 37 lanes, "
            "both swept beside the RTL")


def narrowest_ints(a) -> np.ndarray:
    """`a` in the narrowest signed integer type that holds it (a bench's frames: 8-bit pixels need
    not travel as int64)."""
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
    throughput_frames: int = THROUGHPUT_FRAMES,
    progress: Callable[[int, int], None] | None = None,
    waves: bool = False,
    full_rtl: bool = False,
    jobs: int = 1,
) -> SimResult:
    """Stream every frame of `x_hw` through the generated top; raises SbnHwError on any mismatch.
    progress(frames done, frames in all) is called from a watcher thread as the checked run goes.
    waves: trace every signal into build_dir/waves.vcd (kept when the run fails too).
    full_rtl: simulate the popcounts' LUT tables as synthesised rather than their behavioural model
        (several times slower on a CNN; the two are proved equal).
    jobs: simulator processes at once, each on its own contiguous run of frames with its own
        random stalls and every layer checked (one with waves)."""
    t0 = time.time()
    check_stall(in_stall)
    check_stall(out_stall)
    check_jobs(jobs)
    build_dir = Path(build_dir).resolve()
    rtl = generate_rtl(accel, build_dir / "rtl")
    sim_dir = build_dir / "sim"
    sim_dir.mkdir(parents=True, exist_ok=True)
    # The benches compute the golden model themselves, chunk by chunk, from the same description;
    # frames it would refuse are refused here, before any simulator starts.
    check_input_range(accel.layers[0], np.asarray(x_hw))
    accel_file = accel.save(sim_dir / "accelerator.npz")
    chunk = chunk_frames(accel, x_hw)
    layers = [
        dict(name=l.name, pe=l.pe, simd=l.simd, sf=l.in_words, nf=l.out_words, mh=l.out_elems, in_bits=l.in_bits,
             out_bits=l.out_bits, out_signed=bool(l.out_signed))
        for l in accel.layers
    ]
    # Liveness guard: cycles without any handshake on either port. A generous multiple of the
    # slowest layer's work for one frame, stretched by the expected wait for a stalled handshake.
    idle_limit = int((20 * accel.cycles_per_frame + 1000) / (1 - max(in_stall, out_stall)))
    first = accel.layers[0]
    digits = -(-first.simd * first.in_bits // 4)
    # One shard per process (a contiguous run of frames); the first measures the throughput.
    bounds = shard_bounds(len(x_hw), 1 if waves else jobs, throughput_frames)
    depth = 1
    build = sim_dir / ("verilator" + ("-luts" if full_rtl else "") + ("-waves" if waves else ""))
    # Nothing an earlier run left (with another number of processes) may pass for this run's.
    for old in sim_dir.glob("shard*"):
        shutil.rmtree(old, ignore_errors=True)
    single = Shard(rtl.directory, sim_dir)
    for old in (single.result, single.outputs, single.golden):
        old.unlink(missing_ok=True)
    shards = []
    for k, (a, b) in enumerate(bounds):
        # A shard runs in its own directory (its input words, the memory files, its captures);
        # a single run in the RTL folder as before, its bench files in sim/.
        run_dir, files = (rtl.directory, sim_dir) if len(bounds) == 1 else (sim_dir / f"shard{k}",) * 2
        run_dir.mkdir(parents=True, exist_ok=True)
        if run_dir != rtl.directory:
            link_memory_files(rtl.directory, run_dir)
        shard = Shard(run_dir, files)
        for p in (shard.result, shard.outputs, shard.golden):
            p.unlink(missing_ok=True)
        meta = dict(layers=layers, seed=seed + 7919 * k, in_stall=in_stall, out_stall=out_stall,
                    throughput_frames=throughput_frames if k == 0 else 1, first_frame=a, idle_limit=idle_limit,
                    accelerator=str(accel_file), chunk_frames=chunk, result_path=str(shard.result),
                    outputs_path=str(shard.outputs), golden_path=str(shard.golden), progress_path=str(shard.progress))
        np.savez(shard.data, meta=np.array(json.dumps(meta)), x=narrowest_ints(x_hw[a:b]))
        words = frames_to_words(x_hw[a:b], first.simd, first.in_bits)
        (run_dir / INPUT_FILE).write_text("".join(f"{w:0{digits}x}\n" for w in words) or "0\n")
        shards.append(shard)
        depth = max(depth, len(words))
    # The stream harness (simulation only), next to the generated RTL; its input memory holds the
    # largest shard.
    bench = rtl.directory / f"{BENCH_TOP}.v"
    bench.write_text(bench_verilog(accel, depth))
    vcd, dump = build_dir / "waves.vcd", rtl.directory / "dump.vcd"
    for stale in (vcd, dump):  # a file left by an earlier run must never pass for this run's
        stale.unlink(missing_ok=True)
    # The processes share the cores: each one's golden model (numpy's BLAS) gets its share of them,
    # not a thread per core spinning against the other simulators.
    threads = str(max(1, usable_cores() // len(shards)))
    runs = [SimRun(sh.run_dir, {"SBN_BENCH_DATA": str(sh.data), "OPENBLAS_NUM_THREADS": threads,
                                "OMP_NUM_THREADS": threads},
                   build / "sim.log" if len(shards) == 1 else sh.files / "sim.log") for sh in shards]
    done = [0] * len(shards)

    def shard_progress(k: int) -> Callable[[int, int], None]:
        def report(frames: int, _total: int) -> None:
            done[k] = frames
            if progress:
                progress(sum(done), len(x_hw))
        return report

    try:
        with contextlib.ExitStack() as watchers:
            for k, sh in enumerate(shards):
                watchers.enter_context(ProgressWatcher(sh.progress, shard_progress(k)))
            run_cocotb_parallel([*rtl.sources, bench], BENCH_TOP, "test_accelerator", SIM_DIR / "accelerator", build,
                                runs, waves=waves, lean=True, defines={} if full_rtl else {FAST_SIM_DEFINE: 1},
                                timing=True, cxx_o2=not full_rtl)
    except SbnHwError as e:
        where = ""
        if waves and dump.exists():
            dump.replace(vcd)
            where = f" (waves of the run: {vcd})"
        found = [m for sh in shards for m in shard_mismatches(sh)]
        if found:
            # Mismatches first; a shard that failed without any (a hang, a crash) is named after them.
            others = "" if all(shard_mismatches(sh) for sh in shards) else f"\n(and: {e})"
            raise SbnHwError("RTL does not match the golden model: " + "; ".join(found) + where + others) from None
        if not where:
            raise
        raise SbnHwError(f"{e}{where}") from None
    if waves:
        if not dump.exists():
            raise SbnHwError(f"the simulator wrote no waves ({dump} is missing): rebuild it by deleting "
                             f"{sim_dir / 'verilator-waves'} and run again")
        dump.replace(vcd)
    results = [json.loads(sh.result.read_text()) for sh in shards]
    outputs = np.concatenate([np.load(sh.outputs) for sh in shards])
    golden_outputs = np.concatenate([np.load(sh.golden) for sh in shards])
    # The checked runs went side by side: their wall time is from the first start to the last end.
    wall = max(r["phase2_end"] for r in results) - min(r["phase2_start"] for r in results)
    return SimResult(outputs, sum(r["frames"] for r in results), results[0]["cycles_per_frame_measured"],
                     -1 if any(r["mismatch_count"] < 0 for r in results) else sum(r["mismatch_count"] for r in results),
                     [m for r in results for m in r["mismatches"]],
                     time.time() - t0, golden_outputs, vcd if waves else None,
                     sum(r["cycles_total_phase2"] for r in results), wall,
                     max(r["simulator_seconds"] for r in results), full_rtl, len(shards),
                     sum(r["chunks"] for r in results))


def usable_cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def chunk_frames(accel: Accelerator, x_hw: np.ndarray) -> int:
    """Frames per chunk of a bench's checked run: as many as keep within GOLDEN_CHUNK_BYTES the
    golden model's streams of every layer (measured on one frame) and the widest capture decoded
    (at most 9 bytes per value: int64 values and their bits)."""
    if not len(x_hw):
        return 1
    golden = run_accelerator(accel, x_hw[:1])
    per_frame = sum(o.nbytes for o in golden) + 9 * max(o.size for o in golden)
    return max(1, min(len(x_hw), GOLDEN_CHUNK_BYTES // per_frame))


@dataclass(frozen=True)
class Shard:
    """One simulator process's frames: where it runs and where its bench files are."""
    run_dir: Path  # the simulator's working directory: input words, memory files, captures
    files: Path  # the bench's data, result, outputs and progress

    @property
    def data(self) -> Path:
        return self.files / "bench_data.npz"

    @property
    def result(self) -> Path:
        return self.files / "result.json"

    @property
    def outputs(self) -> Path:
        return self.files / "rtl_outputs.npy"

    @property
    def golden(self) -> Path:
        return self.files / "golden_outputs.npy"

    @property
    def progress(self) -> Path:
        return self.files / "progress.json"


def shard_mismatches(shard: Shard) -> list[str]:
    """The mismatches a shard's bench reported; none when it wrote no (readable) result."""
    try:
        return list(json.loads(shard.result.read_text())["mismatches"])
    except (OSError, ValueError, KeyError, TypeError):
        return []


def check_jobs(jobs: int) -> None:
    if not isinstance(jobs, int) or jobs < 1:
        raise SbnHwError(f"--jobs must be a whole number of at least 1 (simulator processes at once), got {jobs}")


def shard_bounds(frames: int, jobs: int, head_start: int = 0) -> list[tuple[int, int]]:
    """Split frames 0..frames-1 into at most `jobs` contiguous runs, none empty (one empty run when
    there are no frames; one run for at most head_start frames). The first process also streams
    min(its frames, head_start) unchecked frames to measure the throughput first, so it gets that
    many fewer (the runs end together), yet at least head_start where the others keep a frame each:
    the throughput is measured over as many frames as by one process alone."""
    n = max(1, min(jobs, frames))
    if n == 1 or frames <= head_start:  # a second process would only shorten the throughput run
        return [(0, frames)]
    share = (frames + head_start) / n
    first = share - head_start if share >= 2 * head_start else frames / (2 * n - 1)
    # ... but never fewer than the throughput frames (as many as one process would measure over).
    first = min(frames - (n - 1), max(1, head_start, round(first)))
    rest = frames - first
    cuts = [0] + [first + rest * k // (n - 1) for k in range(n)]
    return list(zip(cuts[:-1], cuts[1:]))


def link_memory_files(rtl_dir: Path, run_dir: Path) -> None:
    """The generated top reads its weights and thresholds ($readmemh) relative to the simulator's
    working directory: give a shard's directory each of them (a link, or a copy where links fail)."""
    for mem in rtl_dir.glob("*.mem"):
        if mem.name == INPUT_FILE:
            continue
        target = run_dir / mem.name
        target.unlink(missing_ok=True)
        try:
            target.symlink_to(mem)
        except OSError:
            shutil.copyfile(mem, target)
