"""The driver (sbn_hw.runtime.Accelerator) on the simulated twin: the shell RTL in Verilator behind
the AXI DMA register model and shared DDR (sbn_hw.runtime.simpynq, sim/runtime_twin). Outputs,
batching, async runs, throughput in simulated cycles and every error path."""

import numpy as np
import pytest

from sbn_hw.compile.accel import Accelerator as Description
from sbn_hw.compile.accel import LayerSpec
from sbn_hw.golden import run_accelerator
from sbn_hw.golden.executor import host_scores
from sbn_hw.runtime import (Accelerator, AcceleratorError, BitfileMismatch, DmaError, DmaTimeout, InputError)
from sbn_hw.runtime import simpynq
from sbn_hw.runtime.driver import Job
from sbn_hw.runtime.packing import pack_frames
from sbn_hw.runtime.describe import runtime_description
from sbn_hw.runtime.twin import write_twin


def signed_accelerator(seed: int = 0) -> Description:
    """INT4 inputs 12 -> 16 (int, thresholds, PE 4, SIMD 3: a 12-bit word on a 16-bit stream)
    -> 6 (and_act: signed integer outputs in [-16, 16], PE 2, SIMD 8: 12 bits on 16)."""
    rng = np.random.default_rng(seed)
    l0 = LayerSpec("L0", 12, 16, 4, 3, "int", -8, 7, rng.integers(0, 2, (16, 12)).astype(np.uint8),
                   rng.integers(-6, 7, 16).astype(np.int64), rng.integers(0, 2, 16).astype(bool))
    l1 = LayerSpec("L1", 16, 6, 2, 8, "and_act", 0, 1, rng.integers(0, 2, (6, 16)).astype(np.uint8))
    return Description((l0, l1), "INT4", 0.25, rng.uniform(0.5, 2, 6), rng.uniform(-1, 1, 6))


@pytest.fixture(scope="module")
def design():
    return signed_accelerator()


@pytest.fixture(scope="module")
def twin(design, tmp_path_factory):
    return write_twin(design, tmp_path_factory.mktemp("twin"))


@pytest.fixture(scope="module")
def acc(design, twin):
    with Accelerator(twin, runtime_description(design), target="sim", batch_size=16, timeout_s=2.0) as a:
        yield a


def frames(n: int, seed: int = 1) -> np.ndarray:
    x = np.random.default_rng(seed).integers(-8, 8, (n, 12))
    x[0], x[1] = -8, 7
    return x


def test_outputs_identical_to_golden(design, acc):
    x = frames(40)  # three DMA transfers of 16, 16 and 8 frames
    want = run_accelerator(design, x)[-1]
    assert want.min() < 0 < want.max() and len(np.unique(want, axis=0)) > 10  # signed and varied
    assert np.array_equal(acc.execute_integers(x), want)
    logits = acc.execute(x * 0.25)  # the user's floats, quantised by the driver
    assert np.array_equal(logits, host_scores(design, want))
    assert np.array_equal(acc.predict((x * 0.25).reshape(40, 12)), host_scores(design, want).argmax(1))
    assert acc.read_register("FRAMES_OUT") >= 80


def test_async_run_and_one_at_a_time(design, acc):
    x = frames(20, seed=2)
    job = acc.execute_async(x * 0.25)
    with pytest.raises(AcceleratorError, match="still in flight"):
        acc.execute_async(x * 0.25)
    assert np.array_equal(acc.wait(job, raw=True), run_accelerator(design, x)[-1])
    with pytest.raises(AcceleratorError, match="no such run"):
        acc.wait()


def test_throughput_in_simulated_cycles(design, acc):
    tp = acc.throughput_test(frames=16)
    assert tp["fclk[mhz]"] == 100.0 and tp["batch_size"] == 16
    # Steady state: one frame per initiation interval (the slowest layer's cycles), no DMA gaps.
    assert abs(tp["cycles_per_frame"] - design.cycles_per_frame) <= 0.05 * design.cycles_per_frame
    assert tp["latency_cycles"] > design.cycles_per_frame
    assert tp["cycles"] >= tp["latency_cycles"] + 15 * design.cycles_per_frame * 0.95
    assert tp["throughput[images/s]"] == pytest.approx(16 * 100e6 / tp["cycles"])
    assert tp["latency[us]"] == pytest.approx(tp["latency_cycles"] / 100)
    assert tp["DRAM_in_bandwidth[MB/s]"] == pytest.approx(16 * acc.in_frame_bytes / (tp["cycles"] / 100e6) / 1e6)


@pytest.mark.parametrize("x,err,match", [
    (np.zeros((4, 11)), InputError, r"shape \(4, 11\)"),
    (np.zeros(12), InputError, "single frame"),
    (np.array([["1"] * 12]), InputError, "dtype"),
    (np.full((2, 12), 0.1), InputError, "multiples of the input scale"),
    (np.full((2, 12), 2.0), InputError, r"outside INT4 \[-8, 7\]"),
])
def test_wrong_inputs_are_refused(acc, x, err, match):
    with pytest.raises(err, match=match):
        acc.execute(x)
    with pytest.raises(InputError, match="integer"):
        acc.execute_integers(np.zeros((2, 12)))  # floats where integers are due


def test_stalled_dma_times_out_and_recovers(design, acc):
    """The datapath held in reset takes no input: MM2S never finishes. The driver stops after
    timeout_s, names what it saw, resets, and the next run works."""
    acc.write_register("CONTROL", 2)
    with pytest.raises(DmaTimeout, match=r"did not finish within 2 s.*MM2S 0x0+ \(running\).*datapath held in reset"):
        acc.execute_integers(frames(4))
    x = frames(5, seed=3)
    assert np.array_equal(acc.execute_integers(x), run_accelerator(design, x)[-1])


def test_dma_decode_error_is_reported(acc):
    with pytest.raises(DmaError, match="decode error"):
        acc.mm2s.transfer(0x1000, 64)  # not in DDR
        while not acc.mm2s.done():
            pass
    acc._restart()


def test_s2mm_buffer_smaller_than_the_transfer_is_an_error(design, acc):
    """Two frames before TLAST into room for one: AXI DMA flags DMAIntErr; the driver names it."""
    x = frames(2, seed=4)
    inp = acc.desc["input"]
    acc._ensure_buffers(2)
    acc._in_buf[:2] = pack_frames(x, inp["per_word"], inp["elem_bits"], inp["word_width"] // 8)
    acc._in_buf.flush()
    acc.write_register("FRAMES_PER_XFER", 2)
    acc.s2mm.transfer(acc._out_buf.physical_address, acc.out_frame_bytes)
    acc.mm2s.transfer(acc._in_buf.physical_address, 2 * acc.in_frame_bytes)
    with pytest.raises(DmaError, match=r"S2MM .* internal error .*DMAIntErr"):
        acc._wait_dma(Job(x, 16))
    assert np.array_equal(acc.execute_integers(x), run_accelerator(design, x)[-1])  # reset and working


def test_buffers_behave_like_cacheable_memory(acc):
    """Without flush() the DMA would read stale DDR: the twin holds the driver to it."""
    buf = simpynq.allocate((4,), dtype=np.uint32)
    ddr = simpynq._current().mem
    off = buf.physical_address - simpynq._current().cfg["ddr_base"]
    buf[:] = [1, 2, 3, 4]
    assert not ddr[off:off + 16].any()
    buf.flush()
    assert ddr[off:off + 16].view(np.uint32).tolist() == [1, 2, 3, 4]
    ddr[off:off + 4] = 9
    assert buf[0] == 1
    buf.invalidate()
    assert buf[0] == 0x09090909
    buf.freebuffer()


def test_bitfile_of_another_accelerator_is_refused(twin):
    # Loading an overlay replaces the one `acc` holds (one PL, as on a board): these run last.
    other = signed_accelerator(seed=5)  # same shapes and widths, other weights
    with pytest.raises(BitfileMismatch, match="DESC_HASH 0x[0-9a-f]+ in the bitfile, 0x[0-9a-f]+ in the description"):
        Accelerator(twin, runtime_description(other), target="sim")
    refolded = other.with_folding([(4, 6), (1, 8)])  # 24-bit input words, 1 output per word
    with pytest.raises(BitfileMismatch, match="IN_WIDTH 0xc0010 in the bitfile, 0x180020 in the description.*OUT_WIDTH"):
        Accelerator(twin, runtime_description(refolded), target="sim")


def test_not_a_twin_or_no_bitfile(design, tmp_path):
    (tmp_path / "x.bit").write_text("not a twin")
    with pytest.raises(AcceleratorError, match="is not a simulated twin"):
        Accelerator(tmp_path / "x.bit", runtime_description(design), target="sim")
    with pytest.raises(AcceleratorError, match="no bitfile"):
        Accelerator(tmp_path / "none.bit", runtime_description(design), target="sim")
    with pytest.raises(AcceleratorError, match=r"batch_size must be in 1\.\."):
        Accelerator(tmp_path / "x.bit", runtime_description(design), target="sim", batch_size=0)
    with pytest.raises(AcceleratorError, match="unknown target"):
        Accelerator(tmp_path / "x.bit", runtime_description(design), target="fpga")
