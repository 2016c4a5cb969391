"""Whole-accelerator RTL simulation speed: simulated cycles per second of the checked run (every
frame, random stalls on both streams, every layer's stream compared with the golden model), the
Verilog stream harness under Verilator (sbn_hw/verify/bench.py, sim/accelerator/).

    python benchmarks/sim.py                                   # digits TFC, mnist5k SFC, mnist5k cnn-s
    python benchmarks/sim.py --build build/mnist5k-cnn-s --frames 200
    python benchmarks/sim.py --design digits:tfc --frames 360
    python benchmarks/sim.py --build build/cnv --inputs cnv_frames.npy --frames 10000 --jobs 2

--design DATASET:MODEL builds under --out (trained, exported and compiled with `sbn-hw` defaults,
seed 0; a finished compile stage is reused); --build DIR measures an existing build: its own test
frames, or for a build compiled from a user's model (no train stage) the frames of --inputs (a .npy
in the source model's layout); either repeated in order up to --frames. --jobs simulator processes share
the frames (default: the machine's cores, at most 8); the time is from the first process's start of
its checked run to the last one's end (simulation, golden model and checks, in chunks of frames that keep
memory bounded). "10,000 frames" scales it to 10,000 frames of the same design.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np

from provenance import provenance_line, table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sbn_hw.compile.accel import Accelerator  # noqa: E402
from sbn_hw.pipeline.builddir import BuildDir  # noqa: E402
from sbn_hw.pipeline.progress import console  # noqa: E402
from sbn_hw.pipeline.stages import default_jobs, own_flow_inputs  # noqa: E402
from sbn_hw.verify.accelerator import simulate  # noqa: E402
from sbn_hw.verify.inputs import load_user_inputs, user_inputs_to_hw  # noqa: E402

DEFAULT_DESIGNS = ["digits:tfc", "mnist5k:sfc", "mnist5k:cnn-s"]


def ensure_compiled(dataset: str, model: str, out: Path) -> None:
    if BuildDir(out).has("compile"):
        return
    for stage in (["train", "--dataset", dataset, "--model", model], ["export"], ["compile"]):
        subprocess.run([sys.executable, "-m", "sbn_hw.cli", *stage, "--out", str(out)], check=True)


MIN_SECONDS = 1.0  # a shorter run's rate is printed, but flagged as rough


def frames_of(build: Path, accel: Accelerator, inputs: Path | None, frames: int | None) -> np.ndarray:
    """The frames to stream, in the accelerator's input words' integers: the build's own test
    frames, or those of `inputs` (repeated in order up to `frames`)."""
    bd = BuildDir(build)
    if inputs is None:
        if not bd.has("train"):
            sys.exit(f"{build}: a build from a user's model has no test frames of its own: pass --inputs FRAMES.npy "
                     "(frames in the source model's layout)")
        x_hw, _, _, _ = own_flow_inputs(build)
    else:
        x_hw = user_inputs_to_hw(load_user_inputs(inputs), accel.input_dtype, accel.input_scale, accel.in_features,
                                 accel.input_chw)
    if frames is not None and frames > len(x_hw):
        x_hw = np.concatenate([x_hw] * -(-frames // len(x_hw)))
    return x_hw[:frames] if frames is not None else x_hw


def measure(build: Path, frames: int | None, stall: float, jobs: int, inputs: Path | None) -> dict:
    bd = BuildDir(build)
    if not bd.has("compile"):
        sys.exit(f"{build}: not a compiled sbn-hw build (no compile stage); build it with `sbn-hw build --out {build}`, "
                 "compile a model into it, or pass --design DATASET:MODEL")
    accel = Accelerator.load(bd.record("compile")["accelerator"])
    x_hw = frames_of(build, accel, inputs, frames)
    r = simulate(accel, x_hw, build / "simbench", in_stall=stall, out_stall=stall, jobs=jobs)
    rate = r.checked_cycles / max(r.checked_seconds, 1e-9)
    return {"build": str(build), "layers": len(accel.layers), "cycles_per_frame": accel.cycles_per_frame,
            "frames": r.frames, "mismatches": r.mismatch_count, "cycles": r.checked_cycles, "jobs": r.jobs,
            "seconds": r.checked_seconds, "cycles_per_s": rate, "frames_per_s": r.frames / max(r.checked_seconds, 1e-9),
            "projected_10k_s": 10_000 * r.checked_seconds / r.frames, "total_s": r.seconds, "chunks": r.chunks,
            "simulator_s": r.simulator_seconds,
            "simulator_cycles_per_s": r.checked_cycles / max(r.simulator_seconds, 1e-9)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--design", action="append", help="DATASET:MODEL built under --out (repeatable)")
    ap.add_argument("--build", type=Path, action="append", help="an existing build folder (repeatable)")
    ap.add_argument("--out", type=Path, default=Path("build/simbench"))
    ap.add_argument("--frames", type=int, default=None, help="simulate only the first N test frames")
    ap.add_argument("--stall", type=float, default=0.3, help="stall probability on each stream")
    ap.add_argument("--jobs", type=int, default=None, help="simulator processes at once [default: cores, at most 8]")
    ap.add_argument("--inputs", type=Path, default=None, help="frames (.npy) for a build from a user's model")
    args = ap.parse_args()
    if args.jobs is not None and args.jobs < 1:
        ap.error(f"--jobs must be at least 1, got {args.jobs}")
    jobs = default_jobs(args.jobs)
    if args.frames is not None and args.frames < 1:
        ap.error(f"--frames must be at least 1, got {args.frames}")
    builds = list(args.build or [])
    for d in args.design or ([] if builds else DEFAULT_DESIGNS):
        dataset, _, model = d.partition(":")
        if not dataset or not model:
            ap.error(f"--design takes DATASET:MODEL (e.g. digits:tfc), got '{d}'")
        out = args.out / f"{dataset}-{model}"
        ensure_compiled(dataset, model, out)
        builds.append(out)
    rows = []
    for b in builds:
        console.print(f"simulating {b} ...")
        m = measure(b, args.frames, args.stall, jobs, args.inputs)
        rows.append([b.name, m["layers"], f"{m['cycles_per_frame']:,}", m["frames"], m["jobs"], m["chunks"],
                     m["mismatches"], f"{m['cycles']:,}", f"{m['seconds']:.1f}",
                     f"{m['cycles_per_s']:,.0f}" + (" (rough: short run)" if m["seconds"] < MIN_SECONDS else ""),
                     f"{m['simulator_s']:.1f}", f"{m['simulator_cycles_per_s']:,.0f}",
                     f"{m['frames_per_s']:,.1f}", f"{m['projected_10k_s'] / 60:,.1f}", f"{m['total_s']:.0f}"])
    print()
    print(table(rows, ["build", "layers", "cycles/frame", "frames", "processes", "chunks", "mismatches",
                       "simulated cycles", "checked run s", "simulated cycles/s", "in the simulator s",
                       "simulated cycles/s, simulator alone", "frames/s", "10,000 frames (min)", "whole run s"]))
    print("\nchecked run: from the first process's start of its checked frames to the last one's end: simulation, the "
          "golden model and the per-layer checks, chunk by chunk (simulated cycles/s is over it). in the simulator: the "
          "longest process's time inside the simulator (its chunks' phases); simulator alone: all processes' cycles "
          "over it. whole run: also the Verilator build (or its "
          "reuse), the throughput run and the process starts.")
    print(f"Verilator (lean cocotb runner, the harness' own clock, behavioural popcounts), stall {args.stall} on both "
          "streams, every layer checked. "
          f"{provenance_line()}")


if __name__ == "__main__":
    main()
