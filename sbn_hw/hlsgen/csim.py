"""C simulation of the generated HLS C++ with g++, every frame and every layer against the golden model."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sbn_hw import SbnHwError
from sbn_hw.compile.accel import Accelerator
from sbn_hw.golden.executor import GoldenMismatch, compare_layer_outputs, run_accelerator
from sbn_hw.hlsgen.generate import DEFAULT_PART, HlsBuild, generate_hls
from sbn_hw.hlsgen.headers import hls_include_dir

# The last flag quiets a false alarm: ap_private.h's reversed-range branch, never taken here.
CXX_FLAGS = ("-std=c++14", "-O2", "-Wno-aggressive-loop-optimizations")
# hls_stream.h's C model prints this (and returns a default value) when a kernel reads an empty
# stream: a kernel that reads more than it was given, which the outputs alone might not show.
EMPTY_READ = "WARNING: Hls::stream"


@dataclass
class CsimResult:
    outputs: np.ndarray  # (N, MH) integers from the dataflow top's output stream
    kernel_outputs: np.ndarray  # (N, MH) from the free-running kernel, called once per frame
    layer_outputs: list[np.ndarray]  # every layer's output, running the layers one by one
    golden: list[np.ndarray]  # the golden model's output of every layer for the same frames
    frames: int
    seconds: float
    build: HlsBuild
    log: Path

    @property
    def mismatch_count(self) -> int:
        """Differing values, every layer and the top's output (0 for any result run_csim returns)."""
        pairs = [*zip(self.layer_outputs, self.golden), (self.outputs, self.golden[-1]),
                 (self.kernel_outputs, self.golden[-1])]
        return int(sum(np.count_nonzero(np.asarray(g) != np.asarray(w)) for g, w in pairs))


def compiler() -> str:
    """The C++ compiler: $CXX, else g++ on PATH; a clear error naming the fix without one."""
    cxx = os.environ.get("CXX") or "g++"
    if shutil.which(cxx) is None:
        raise SbnHwError(f"the HLS C simulation needs a C++ compiler, and '{cxx}' is not on PATH: "
                         "install g++ (e.g. apt-get install g++) or set CXX")
    return cxx


def compile_command(build: HlsBuild, include_dir: Path, exe: Path, cxx: str) -> list[str]:
    return [cxx, *CXX_FLAGS, "-I", str(build.directory), "-isystem", str(include_dir),
            str(build.directory / f"{build.top}.cpp"), str(build.testbench), "-o", str(exe)]


def write_frames(path: Path, x: np.ndarray) -> Path:
    """The testbench's input file: '<frames> <features>', then one line of integers per frame."""
    x = np.asarray(x, dtype=np.int64).reshape(len(x), -1)
    with open(path, "w") as f:
        f.write(f"{x.shape[0]} {x.shape[1]}\n")
        np.savetxt(f, x, fmt="%d")
    return path


def read_frames(path: Path, frames: int, width: int) -> np.ndarray:
    values = np.loadtxt(path, dtype=np.int64, ndmin=2) if path.stat().st_size else np.zeros((0, width), np.int64)
    return values.reshape(frames, width)


def _run(cmd: list[str], log, what: str, timeout: float, cwd: Path | None = None) -> str:
    log.write(f"$ {' '.join(cmd)}\n")
    log.flush()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=cwd)
    except subprocess.TimeoutExpired:
        raise SbnHwError(f"{what} did not finish within {timeout:.0f} s") from None
    log.write(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr)[-3000:]
        raise SbnHwError(f"{what} failed (exit {proc.returncode}); see {log.name}:\n{tail}")
    return proc.stdout + proc.stderr


def compare_with_golden(accel: Accelerator, csim: CsimResult) -> None:
    """Every layer's outputs, then the dataflow top's and the free-running kernel's, against the golden model (GoldenMismatch
    names layer, frame, output and bit)."""
    for layer, got, want in zip(accel.layers, csim.layer_outputs, csim.golden):
        compare_layer_outputs(layer.name, got, want, "HLS C-simulation output")
    compare_layer_outputs(accel.layers[-1].name, csim.outputs, csim.golden[-1], "HLS dataflow top output")
    compare_layer_outputs(accel.layers[-1].name, csim.kernel_outputs, csim.golden[-1], "HLS free-running kernel output")


def run_csim(accel: Accelerator, x_hw: np.ndarray, work_dir: Path, part: str = DEFAULT_PART,
             include_dir: Path | None = None, timeout: float = 1800) -> CsimResult:
    """Generate the C++ into work_dir, compile it with g++, run every frame of x_hw through the
    dataflow top and through the layers one by one, and compare all with the golden model.
    Raises GoldenMismatch on the first difference; writes work_dir/csim.log."""
    t0 = time.time()
    include_dir = hls_include_dir() if include_dir is None else Path(include_dir)
    cxx = compiler()
    x_hw = np.asarray(x_hw, dtype=np.int64).reshape(len(x_hw), -1)
    golden = run_accelerator(accel, x_hw)  # also checks the inputs are in the first layer's range
    work_dir = Path(work_dir).resolve()
    build = generate_hls(accel, work_dir, part=part)
    out_dir = work_dir / "csim"
    if out_dir.exists():
        shutil.rmtree(out_dir)  # no outputs of an earlier run may pass for this one's
    out_dir.mkdir(parents=True)
    exe = out_dir / "csim"
    log_path = work_dir / "csim.log"
    with open(log_path, "w") as log:
        _run(compile_command(build, include_dir, exe, cxx), log, "compiling the HLS C simulation", timeout)
        frames_file = write_frames(out_dir / "frames.txt", x_hw)
        text = _run([str(exe), str(frames_file), str(out_dir)], log, "the HLS C simulation", timeout)
    if EMPTY_READ in text:
        raise GoldenMismatch(f"HLS C simulation read an empty stream (a kernel consumed more beats than it was given); "
                             f"see {log_path}")
    n = len(x_hw)
    layers = [read_frames(out_dir / f"layer{i}.txt", n, l.out_elems) for i, l in enumerate(accel.layers)]
    result = CsimResult(read_frames(out_dir / "top.txt", n, accel.out_features),
                        read_frames(out_dir / "kernel.txt", n, accel.out_features), layers, golden, n,
                        time.time() - t0, build, log_path)
    compare_with_golden(accel, result)
    return result
