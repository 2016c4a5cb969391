"""Whole-accelerator cocotb bench. The data file (SBN_BENCH_DATA) holds the input frames and the
golden model's output for every layer. Phase 1 streams frames with no stalls to measure cycles
per frame; phase 2 streams EVERY frame with random input stalls and output backpressure while
monitoring every layer's output stream, so a mismatch names layer, frame, output and bit."""

import json
import os
import random

import cocotb
import numpy as np

from sbn_hw.golden import GoldenMismatch
from sbn_hw.verify.axis import reset, run_streams, start_clock
from sbn_hw.verify.progress import write_progress
from sbn_hw.verify.scoreboard import check_stream, cycles_per_frame
from sbn_hw.verify.streams import frames_to_words, words_to_frames


@cocotb.test()
async def accelerator_bit_exact(dut):
    z = np.load(os.environ["SBN_BENCH_DATA"])
    meta = json.loads(str(z["meta"]))
    layers = meta["layers"]
    x = z["x"]
    golden = [z[f"y{i}"] for i in range(len(layers))]
    first, last = layers[0], layers[-1]
    words = frames_to_words(x, first["simd"], first["in_bits"])
    words_per_frame_in, beats_out = first["sf"], last["nf"]
    start_clock(dut)

    # Phase 1: throughput with the stream always ready.
    await reset(dut)
    n_tp = min(len(x), meta["throughput_frames"])
    res = await run_streams(dut, words[: n_tp * words_per_frame_in], n_tp * beats_out, random.Random(meta["seed"]),
                            idle_limit=meta["idle_limit"])
    measured = cycles_per_frame(res.out_cycles, beats_out)

    # Phase 2: every frame, random stalls both sides, every layer's stream checked.
    await reset(dut)
    taps = [f"l{i}_out" for i in range(len(layers) - 1)]

    def progress(out_words: int) -> None:
        try:
            write_progress(meta["progress_path"], out_words // beats_out, len(x))
        except OSError:  # progress is for the user's eyes: never fail a correct simulation over it
            pass

    res = await run_streams(dut, words, len(x) * beats_out, random.Random(meta["seed"] + 1),
                            meta["in_stall"], meta["out_stall"], taps=taps, idle_limit=meta["idle_limit"],
                            on_progress=progress)
    mismatches = []
    for i, layer in enumerate(layers):
        got = res.taps[f"l{i}_out"] if i < len(layers) - 1 else res.out_words
        try:
            check_stream(layer["name"], got, layer["pe"], layer["out_bits"], layer["out_signed"], golden[i])
        except GoldenMismatch as e:
            mismatches.append(str(e))
    out = words_to_frames(res.out_words, last["pe"], last["out_bits"], last["out_signed"], last["mh"])
    np.save(meta["outputs_path"], out)
    result = {
        "frames": int(len(out)),
        "cycles_per_frame_measured": measured,
        "cycles_total_phase2": res.cycles,
        "mismatch_count": int(np.sum(out != golden[-1])) if out.shape == golden[-1].shape else -1,
        "mismatches": mismatches,
    }
    with open(meta["result_path"], "w") as f:
        json.dump(result, f)
    assert not mismatches, mismatches[0]
