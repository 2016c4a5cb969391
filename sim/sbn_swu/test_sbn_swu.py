"""cocotb bench for rtl/sbn_swu.v: random NHWC frames streamed back to back, every output word
compared with the golden window stream (sbn_hw.golden.window), with no stalls (and the steady-state
cycles per frame measured against max(input, output) words per frame), under random input stalls
and output backpressure, and after a reset in the middle of a frame.

Configuration from the environment (tests/rtl/test_sbn_swu.py sets it): SBN_EW, SBN_C, SBN_SIMD,
SBN_H, SBN_W, SBN_K, SBN_S; SBN_FRAMES (frames per stalled run), SBN_PERF_FRAMES (frames of the
stall-free run), SBN_DEPTH (the DEPTH parameter; 0 = automatic), SBN_PERF_CHECK (1: assert the
throughput bound), SBN_CORRUPT (1: flip one golden bit, to show that a mismatch is reported)."""

import json
import os
import random

import cocotb
import numpy as np
from cocotb.triggers import RisingEdge

from sbn_hw.golden.window import check_window_stream, pack_words, swu_buffer_depth, window_output_shape
from sbn_hw.verify.axis import reset, run_streams, start_clock
from sbn_hw.verify.scoreboard import cycles_per_frame


def cfg() -> dict:
    e = os.environ
    c = {k: int(e[f"SBN_{k.upper()}"]) for k in ("ew", "c", "simd", "h", "w", "k", "s")}
    c["frames"] = int(e.get("SBN_FRAMES", "3"))
    c["perf_frames"] = int(e.get("SBN_PERF_FRAMES", "4"))
    c["depth"] = int(e.get("SBN_DEPTH", "0"))
    c["perf_check"] = e.get("SBN_PERF_CHECK", "1") == "1"
    c["corrupt"] = e.get("SBN_CORRUPT", "0") == "1"
    oh, ow = window_output_shape(c["h"], c["w"], c["k"], c["s"])
    cf = c["c"] // c["simd"]
    c["in_per_frame"] = c["h"] * c["w"] * cf
    c["out_per_frame"] = oh * ow * c["k"] * c["k"] * cf
    return c


def frames(c: dict, n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 1 << c["ew"], (n, c["h"], c["w"], c["c"]))


def input_words(c: dict, x: np.ndarray) -> list[int]:
    """NHWC frames -> the input stream: pixel after pixel, each as C/SIMD words of SIMD elements."""
    return pack_words(x.reshape(-1, c["simd"]), c["ew"])


def check(c: dict, got: list[int], x: np.ndarray) -> None:
    if c["corrupt"]:  # the bench must be able to fail: flip one bit of one word in the middle
        got = list(got)
        i = len(got) // 2 + 1
        got[i] ^= 1 << (c["simd"] * c["ew"] - 1)
    check_window_stream("sbn_swu", got, x, c["k"], c["s"], c["simd"], c["ew"])


async def no_extra_output(dut, cycles: int) -> None:
    """After the last expected word the unit must not emit anything more (with no new input)."""
    dut.m_axis_tready.value = 1
    for _ in range(cycles):
        await RisingEdge(dut.clk)
        assert not int(dut.m_axis_tvalid.value), "sbn_swu emitted a word beyond the expected frames"
    dut.m_axis_tready.value = 0


async def send_rest(dut, words: list[int], limit: int = 10_000) -> None:
    """Send input words no window uses (the image's last columns/rows when STRIDE does not fit it):
    run_streams stops at the last output word, possibly before them, and the next run's frames
    must start on a frame boundary."""
    for w in words:
        dut.s_axis_tdata.value = w
        dut.s_axis_tvalid.value = 1
        for _ in range(limit):
            await RisingEdge(dut.clk)
            if int(dut.s_axis_tready.value):
                break
        else:
            raise AssertionError(f"sbn_swu did not accept a trailing input word in {limit} cycles")
    dut.s_axis_tvalid.value = 0


async def run_frames(dut, c: dict, x: np.ndarray, seed: int, in_stall: float, out_stall: float):
    words = input_words(c, x)
    res = await run_streams(dut, words, len(x) * c["out_per_frame"], random.Random(seed), in_stall, out_stall,
                            taps=["s_axis"])
    await send_rest(dut, words[len(res.taps["s_axis"]):])
    check(c, res.out_words, x)
    await no_extra_output(dut, 2 * c["k"] * c["w"] * (c["c"] // c["simd"]) + 16)
    return res


async def start(dut) -> dict:
    c = cfg()
    start_clock(dut)
    await reset(dut)
    return c


@cocotb.test()
async def throughput_without_stalls(dut):
    """Frames back to back from an always-valid source into an always-ready sink: exact output, and
    steady-state cycles per frame close to max(input words, output words) per frame."""
    c = await start(dut)
    n = c["perf_frames"]
    res = await run_frames(dut, c, frames(c, n, 1), 2, 0.0, 0.0)
    measured = cycles_per_frame(res.out_cycles, c["out_per_frame"])
    bound = max(c["in_per_frame"], c["out_per_frame"])
    limit = max(1.05 * bound, bound + 8)  # 5%, or a few cycles for tiny frames
    depth = swu_buffer_depth(c["h"], c["w"], c["c"], c["simd"], c["k"], c["s"]) if c["depth"] == 0 else c["depth"]
    line = (f"sbn_swu EW={c['ew']} C={c['c']} SIMD={c['simd']} H={c['h']} W={c['w']} K={c['k']} S={c['s']}: "
            f"{measured:.1f} cycles/frame, bound {bound} (in {c['in_per_frame']}, out {c['out_per_frame']}), "
            f"ratio {measured / bound:.4f}, buffer {depth} words")
    dut._log.info(line)
    with open("perf.json", "w") as f:
        json.dump({"line": line, "measured": measured, "bound": bound, "depth": depth}, f)
    assert measured >= bound, f"faster than one word per cycle on a port? {line}"
    if c["perf_check"] and c["out_per_frame"] > c["in_per_frame"]:
        # Output-bound: the next frame's input flows in while this frame's last windows go out.
        in_cycles = res.tap_cycles["s_axis"]
        for f in range(n - 1):
            first_in, last_out = in_cycles[(f + 1) * c["in_per_frame"]], res.out_cycles[(f + 1) * c["out_per_frame"] - 1]
            assert first_in < last_out, f"frame {f + 1}'s input waited for frame {f}'s output to drain: {line}"
    if c["perf_check"]:
        assert measured <= limit, f"too slow (limit {limit:.1f}): {line}"


@cocotb.test()
async def buffer_depth_matches_the_python_formula(dut):
    """BUF_DEPTH (the RAM's words) is what sbn_hw.golden.window.swu_buffer_depth says."""
    c = await start(dut)
    want = swu_buffer_depth(c["h"], c["w"], c["c"], c["simd"], c["k"], c["s"]) if c["depth"] == 0 else c["depth"]
    got = int(dut.BUF_DEPTH.value)
    assert got == want, f"BUF_DEPTH {got} != {want}"


@cocotb.test()
async def stalls_and_backpressure(dut):
    c = await start(dut)
    # Both stalled; sink slow (the buffer fills); source slow; source starved (gaps longer than a
    # window's read-out, which catches a window read before its last word is in).
    for i, (in_stall, out_stall) in enumerate(((0.3, 0.5), (0.0, 0.8), (0.8, 0.0), (0.95, 0.0))):
        await run_frames(dut, c, frames(c, c["frames"], 10 + i), 20 + i, in_stall, out_stall)


@cocotb.test()
async def reset_mid_frame(dut):
    """Stop in the middle of a frame (output pending), reset, then a clean run must be exact."""
    c = await start(dut)
    per = c["in_per_frame"]
    for i, stop in enumerate((per + per // 2, max(1, per // 3))):
        x = frames(c, 3, 30 + i)
        await run_streams(dut, input_words(c, x), len(x) * c["out_per_frame"], random.Random(40 + i), 0.2, 0.5,
                          stop_after_in=stop)
        await reset(dut)
        await run_frames(dut, c, frames(c, c["frames"], 50 + i), 60 + i, 0.3, 0.3)


@cocotb.test()
async def s_ready_does_not_follow_m_ready(dut):
    """No combinational path from m_axis_tready to s_axis_tready: toggling the sink's ready within
    a cycle leaves the source's ready alone (the output queue is the skid buffer)."""
    from cocotb.triggers import FallingEdge, Timer

    c = await start(dut)
    span = ((c["k"] - 1) * c["w"] + c["k"]) * (c["c"] // c["simd"])
    x = frames(c, 2, 70)
    # A window complete and its words queued, the sink not taking them.
    await run_streams(dut, input_words(c, x), len(x) * c["out_per_frame"], random.Random(71), 0.0, 1.0, stop_after_in=span)
    dut.s_axis_tvalid.value = 1
    for i in range(20):
        await FallingEdge(dut.clk)
        before = int(dut.s_axis_tready.value)
        dut.m_axis_tready.value = i % 2
        await Timer(1, "ns")
        assert int(dut.s_axis_tready.value) == before, f"s_axis_tready followed m_axis_tready at cycle {i}"
    dut.s_axis_tvalid.value = 0
