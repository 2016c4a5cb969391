"""The golden model is the contract: check its algebra, and that it is bit-identical to FINN and
QONNX execution on every frame."""

import numpy as np
import pytest
import torch

from sbn_hw.compile.finn_frontend import finn_hw_to_accelerator, qonnx_to_finn_hw
from sbn_hw.export import load_onnx, run_qonnx
from sbn_hw.golden import GoldenMismatch, compare_layer_outputs, run_accelerator
from sbn_hw.golden.executor import host_scores, xnor_popcount
from sbn_hw.compile.finn_exec import finn_layer_outputs
from tests.helpers import UserMLP, export_user_model, randomize_bn


@pytest.mark.parametrize("k", [1, 63, 64, 65, 200])
def test_xnor_popcount_is_bipolar_dot(k):
    rng = np.random.default_rng(k)
    a, w = rng.integers(0, 2, (7, k)), rng.integers(0, 2, (5, k))
    dot = (2 * a - 1) @ (2 * w - 1).T
    np.testing.assert_array_equal(2 * xnor_popcount(a.astype(np.uint8), w.astype(np.uint8)) - k, dot)


@pytest.mark.parametrize("dtype,scale,input_quant,dynamo", [
    ("UINT8", 1 / 255, False, False),
    ("BIPOLAR", 1.0, True, False),
    ("INT4", 0.25, False, False),
    ("UINT8", 1 / 255, False, True),  # torch's default exporter: Gemm nodes, external weights file
])
def test_golden_equals_finn_and_qonnx_every_frame(tmp_path, dtype, scale, input_quant, dynamo):
    torch.manual_seed(0)
    rng = np.random.default_rng(1)
    m = UserMLP([20, 16, 12, 5], input_quant=input_quant)
    randomize_bn(m, rng)
    path = export_user_model(m, 20, tmp_path / "m.onnx", dynamo=dynamo)
    finn = qonnx_to_finn_hw(load_onnx(path), dtype, scale)
    accel = finn_hw_to_accelerator(finn, dtype, scale)
    lo, hi = (0, 1) if dtype == "BIPOLAR" else {"UINT8": (0, 255), "INT4": (-8, 7)}[dtype]
    x = rng.integers(lo, hi + 1, (120, 20))
    golden = run_accelerator(accel, x)
    for layer, f, g in zip(accel.layers, finn_layer_outputs(finn, x, dtype), golden):
        compare_layer_outputs(layer.name, f, g)
    x_model = (2 * x - 1.0) if dtype == "BIPOLAR" else x * scale
    q = run_qonnx(load_onnx(path), x_model.astype(np.float32))
    np.testing.assert_allclose(host_scores(accel, golden[-1]), q, rtol=1e-4, atol=1e-4)


def test_mismatch_names_layer_frame_output_and_bit():
    want = np.zeros((3, 4), np.int64)
    got = want.copy()
    got[2, 1] = 4
    with pytest.raises(GoldenMismatch, match=r"layer MVAU_2: 1 mismatches; first at frame 2, output 1: got 4, golden 0 \(lowest differing bit 2\)"):
        compare_layer_outputs("MVAU_2", got, want)


@pytest.mark.parametrize("mode", ["xnor", "and_act", "and_w"])
def test_golden_works_in_chunks_with_the_same_result(monkeypatch, mode):
    """A full test set must run in bounded memory: the float copy of the rows (BLAS) and the
    (frames x outputs x words) intermediate (packed words) are built a chunk of frames at a time."""
    import sbn_hw.golden.executor as ex
    from sbn_hw.compile.accel import LayerSpec

    rng = np.random.default_rng(2)
    layer = LayerSpec("L", 200, 30, 1, 1, mode, 0, 1, rng.integers(0, 2, (30, 200)).astype(np.uint8))
    x = rng.integers(0, 2, (97, 200))
    whole = ex.run_layer(layer, x)
    calls = []
    real_rint, real_count = np.rint, np.bitwise_count
    monkeypatch.setattr(ex, "MATMUL_CHUNK_VALUES", 200 * 8)  # 8 frames per chunk
    monkeypatch.setattr(ex.np, "rint", lambda v: calls.append(v.shape) or real_rint(v))
    np.testing.assert_array_equal(ex.run_layer(layer, x), whole)
    assert len(calls) == 13 and max(c[0] for c in calls) == 8
    # The packed-word popcounts (any K) chunk the same way.
    packed = {"xnor": ex.xnor_popcount_packed, "and_act": ex.and_popcount_packed, "and_w": ex.and_popcount_packed}[mode]
    calls.clear()
    monkeypatch.setattr(ex, "CHUNK_WORDS", 30 * 4 * 8)  # 8 frames per chunk
    monkeypatch.setattr(ex.np, "bitwise_count", lambda v: calls.append(v.shape) or real_count(v))
    want = ex.xnor_popcount(x.astype(np.uint8), layer.weights) if mode == "xnor" else \
        ex.and_popcount(x.astype(np.uint8), layer.weights)
    calls.clear()
    np.testing.assert_array_equal(packed(x.astype(np.uint8), layer.weights), want)
    assert len(calls) == 13 and max(c[0] for c in calls) == 8


def test_multithreshold_counts_passed_thresholds_per_channel():
    from sbn_hw.golden.executor import multithreshold

    x = np.array([[0, 5, 9, 2], [3, 3, 3, 3]])
    t = np.array([[1, 5], [4, 9]])  # element i uses row i % 2
    np.testing.assert_array_equal(multithreshold(x, t, out_bias=-1), [[-1, 0, 1, -1], [0, -1, 0, -1]])
    np.testing.assert_array_equal(multithreshold(x, [[3]]), [[0, 1, 1, 0], [1, 1, 1, 1]])


def test_bits_stay_narrow_through_windows_and_convolutions():
    """A CNN's golden streams are megabytes per frame: an MVAU's bits are int8 and a sliding window
    keeps its input's type (their values: test_conv_golden_is_torch_conv_and_pool)."""
    from tests.verify.test_accelerator import conv_accel

    from sbn_hw.golden import run_accelerator

    accel, x = conv_accel(np.random.default_rng(5), frames=3)
    outs = run_accelerator(accel, x)
    for layer, out in zip(accel.layers, outs):
        if layer.kind == "mvau" and layer.has_thresholds:
            assert out.dtype == np.int8
    window = [i for i, l in enumerate(accel.layers) if l.kind == "window" and i > 0][0]
    assert outs[window].dtype == outs[window - 1].dtype == np.int8
    assert outs[-1].dtype == np.int64  # the last layer's accumulators


def test_exact_matmul_is_exact_through_blas_and_past_its_bound(monkeypatch):
    """exact_matmul equals the int64 product: through float32 BLAS (partial sums below 2^24), float64
    (below 2^53, here with sums near 2^52 where a float32 product would round), past that in int64;
    in chunks of rows as well as at once."""
    from sbn_hw.golden import executor
    from sbn_hw.golden.executor import FLOAT32_EXACT, FLOAT64_EXACT, exact_matmul

    rng = np.random.default_rng(5)
    w = (2 * rng.integers(0, 2, (7, 64)) - 1).astype(np.int8)
    for chunk in (executor.MATMUL_CHUNK_VALUES, 64 * 2):  # 2 rows at a time: 5 chunks, the last short
        monkeypatch.setattr(executor, "MATMUL_CHUNK_VALUES", chunk)
        for big in (255, (FLOAT32_EXACT - 1) // 64, FLOAT32_EXACT // 64 + 1, (FLOAT64_EXACT - 1) // 64, 1 << 50,
                    1 << 56):
            x = rng.integers(-big, big + 1, (9, 64), dtype=np.int64)
            x[0] = big  # a row at the bound: its sums reach 64 * big
            expect = x @ w.astype(np.int64).T
            got = exact_matmul(x, w)
            assert got.dtype == np.int64 and np.array_equal(got, expect), (big, chunk)


@pytest.mark.parametrize("k", [1, 63, 64, 65, 300])
def test_blas_popcounts_equal_the_packed_word_popcounts(k):
    """xnor_popcount and and_popcount (BLAS) equal the popcounts of XNOR and AND on packed words."""
    from sbn_hw.golden.executor import and_popcount, and_popcount_packed, xnor_popcount_packed

    rng = np.random.default_rng(k)
    a, w = rng.integers(0, 2, (11, k)).astype(np.uint8), rng.integers(0, 2, (5, k)).astype(np.uint8)
    np.testing.assert_array_equal(xnor_popcount(a, w), xnor_popcount_packed(a, w))
    np.testing.assert_array_equal(and_popcount(a, w), and_popcount_packed(a, w))
    np.testing.assert_array_equal(and_popcount(a, w), a.astype(np.int64) @ w.astype(np.int64).T)
