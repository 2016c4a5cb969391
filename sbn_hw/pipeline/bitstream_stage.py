"""`sbn-hw bitstream --board <PYNQ board>`: the Vivado flow as a stage of a build directory.

Writes DIR/bitstream/vivado/ (sbn_hw.flows.vivado; with --backend hls also the HLS C++ that
Vitis HLS turns into the kernel inside the same shell); with `vivado` on PATH runs it and records
utilisation and timing from its reports, with <name>.bit and <name>.hwh in DIR/bitstream/;
without, records "vivado": "not run" and the command to run on a machine that has Vivado.
DIR/bitstream/stage.json is written last, so a folder without it is not a finished bitstream.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from sbn_hw import SbnHwError
from sbn_hw.boards import load_board
from sbn_hw.compile.accel import Accelerator
from sbn_hw.flows.vivado import (PL_CLOCKS, VIVADO_VERSIONS, parse_reports, run_vivado, write_vivado_project)
from sbn_hw.pipeline.builddir import BuildDir
from sbn_hw.rtlgen.shell import BACKENDS

STAGE = "bitstream"


def _clear_outputs(stage_dir: Path) -> None:
    """Results of an earlier run go before anything is written (BuildDir.begin drops the record)."""
    for pattern in ("*.bit", "*.hwh"):
        for f in stage_dir.glob(pattern):
            f.unlink()
    shutil.rmtree(stage_dir / "reports", ignore_errors=True)


def vitis_hls_available() -> bool:
    """What flows/vivado/hls_synth.tcl will look for: $SBN_VITIS_HLS, vitis_hls or vitis-run."""
    return bool(os.environ.get("SBN_VITIS_HLS")) or any(shutil.which(x) for x in ("vitis_hls", "vitis-run"))


def run_bitstream_vivado(out: Path, board_name: str, clock_mhz: float | None = None, vivado: str | None = None,
                         log=print, backend: str = "rtl") -> dict:
    """Vivado flow for `board_name` (a name in boards/ or a board JSON path) on the compiled
    build OUT. vivado: the executable (default: `vivado` on PATH; none -> scripts only).
    backend: "rtl" (the generated Verilog) or "hls" (the Vitis HLS kernel, same shell and driver)."""
    board = load_board(board_name)
    if board.flow != "vivado":
        raise SbnHwError(f"board '{board.name}' uses the {board.flow} flow, not Vivado")
    if clock_mhz is not None and not clock_mhz > 0:
        raise SbnHwError(f"clock must be > 0 MHz, got {clock_mhz}")
    if backend not in BACKENDS:
        raise SbnHwError(f"unknown backend '{backend}': choose one of {', '.join(BACKENDS)}")
    exe = vivado or shutil.which("vivado")
    if exe and backend == "hls" and not vitis_hls_available():
        raise SbnHwError("--backend hls runs Vitis HLS before Vivado, and neither vitis_hls nor vitis-run is on PATH: "
                         "add Vitis HLS to PATH (settings64.sh of Vitis), set SBN_VITIS_HLS, or use --backend rtl")
    bd = BuildDir(out)
    crec = bd.record("compile", required_by="bitstream")
    accel = Accelerator.load(crec["accelerator"])
    stage_dir = bd.begin(STAGE)
    _clear_outputs(stage_dir)
    written = write_vivado_project(Path(out), board, accel.name, accel, clock_mhz, backend)
    settings = written["settings"]
    rec = {"backend": backend, "board": board.name, "part": board.part, "board_part": board.board_part, "ps": board.ps,
           "clock_mhz": settings["clock_mhz"], "flow": "vivado", "vivado_versions": VIVADO_VERSIONS,
           "scripts": written["vivado_dir"], "command": written["command"],
           "overlay": {"bitfile": f"{accel.name}.bit", "hwh": f"{accel.name}.hwh", "accelerator": settings["accel_cell"],
                       "dma": settings["dma_cell"], "ip_vlnv": settings["ip_vlnv"]}}
    if not exe:
        needs = f"Vivado {VIVADO_VERSIONS}" + (" and Vitis HLS" if backend == "hls" else "")
        log(f"Vivado is not on PATH: the scripts are in {written['vivado_dir']}; on a machine with {needs} run:\n"
            f"  {written['command']}")
        rec["vivado"] = "not run"
        bd.finish(STAGE, rec)
        return rec
    t0 = time.time()
    log(f"running Vivado for {board.name} ({board.part}); log: {stage_dir / 'vivado_run.log'}")
    run_vivado(exe, Path(written["vivado_dir"]), stage_dir / "vivado_run.log")
    bit, hwh = stage_dir / f"{accel.name}.bit", stage_dir / f"{accel.name}.hwh"
    if not (bit.is_file() and hwh.is_file()):
        raise SbnHwError(f"Vivado finished but {bit.name} / {hwh.name} are not in {stage_dir}")
    rec.update({"vivado": "run", "seconds": time.time() - t0, "bitfile": str(bit), "hwh": str(hwh),
                **parse_reports(stage_dir / "reports", PL_CLOCKS[board.ps])})
    bd.finish(STAGE, rec)
    return rec

