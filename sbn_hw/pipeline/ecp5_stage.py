"""`sbn-hw bitstream --board <open-flow board>` (the ULX3S): the open ECP5 flow as a side run
of a build directory.

Two place-and-route runs, both real:
- the accelerator alone (sbn_accel_top in a harness with registered, narrowed ports; nextpnr
  places its few I/O itself) at a demanding
  target, whose achieved clock is the accelerator's Fmax ("fmax_mhz" -> "core");
- the board bitstream: the accelerator behind the UART bridge (rtl/sbn_uart_bridge.v) with the
  board's pins, clocked through the ECP5 PLL, packed by ecppack into DIR/bitstream/<name>.bit
  ("fmax_mhz" -> "top", against the clock it runs at).
Everything is written under DIR/bitstream/ecp5/; DIR/bitstream/stage.json is written last.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from sbn_hw import SbnHwError
from sbn_hw.boards import load_board
from sbn_hw.compile.accel import Accelerator
from sbn_hw.flows import ecp5
from sbn_hw.pipeline.builddir import BuildDir
from sbn_hw.rtlgen.generate import RTL_LIBRARY, TOP_NAME, _write_lines, generate_rtl

STAGE = "bitstream"
# The out-of-context run's target: nextpnr places and routes for the clock it is asked for, so the
# accelerator alone is asked for the goal and reports what it reaches.
CORE_TARGET_MHZ = 150.0


def accelerator_fmax(accel: Accelerator, directory: Path, board, target_mhz: float = CORE_TARGET_MHZ,
                     levels_per_stage: int | None = None, log=print) -> dict:
    """The accelerator top alone through synth_ecp5 and nextpnr-ecp5: inside a harness that
    registers its ports and narrows its streams to single pins (ecp5.timing_top_verilog), placed
    by nextpnr without pin constraints.
    Returns {"fmax_mhz", "target_mhz", "utilisation", "critical_path", "seconds"}."""
    kw = {} if levels_per_stage is None else {"levels_per_stage": levels_per_stage}
    rtl = generate_rtl(accel, directory, **kw)
    first, last = accel.layers[0], accel.layers[-1]
    harness = Path(directory) / f"{ecp5.TIMING_TOP}.v"
    _write_lines(harness, ecp5.timing_top_verilog(first.simd * first.in_bits, last.pe * last.out_bits,
                                                  rtl.top).splitlines())
    t0 = time.time()
    log(f"  synth_ecp5 of the accelerator alone ({directory})")
    syn = ecp5.synthesize(directory, [s.name for s in rtl.sources] + [harness.name], ecp5.TIMING_TOP, "core")
    log(f"  nextpnr-ecp5 out of context, target {target_mhz:g} MHz")
    pnr = ecp5.place_and_route(directory, board, target_mhz, "core")
    clock, fmax = ecp5.slowest_clock(pnr)
    return {"fmax_mhz": fmax, "target_mhz": target_mhz, "utilisation": pnr["utilisation"],
            "critical_path": pnr.get("critical_path"), "synth_cells": syn["cells"],
            "seconds": round(time.time() - t0, 1)}


def _check(board, clock_mhz: float | None, baud: int) -> None:
    if board.flow != "open" or board.family != "ecp5":
        raise SbnHwError(f"board '{board.name}' uses the {board.flow} flow ({board.family}), not the open ECP5 flow")
    if clock_mhz is not None and not clock_mhz > 0:
        raise SbnHwError(f"clock must be > 0 MHz, got {clock_mhz}")
    ecp5.uart_divider(clock_mhz or ecp5.DEFAULT_CLOCK_MHZ, baud)


def run_bitstream_ecp5(out: Path, board_name: str, clock_mhz: float | None = None, log=print,
                       baud: int = ecp5.DEFAULT_BAUD) -> dict:
    """Open ECP5 flow for `board_name` (boards/<name>.json with "flow": "open", or a JSON path) on
    the compiled build OUT. clock_mhz: the accelerator's clock on the board (default
    DEFAULT_CLOCK_MHZ, made from the board clock by the PLL; the board clock itself uses no PLL).
    Returns the record written to OUT/bitstream/stage.json."""
    board = load_board(board_name)
    _check(board, clock_mhz, baud)
    bd = BuildDir(out)
    crec = bd.record("compile", required_by="bitstream")
    accel = Accelerator.load(crec["accelerator"])
    for tool in (ecp5.nextpnr_command, ecp5.ecppack_command):
        tool()  # a missing tool stops here, before the build is touched
    stage_dir = bd.begin(STAGE)
    for f in stage_dir.glob("*.bit"):
        f.unlink()
    work = stage_dir / "ecp5"
    shutil.rmtree(work, ignore_errors=True)
    t0 = time.time()

    # 1. The accelerator alone: its own Fmax.
    log(f"bitstream (open ECP5 flow) for {board.name} ({board.part}); work folder {work}")
    core = accelerator_fmax(accel, work / "core", board, log=log)
    log(f"  accelerator alone: Fmax {core['fmax_mhz']:.1f} MHz (target {core['target_mhz']:g}); "
        f"{core['utilisation'].get('lut4', 0):,} LUT4, {core['utilisation'].get('ff', 0):,} FF, "
        f"{core['utilisation'].get('ebr', 0)} EBR")

    # 2. The board design: PLL + reset + UART bridge + accelerator, on the board's pins.
    top_dir = work / "top"
    rtl = generate_rtl(accel, top_dir)
    board_clock = float(board.clock_mhz)
    clock_port = next(k for k in board.pins if k.startswith("clk"))
    want = float(clock_mhz or ecp5.DEFAULT_CLOCK_MHZ)
    pll = abs(want - board_clock) > 1e-9
    sources = [s.name for s in rtl.sources]
    if pll:
        made = ecp5.make_pll(top_dir, board_clock, want)
        clock = made["clock_mhz"]
        sources.append(made["file"])
        log(f"  PLL: {board_clock:g} MHz -> {clock:g} MHz (ecppll)")
    else:
        clock = board_clock
    uart = ecp5.uart_divider(clock, baud)
    for f in ecp5.BRIDGE_FILES:
        shutil.copyfile(RTL_LIBRARY / f, top_dir / f)
    sources += list(ecp5.BRIDGE_FILES)
    first, last = accel.layers[0], accel.layers[-1]
    in_w, out_w = first.simd * first.in_bits, last.pe * last.out_bits
    n_led = len(board.pins["led"]) if isinstance(board.pins["led"], list) else 1
    _write_lines(top_dir / f"{ecp5.UART_TOP}.v",
                 ecp5.uart_top_verilog(in_w, out_w, uart["clks_per_bit"], n_led, TOP_NAME).splitlines())
    _write_lines(top_dir / f"{ecp5.ECP5_TOP}.v", ecp5.ecp5_top_verilog(clock_port, n_led, pll).splitlines())
    sources += [f"{ecp5.UART_TOP}.v", f"{ecp5.ECP5_TOP}.v"]
    ports = {clock_port: clock_port, "uart_rx": "uart_rx", "uart_tx": "uart_tx", "led": "led"}
    (top_dir / "board.lpf").write_text(ecp5.lpf_text(board.pins, ports, {clock_port: board_clock}))
    log(f"  synth_ecp5 of the board top ({ecp5.ECP5_TOP}: UART {uart['baud']:,} baud, "
        f"{uart['clks_per_bit']} cycles per bit)")
    ecp5.synthesize(top_dir, sources, ecp5.ECP5_TOP, "top")
    log(f"  nextpnr-ecp5 with the board's pins ({board.package}, speed {board.speed}), clock {clock:g} MHz")
    pnr = ecp5.place_and_route(top_dir, board, clock, "top", lpf="board.lpf", textcfg=True)
    log("  ecppack")
    packed = ecp5.pack(top_dir, Path(pnr["config"]).name, "top.bit")
    _, top_fmax = ecp5.slowest_clock(pnr)
    clk_fmax = {k: v for k, v in pnr["fmax_mhz"].items()}
    met = all(pnr["fmax_mhz"][k] >= pnr["target_mhz"][k] for k in pnr["fmax_mhz"])
    if not met:  # a bitstream that misses timing is not one to load: no .bit, no record
        raise SbnHwError(f"the board design misses timing at {clock:g} MHz (Fmax {top_fmax:.1f} MHz; the work files "
                         f"are in {work}): choose a lower --clock-mhz")
    bit = stage_dir / f"{accel.name}.bit"
    shutil.copyfile(packed["bitfile"], bit)
    rec = {
        "board": board.name, "part": board.part, "flow": "open-ecp5",
        "device": board.device, "package": board.package, "speed": board.speed,
        "clock_mhz": clock, "board_clock_mhz": board_clock, "pll": pll,
        "fmax_mhz": {"core": core["fmax_mhz"], "top": top_fmax},
        "fmax_by_clock_mhz": clk_fmax, "timing_met": met,
        "core_target_mhz": core["target_mhz"],
        "utilisation": {"core": core["utilisation"], "top": pnr["utilisation"]},
        "available": pnr["available"],
        "critical_path": {"core": core["critical_path"], "top": pnr.get("critical_path")},
        "uart": {**uart, "bytes_per_input_word": ecp5.stream_bytes(in_w),
                 "bytes_per_output_word": ecp5.stream_bytes(out_w),
                 "bytes_in_per_frame": ecp5.stream_bytes(in_w) * first.in_words,
                 "bytes_out_per_frame": ecp5.stream_bytes(out_w) * last.out_words,
                 "reset": "UART break"},
        "bitfile": str(bit), "bit_bytes": packed["bytes"],
        "tools": ecp5.tool_versions(), "work_dir": str(work), "seconds": round(time.time() - t0, 1),
    }
    log(f"  {bit} ({packed['bytes']:,} bytes): timing met at {clock:g} MHz (Fmax {top_fmax:.1f} MHz); "
        f"accelerator alone {core['fmax_mhz']:.1f} MHz")
    bd.finish(STAGE, rec)
    return rec
