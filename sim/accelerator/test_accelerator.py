"""Whole-accelerator cocotb bench over the Verilog stream harness (sbn_hw/verify/bench.py): the
simulator drives the input with random stalls, takes the output with random backpressure and
writes every layer's stream to a file; this bench only starts the phases and checks the files.

The data file (SBN_BENCH_DATA) holds the run's settings and its frames (the input words are also in
the harness' bench_in.mem); the accelerator description is the file meta["accelerator"]. Phase 1
streams frames with no stalls to measure cycles per frame; then EVERY frame is streamed with
random input stalls and output backpressure, every layer's stream recorded, in chunks of frames:
per chunk the golden model computes every layer's output of those frames, the captures are
checked against it and both are dropped, so memory stays bounded however many frames run (a CNN's
sliding-window streams alone are megabytes per frame). A mismatch names layer, frame, output and
bit; checking stops after the first chunk with one."""

import json
import os
import time
from pathlib import Path

import cocotb
import numpy as np
from cocotb.triggers import ClockCycles, RisingEdge, Timer

from sbn_hw.compile.accel import Accelerator
from sbn_hw.golden import GoldenMismatch, run_accelerator
from sbn_hw.verify.bench import OUTPUT_FILE, tap_file
from sbn_hw.verify.progress import write_progress
from sbn_hw.verify.scoreboard import check_stream, cycles_per_frame
from sbn_hw.verify.streams import hex_lines_to_words, words_to_frames

POLL_NS = 10 * 10_000  # the bench looks at the harness every 10,000 cycles of 10 ns ...
PROGRESS_EVERY = 100  # ... and updates the progress file every 100th look (1,000,000 cycles)


def read_words(path: Path, with_cycles: bool = False):
    """The harness' capture file: hex words, or "<cycle> <hex word>" lines."""
    words, cycles = [], []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if with_cycles:
                cycles.append(int(parts[0]))
            words.append(int(parts[-1], 16))
    return (words, cycles) if with_cycles else words


async def run_phase(dut, in_base: int, n_in: int, n_out: int, in_stall: float, out_stall: float, seed: int,
                    idle_limit: int, record: bool, progress=None) -> None:
    """Reset, then one harness phase to its end. Raises on a hang before every output word arrived;
    a layer stream that stops short after that is left to the per-layer check, which names it."""
    dut.start.value = 0
    dut.rst.value = 1
    await ClockCycles(dut.clk, 2)
    dut.rst.value = 0
    dut.record.value = int(record)
    dut.in_base.value, dut.n_in.value, dut.n_out.value = in_base, n_in, n_out
    dut.in_stall.value, dut.out_stall.value = min(65535, int(in_stall * 65536)), min(65535, int(out_stall * 65536))
    dut.seed.value = seed * 2654435761 % (1 << 32) or 1
    dut.idle_limit.value = idle_limit
    await RisingEdge(dut.clk)
    dut.start.value = 1
    # The harness runs the phase; Python wakes every POLL_NS to see whether it ended. Waiting on the
    # end signals' edges instead costs the simulator a value comparison per signal at every time
    # step (about a tenth of its time); the harness idles after its end, and the cycles it counts
    # stop there.
    looks = 0
    while not (int(dut.done.value) or int(dut.hung.value) or int(dut.file_error.value)):
        await Timer(POLL_NS, "ns")
        looks += 1
        if progress and looks % PROGRESS_EVERY == 0:
            progress(int(dut.out_count.value))
    dut.start.value = 0
    await RisingEdge(dut.clk)
    if int(dut.file_error.value):
        raise AssertionError("the harness could not open its capture files in the run directory (see "
                             "'sbn_accel_bench: cannot write' above): check that the build folder is writable")
    if int(dut.hung.value) and int(dut.out_count.value) == n_out:
        dut._log.warning(f"every output word arrived, then no layer stream moved for {idle_limit} cycles: a layer "
                         "stopped short of its words (the per-layer check below names it)")
    if int(dut.hung.value) and int(dut.out_count.value) < n_out:
        raise AssertionError(f"no stream handshake for {idle_limit} cycles after {int(dut.out_count.value)}/{n_out} "
                             f"output words ({int(dut.in_count.value)}/{n_in} input words accepted)")


def check_chunk(layers: list[dict], golden: list[np.ndarray], out_words: list[int], first_frame: int) -> list[str]:
    """Every layer's captured stream of one chunk against the golden model: the mismatches found."""
    mismatches = []
    for i, layer in enumerate(layers):
        got = hex_lines_to_words(Path(tap_file(i)).read_bytes()) if i < len(layers) - 1 else out_words
        try:
            check_stream(layer["name"], got, layer["pe"], layer["out_bits"], layer["out_signed"], golden[i], first_frame)
        except GoldenMismatch as e:
            mismatches.append(str(e))
    return mismatches


@cocotb.test()
async def accelerator_bit_exact(dut):
    z = np.load(os.environ["SBN_BENCH_DATA"])
    meta = json.loads(str(z["meta"]))
    x = z["x"]  # this run's frames, as the accelerator's input integers
    accel = Accelerator.load(meta["accelerator"])
    layers = meta["layers"]
    first, last = layers[0], layers[-1]
    n_frames, chunk = len(x), meta["chunk_frames"]
    words_per_frame_in, beats_out = first["sf"], last["nf"]
    # dut.clk runs by itself: the harness toggles it every 5 ns inside the simulator.

    # Phase 1: throughput with the stream always ready.
    n_tp = min(n_frames, meta["throughput_frames"])
    await run_phase(dut, 0, n_tp * words_per_frame_in, n_tp * beats_out, 0.0, 0.0, meta["seed"], meta["idle_limit"],
                    False)
    _, out_cycles = read_words(Path(OUTPUT_FILE), with_cycles=True)
    measured = cycles_per_frame(out_cycles, beats_out)

    # Then every frame, chunk by chunk, random stalls both sides, every layer's stream checked.
    def progress(frames_before: int):
        def report(out_words: int) -> None:
            try:
                write_progress(meta["progress_path"], frames_before + out_words // beats_out, n_frames)
            except OSError:  # progress is for the user's eyes: never fail a correct simulation over it
                pass
        return report

    outputs, golden_outputs, mismatches = [], [], []
    cycles, sim_seconds, start = 0, 0.0, time.time()
    mismatch_count = 0
    for c, a in enumerate(range(0, n_frames, chunk)):
        b = min(a + chunk, n_frames)
        golden = run_accelerator(accel, x[a:b])
        t_wall = time.time()
        try:
            await run_phase(dut, a * words_per_frame_in, (b - a) * words_per_frame_in, (b - a) * beats_out,
                            meta["in_stall"], meta["out_stall"], meta["seed"] + 1 + c, meta["idle_limit"], True,
                            progress(a))
        except AssertionError as e:
            raise AssertionError(f"{e}, in the run of frames {meta['first_frame'] + a} to "
                                 f"{meta['first_frame'] + b - 1}") from None
        cycles += int(dut.cycle.value)
        sim_seconds += time.time() - t_wall
        out_words = read_words(Path(OUTPUT_FILE))
        mismatches += check_chunk(layers, golden, out_words, meta["first_frame"] + a)
        out = words_to_frames(out_words, last["pe"], last["out_bits"], last["out_signed"], last["mh"])
        mismatch_count = -1 if mismatch_count < 0 or out.shape != golden[-1].shape else \
            mismatch_count + int(np.sum(out != golden[-1]))
        outputs.append(out)
        golden_outputs.append(golden[-1])
        del golden
        if mismatches:
            if b < n_frames:
                mismatches.append(f"checking stopped after frame {meta['first_frame'] + b - 1} (the chunk with the "
                                  f"first mismatch); frames {meta['first_frame'] + b} to "
                                  f"{meta['first_frame'] + n_frames - 1} were not run")
            break
    end = time.time()  # the checked run: simulation, golden model and checks; shards run side by side
    progress(0)(sum(len(o) for o in outputs) * beats_out)
    out = np.concatenate(outputs) if outputs else np.zeros((0, last["mh"]), np.int64)
    np.save(meta["outputs_path"], out)
    np.save(meta["golden_path"], np.concatenate(golden_outputs) if golden_outputs else out)
    result = {
        "frames": int(len(out)),
        "chunks": len(outputs),
        "cycles_per_frame_measured": measured,
        "cycles_total_phase2": cycles,
        "phase2_start": start,
        "phase2_end": end,
        "simulator_seconds": sim_seconds,
        "mismatch_count": mismatch_count,
        "mismatches": mismatches,
    }
    with open(meta["result_path"], "w") as f:
        json.dump(result, f)
    assert not mismatches, mismatches[0]
