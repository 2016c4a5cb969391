"""The HLS stage: the build's accelerator description as Vitis-HLS C++, C-simulated with g++ on every
test frame, every layer bit-exact against the golden model. Writes <out>/hls/ (C++ sources, the
Vitis HLS Tcl script, csim.log) and records the run (<out>/hls/stage.json, written last)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from sbn_hw import SbnHwError
from sbn_hw.pipeline.builddir import BuildDir
from sbn_hw.pipeline.progress import console

# A build compiled from a user's --onnx file has no test set: it is checked on the frames compile
# itself used, spanning the integer input range.
RANGE_FRAMES = 64


def check_hls_arguments(max_frames: int | None) -> None:
    if max_frames is not None and max_frames < 1:
        raise SbnHwError(f"--max-frames must be >= 1, got {max_frames}")


def hls_inputs(out: Path, accel) -> tuple[np.ndarray, np.ndarray | None, str]:
    """(hardware inputs, labels or None, what they are) for the build in `out`."""
    from sbn_hw.compile.accel import INPUT_DTYPES
    from sbn_hw.pipeline.stages import own_flow_inputs
    from sbn_hw.verify.inputs import range_covering_inputs

    if BuildDir(out).has("train"):
        x_hw, labels, _, _ = own_flow_inputs(out)
        return x_hw, labels, "test set"
    lo, hi = INPUT_DTYPES[accel.input_dtype]
    return range_covering_inputs(lo, hi, accel.in_features, RANGE_FRAMES), None, "range-covering random"


def run_hls(out: Path, max_frames: int | None = None, part: str | None = None) -> dict:
    """Generate the HLS C++ for the compiled build in `out` and C-simulate every test frame (or the
    first max_frames). Raises GoldenMismatch naming layer, frame and bit on any difference."""
    from sbn_hw.compile.accel import Accelerator
    from sbn_hw.golden.executor import host_scores
    from sbn_hw.hlsgen import hls_include_dir, run_csim
    from sbn_hw.hlsgen.csim import compiler
    from sbn_hw.hlsgen.generate import DEFAULT_PART, TCL, TOP_NAME

    check_hls_arguments(max_frames)
    part = part or DEFAULT_PART
    include_dir = hls_include_dir()  # before anything is written: a missing header names its fix
    compiler()  # and so does a missing C++ compiler
    bd = BuildDir(out)
    accel = Accelerator.load(bd.record("compile", required_by="hls")["accelerator"])
    x_hw, labels, source = hls_inputs(out, accel)
    if max_frames:
        x_hw = x_hw[:max_frames]
        labels = labels[:max_frames] if labels is not None else None
    d = Path(out) / "hls"
    if d.exists():
        shutil.rmtree(d)  # an earlier run's files (and record) never sit beside this one's
    bd.begin("hls")
    console.print(f"[bold]hls[/] {len(x_hw)} frames through the HLS C++ (g++ C simulation); "
                  "every layer checked against the golden model")
    with console.status("  compiling and running the C simulation..."):
        r = run_csim(accel, x_hw, d, part=part, include_dir=include_dir)
    rec = {"frames": r.frames, "mismatches": r.mismatch_count, "inputs": source, "top": TOP_NAME, "part": part,
           "directory": str(r.build.directory), "sources": [str(p) for p in r.build.sources],
           "testbench": str(r.build.testbench), "vitis_tcl": str(r.build.directory / TCL),
           "vitis_kernel_tcl": str(r.build.kernel_tcl), "csim_log": str(r.log),
           "headers": str(include_dir), "vitis_hls": "not run", "seconds": r.seconds}
    if labels is not None:
        rec["frames_scored"] = int(len(labels))
        rec["accuracy_hls"] = float((host_scores(accel, r.outputs).argmax(1) == labels).mean())
        rec["accuracy_golden"] = float((host_scores(accel, r.golden[-1]).argmax(1) == labels).mean())
    console.print(f"  {r.frames} frames, 0 mismatches (every layer and the dataflow top)"
                  + (f"; test accuracy {rec['accuracy_hls']:.4f}" if labels is not None else ""))
    console.print(f"  Vitis HLS script: vitis_hls -f {rec['vitis_tcl']} -tclargs {part}")
    bd.finish("hls", rec)
    return rec
