"""The whole generated accelerator under Verilator (sbn_hw.verify.accelerator.simulate) for
descriptions that training never makes: an input threshold layer in front of the MVAUs, every
layer's stream checked against the golden model under random backpressure."""

import numpy as np
import pytest

from sbn_hw.verify.accelerator import simulate
from tests.hlsgen.accels import thresholded_input_accel


@pytest.mark.parametrize("bipolar", [True, False])
def test_input_threshold_layer_in_the_rtl_top(bipolar, tmp_path):
    accel, x = thresholded_input_accel(np.random.default_rng(11), bipolar, frames=40)
    seen = []
    r = simulate(accel, x, tmp_path, in_stall=0.3, out_stall=0.3, progress=lambda done, total: seen.append((done, total)))
    assert r.mismatch_count == 0 and r.frames == 40
    assert seen[-1] == (40, 40) and all(b[0] >= a[0] for a, b in zip(seen, seen[1:]))
    np.testing.assert_array_equal(r.outputs, r.golden_outputs)
    assert abs(r.cycles_per_frame - accel.cycles_per_frame) <= 0.05 * accel.cycles_per_frame


def conv_accel(rng: np.random.Generator, frames: int = 12, input_dtype: str = "UINT4", size: int = 10):
    """A small CNN as compile makes one: [window 3x3 -> int conv 8ch] -> max-pool 2 -> [window 3x3
    -> xnor conv 16ch] -> dense xnor 10, on size x size x 2 integer images (10: every map even; 11:
    the pool drops the 9x9 map's last row and column); thresholds placed inside the accumulators
    the frames really produce. Returns the accelerator and its frames."""
    from dataclasses import replace

    from sbn_hw.compile.accel import INPUT_DTYPES, Accelerator, LayerSpec, PoolSpec, WindowSpec
    from sbn_hw.golden.executor import accumulate, run_layer

    lo, hi = INPUT_DTYPES[input_dtype]
    h, w, c = size, size, 2
    m = size - 2  # the first conv's map
    x = rng.integers(lo, hi + 1, (frames, h * w * c))

    def thresholded(layer, cur):
        rows = cur.reshape(-1, layer.mw)
        acc = accumulate(layer, rows)
        t = np.array([np.quantile(acc[:, o], rng.uniform(0.3, 0.7), method="nearest") for o in range(layer.mh)])
        return replace(layer, thresholds=t.astype(np.int64), threshold_le=rng.integers(0, 2, layer.mh).astype(bool))

    layers, cur = [], x
    def add(layer):
        nonlocal cur
        layers.append(layer)
        cur = run_layer(layer, cur)

    add(WindowSpec("SWU_0", h, w, c, 3, 1, 2, lo, hi))
    add(thresholded(LayerSpec("MVAU_0", 18, 8, 2, 6, "int", lo, hi, rng.integers(0, 2, (8, 18)).astype(np.uint8),
                              vectors=m * m), cur))
    add(PoolSpec("Pool_0", m, m, 8, 2, 4, 0, 1))
    add(WindowSpec("SWU_1", 4, 4, 8, 3, 1, 8, 0, 1))
    add(thresholded(LayerSpec("MVAU_1", 72, 16, 4, 24, "xnor", 0, 1, rng.integers(0, 2, (16, 72)).astype(np.uint8),
                              vectors=4), cur))
    add(LayerSpec("MVAU_2", 64, 10, 5, 16, "xnor", 0, 1, rng.integers(0, 2, (10, 64)).astype(np.uint8)))
    return Accelerator(tuple(layers), input_dtype, 1.0, np.ones(10), np.zeros(10)), x


def test_conv_golden_is_torch_conv_and_pool():
    """The golden chain window -> MVAU(vectors) -> pool is a bipolar/integer conv2d and max-pool."""
    from dataclasses import replace

    import torch

    accel, x = conv_accel(np.random.default_rng(3), frames=4)
    from sbn_hw.golden.executor import accumulate, run_accelerator

    outs = run_accelerator(accel, x)
    win, mv0 = accel.layers[0], accel.layers[1]
    img = torch.tensor(x.reshape(4, 10, 10, 2), dtype=torch.float64).permute(0, 3, 1, 2)
    wt = torch.tensor((2 * mv0.weights.astype(np.int64) - 1).reshape(8, 3, 3, 2), dtype=torch.float64).permute(0, 3, 1, 2)
    conv = torch.nn.functional.conv2d(img, wt).permute(0, 2, 3, 1).reshape(4, -1).numpy()
    acc = accumulate(replace(mv0, vectors=1), outs[0].reshape(-1, 18)).reshape(4, -1)
    np.testing.assert_array_equal(acc, conv)
    pooled = torch.nn.functional.max_pool2d(torch.tensor(outs[1].reshape(4, 8, 8, 8), dtype=torch.float64)
                                            .permute(0, 3, 1, 2), 2).permute(0, 2, 3, 1).reshape(4, -1).numpy()
    np.testing.assert_array_equal(outs[2], pooled)


@pytest.mark.parametrize("stall,size,full_rtl", [(0.0, 10, False), (0.3, 10, False), (0.3, 11, False), (0.3, 10, True)])
def test_conv_accelerator_in_the_rtl_top(stall, size, full_rtl, tmp_path):
    """size 11: the pool drops the first conv's last row, so MVAU_0 is still sending the last
    frame's dropped words after the last output word: the harness waits for them (every layer's
    stream whole) before it ends the run. full_rtl: the popcounts as their LUT tables."""
    accel, x = conv_accel(np.random.default_rng(5), size=size)
    r = simulate(accel, x, tmp_path, in_stall=stall, out_stall=stall, full_rtl=full_rtl)
    assert r.full_rtl == full_rtl
    assert (tmp_path / "sim" / ("verilator-luts" if full_rtl else "verilator")).is_dir()
    assert r.mismatch_count == 0 and r.frames == len(x)
    np.testing.assert_array_equal(r.outputs, r.golden_outputs)
    assert abs(r.cycles_per_frame - accel.cycles_per_frame) <= 0.05 * accel.cycles_per_frame, \
        (r.cycles_per_frame, accel.cycles_per_frame)


def test_bench_data_is_stored_in_the_narrowest_type_that_holds_it():
    from sbn_hw.verify.accelerator import narrowest_ints

    for values, dtype in [([0, 1], np.int8), ([-128, 127], np.int8), ([-129], np.int16), ([40000], np.int32),
                          ([-(2**31) - 1], np.int64), ([], np.int8)]:
        got = narrowest_ints(np.array(values, np.int64))
        assert got.dtype == dtype and got.tolist() == values


def test_a_wrong_weight_inside_the_rtl_names_its_layer_and_frame(tmp_path, monkeypatch):
    """The harness records every layer's stream: one flipped weight bit of MVAU_1 (a middle layer)
    is reported at MVAU_1, with the frame and the output, not just as a wrong final answer."""
    import sbn_hw.rtlgen.generate as gen
    from sbn_hw import SbnHwError

    accel, x = conv_accel(np.random.default_rng(5))
    original = gen.weight_words

    def corrupt(layer):
        words = original(layer)
        if layer.name == "MVAU_1":
            words[0] = f"{int(words[0], 16) ^ 1:0{len(words[0])}x}"
        return words

    monkeypatch.setattr(gen, "weight_words", corrupt)
    with pytest.raises(SbnHwError, match=r"RTL does not match the golden model: layer MVAU_1: .*frame \d+"):
        simulate(accel, x, tmp_path, in_stall=0.3, out_stall=0.3)


def test_a_stuck_stream_is_reported_not_waited_for(tmp_path, monkeypatch):
    """A sink that never takes a word: the harness' liveness check ends the run with what moved."""
    import sbn_hw.verify.accelerator as sim
    from sbn_hw import SbnHwError

    accel, x = conv_accel(np.random.default_rng(5), frames=2)
    original = sim.bench_verilog

    def stuck_sink(*a):
        text = original(*a)
        assert "m_ready <= !out_done" in text  # the sink's ready, made never true below
        return text.replace("m_ready <= !out_done", "m_ready <= 1'b0 && !out_done")

    monkeypatch.setattr(sim, "bench_verilog", stuck_sink)
    with pytest.raises(SbnHwError, match=r"no stream handshake for \d+ cycles after 0/\d+ output words"):
        simulate(accel, x, tmp_path)


def test_shards_split_the_frames_evenly_and_never_empty():
    from sbn_hw.verify.accelerator import shard_bounds

    assert shard_bounds(10, 3) == [(0, 3), (3, 6), (6, 10)]
    assert shard_bounds(2, 8) == [(0, 1), (1, 2)]
    assert shard_bounds(5, 1, 64) == [(0, 5)]
    assert shard_bounds(0, 4) == [(0, 0)]
    # The first also streams 64 frames to measure the throughput: 1,000 + 64 frames' work in two.
    assert shard_bounds(1000, 2, 64) == [(0, 468), (468, 1000)]
    # No more frames than the throughput run: one process (a second would only shorten that run).
    assert shard_bounds(30, 2, 64) == [(0, 30)]
    # The throughput process keeps at least its 64 frames where the others can each have one.
    assert shard_bounds(200, 8, 64) == [(0, 64)] + [(64 + 136 * k // 7, 64 + 136 * (k + 1) // 7) for k in range(7)]
    assert shard_bounds(65, 8, 64)[0] == (0, 58)
    for frames, jobs in [(7, 3), (100, 4), (3, 3), (65, 8), (129, 2)]:
        b = shard_bounds(frames, jobs, 64)
        assert b[0][0] == 0 and b[-1][1] == frames and all(lo < hi for lo, hi in b)
        assert all(x[1] == y[0] for x, y in zip(b, b[1:]))


def test_jobs_below_one_are_refused():
    from sbn_hw import SbnHwError
    from sbn_hw.verify.accelerator import check_jobs

    for bad in (0, -2):
        with pytest.raises(SbnHwError, match="--jobs must be a whole number of at least 1"):
            check_jobs(bad)


def test_two_simulator_processes_share_the_frames(tmp_path, monkeypatch):
    """jobs=2: one build, two simulators side by side, each on its share of the frames with its own
    stalls and every layer checked; the outputs come back in frame order and progress counts both.
    A bench setting exported in the shell does not reach the processes, and what an earlier run
    with more processes left is gone."""
    accel, x = conv_accel(np.random.default_rng(5), frames=12)
    monkeypatch.setenv("SBN_BENCH_DATA", str(tmp_path / "not-this-run.npz"))
    stale = tmp_path / "sim" / "shard5" / "result.json"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}")
    seen = []
    r = simulate(accel, x, tmp_path, in_stall=0.3, out_stall=0.3, jobs=2, throughput_frames=4,
                 progress=lambda d, t: seen.append((d, t)))
    assert r.jobs == 2 and r.frames == 12 and r.mismatch_count == 0
    np.testing.assert_array_equal(r.outputs, r.golden_outputs)
    assert all((tmp_path / "sim" / f"shard{k}" / "result.json").exists() for k in (0, 1)) and not stale.exists()
    assert seen[-1] == (12, 12)
    assert r.checked_cycles > 12 * accel.cycles_per_frame and r.checked_seconds > 0
    assert abs(r.cycles_per_frame - accel.cycles_per_frame) <= 0.05 * accel.cycles_per_frame


def test_a_mismatch_in_the_second_process_names_its_frame_among_all(tmp_path, monkeypatch):
    """Frames 4..11 are the second process's: frame 9 streamed into the RTL differs from the frame
    the golden model computes, and the report counts frame 9 over the whole run."""
    import sbn_hw.verify.accelerator as sim
    from sbn_hw import SbnHwError

    accel, x = conv_accel(np.random.default_rng(5), frames=12)
    assert sim.shard_bounds(12, 2, 4) == [(0, 4), (4, 12)]
    monkeypatch.setattr(sim, "frames_to_words", rtl_input_with_a_changed_frame(sim.frames_to_words, 8, 5))
    with pytest.raises(SbnHwError, match=r"RTL does not match the golden model: layer \w+: \d+ mismatches; first at frame 9,"):
        simulate(accel, x, tmp_path, jobs=2, throughput_frames=4)


def rtl_input_with_a_changed_frame(frames_to_words, run_frames: int, frame: int):
    """frames_to_words, but in the run of `run_frames` frames the RTL's input `frame` (counted in
    that run) has its first pixel changed: the golden model still sees the frame as it was."""
    def changed(frames, *a):
        if len(frames) == run_frames:
            frames = np.array(frames)
            frames[frame, 0] ^= 1
        return frames_to_words(frames, *a)
    return changed


def test_long_runs_are_checked_in_chunks_of_frames(tmp_path, monkeypatch):
    """With room for the golden streams of 3 frames at a time, 10 frames run as 4 chunks, one
    simulator: the outputs are every frame's, and a frame changed in the third chunk is named among
    all frames, with the frames not run after it."""
    import sbn_hw.verify.accelerator as sim
    from sbn_hw import SbnHwError
    from sbn_hw.golden import run_accelerator

    accel, x = conv_accel(np.random.default_rng(5), frames=10)
    golden = run_accelerator(accel, x[:1])
    per_frame = sum(o.nbytes for o in golden) + 9 * max(o.size for o in golden)
    monkeypatch.setattr(sim, "GOLDEN_CHUNK_BYTES", 3 * per_frame + 1)
    r = simulate(accel, x, tmp_path, in_stall=0.3, out_stall=0.3, throughput_frames=4)
    assert (r.frames, r.chunks, r.mismatch_count) == (10, 4, 0)
    np.testing.assert_array_equal(r.outputs, r.golden_outputs)
    np.testing.assert_array_equal(r.golden_outputs, run_accelerator(accel, x)[-1])
    assert r.checked_cycles > 10 * accel.cycles_per_frame and 0 < r.simulator_seconds <= r.checked_seconds

    monkeypatch.setattr(sim, "frames_to_words", rtl_input_with_a_changed_frame(sim.frames_to_words, 10, 7))
    with pytest.raises(SbnHwError, match=r"first at frame 7,.*checking stopped after frame 8 .*frames 9 to 9 were not run"):
        simulate(accel, x, tmp_path / "changed", throughput_frames=4)


def test_frames_outside_the_first_layers_range_are_refused_before_any_simulator_starts(tmp_path, monkeypatch):
    import sbn_hw.verify.accelerator as sim
    from sbn_hw import SbnHwError

    accel, x = conv_accel(np.random.default_rng(5), frames=3)
    x = np.array(x)
    x[2, 7] = 16  # UINT4 input
    monkeypatch.setattr(sim, "run_cocotb_parallel", lambda *a, **k: pytest.fail("a simulator started"))
    with pytest.raises(SbnHwError, match=r"input values outside \[0, 15\] \(got \[\d+, 16\]\); check --input-dtype"):
        simulate(accel, x, tmp_path)
