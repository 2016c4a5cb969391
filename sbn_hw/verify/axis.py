"""cocotb side: one clocked loop that drives an input stream with random stalls, drains the output
stream with random backpressure, and passively records any number of internal streams.
A single loop (rather than one coroutine per interface) keeps Python cost per cycle low."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

import cocotb
from cocotb.triggers import RisingEdge


class LivenessError(AssertionError):
    pass


class StreamProtocolError(AssertionError):
    """The unit broke an AXI-Stream rule on m_axis: a word offered (tvalid high) must stay, with the
    same tdata, until it is taken."""


@dataclass
class StreamResult:
    out_words: list[int] = field(default_factory=list)
    out_cycles: list[int] = field(default_factory=list)  # cycle of each output handshake
    taps: dict[str, list[int]] = field(default_factory=dict)
    tap_cycles: dict[str, list[int]] = field(default_factory=dict)
    cycles: int = 0


def _handle(dut, prefix: str):
    return getattr(dut, f"{prefix}_tdata"), getattr(dut, f"{prefix}_tvalid"), getattr(dut, f"{prefix}_tready")


async def run_streams(
    dut,
    in_words: list[int],
    expected_out: int,
    rng: random.Random,
    in_stall: float = 0.0,
    out_stall: float = 0.0,
    taps: list[str] = (),
    idle_limit: int = 10_000,
    stop_after_in: int | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> StreamResult:
    """Send `in_words` on s_axis, collect `expected_out` words from m_axis.

    in_stall / out_stall: probability per cycle of withholding tvalid / tready.
    taps: prefixes of internal streams to record (handshakes on <prefix>_tvalid & _tready).
    idle_limit: fail if for this many cycles no word was accepted on s_axis and none taken from
        m_axis while output is still due (a hang detector, not a latency bound). Every cycle counts,
        so a sink that is never ready or a source that never sends is caught too.
    stop_after_in: stop once this many input words were accepted (for reset-in-flight tests).
    on_progress: called with the number of output words so far, every 4,096 cycles and at the end.
    """
    s_data, s_valid, s_ready = dut.s_axis_tdata, dut.s_axis_tvalid, dut.s_axis_tready
    m_data, m_valid, m_ready = dut.m_axis_tdata, dut.m_axis_tvalid, dut.m_axis_tready
    tap_handles = {t: _handle(dut, t) for t in taps}
    res = StreamResult(taps={t: [] for t in taps}, tap_cycles={t: [] for t in taps})
    sent, idle, cycle = 0, 0, 0
    driving = False
    s_valid.value = 0
    m_ready.value = 0
    ready_now = False
    waiting = None  # the word m_axis offered and the sink did not take: it must be offered again
    while len(res.out_words) < expected_out:
        await RisingEdge(dut.clk)
        cycle += 1
        # Sample what happened at this edge (values from before it).
        idle += 1
        if driving and int(s_ready.value):
            sent += 1
            driving = False
            idle = 0
        word = int(m_data.value) if int(m_valid.value) else None  # the word m_axis offered, if any
        if waiting is not None:
            if word is None:
                raise StreamProtocolError(f"cycle {cycle}: m_axis_tvalid fell before the word offered "
                                          f"({len(res.out_words)} taken so far) was taken")
            if word != waiting:
                raise StreamProtocolError(f"cycle {cycle}: m_axis_tdata changed from {waiting:#x} to "
                                          f"{word:#x} while its word waited to be taken")
        waiting = word if not ready_now else None
        if ready_now and word is not None:
            res.out_words.append(word)
            res.out_cycles.append(cycle)
            idle = 0
        for name, (d, v, r) in tap_handles.items():
            if int(v.value) and int(r.value):
                res.taps[name].append(int(d.value))
                res.tap_cycles[name].append(cycle)
        if stop_after_in is not None and sent >= stop_after_in:
            break
        if on_progress is not None and not cycle & 4095:
            on_progress(len(res.out_words))
        if idle > idle_limit:
            raise LivenessError(
                f"no stream handshake for {idle_limit} cycles after {len(res.out_words)}/{expected_out} output words "
                f"({sent}/{len(in_words)} input words accepted)"
            )
        # Drive the next cycle.
        if not driving and sent < len(in_words) and rng.random() >= in_stall:
            s_data.value = in_words[sent]
            driving = True
        s_valid.value = int(driving)
        ready_now = rng.random() >= out_stall
        m_ready.value = int(ready_now)
    s_valid.value = 0
    m_ready.value = 0
    res.cycles = cycle
    if on_progress is not None:
        on_progress(len(res.out_words))
    return res


async def reset(dut, cycles: int = 2) -> None:
    dut.rst.value = 1
    dut.s_axis_tvalid.value = 0
    dut.m_axis_tready.value = 0
    for _ in range(cycles):
        await RisingEdge(dut.clk)
    dut.rst.value = 0
    await RisingEdge(dut.clk)


def start_clock(dut, period_ns: int = 10) -> None:
    from cocotb.clock import Clock

    cocotb.start_soon(Clock(dut.clk, period_ns, unit="ns").start())
