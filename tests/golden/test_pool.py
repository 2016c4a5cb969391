"""sbn_hw.golden.pool (the golden function of rtl/sbn_maxpool.v) against torch's max_pool2d, and
its error messages."""

import numpy as np
import pytest
import torch

from sbn_hw import SbnHwError
from sbn_hw.golden.pool import check_pool_folding, max_pool, pool_output_shape


def torch_max_pool(x: np.ndarray, k: int) -> np.ndarray:
    """NHWC integers through torch (NCHW, float64 holds these integers exactly)."""
    t = torch.from_numpy(x.astype(np.float64)).permute(0, 3, 1, 2)
    y = torch.nn.functional.max_pool2d(t, kernel_size=k)
    return y.permute(0, 2, 3, 1).numpy().astype(np.int64)


@pytest.mark.parametrize("h,w,c,k,lo,hi,dtype", [
    (4, 4, 8, 2, 0, 1, np.uint8),          # binary activations: max is OR
    (6, 6, 64, 2, 0, 1, np.uint8),         # CNV-like
    (5, 7, 3, 2, 0, 1, np.int64),          # odd sizes: the last row and column dropped
    (6, 6, 4, 3, -8, 7, np.int8),          # 4-bit two's complement
    (3, 5, 4, 1, 0, 3, np.int32),          # K = 1: identity
    (4, 4, 6, 4, -4, 3, np.int16),         # K = H = W: global max
    (9, 11, 2, 4, 0, 255, np.uint8),       # H, W not multiples of K, unequal drops
    (1, 5, 3, 1, -100, 100, np.int64),     # one-row map
])
def test_max_pool_matches_torch(h, w, c, k, lo, hi, dtype):
    rng = np.random.default_rng(h * 100 + w * 10 + k)
    x = rng.integers(lo, hi + 1, (3, h, w, c)).astype(dtype)
    y = max_pool(x, k)
    assert y.shape == (3, *pool_output_shape(h, w, k), c) == (3, h // k, w // k, c)
    assert y.dtype == x.dtype
    np.testing.assert_array_equal(y.astype(np.int64), torch_max_pool(x, k))


def test_one_bit_max_is_or_in_both_encodings():
    rng = np.random.default_rng(0)
    bits = rng.integers(0, 2, (2, 4, 6, 5)).astype(np.uint8)
    windows = bits.reshape(2, 2, 2, 3, 2, 5)
    ored = windows[:, :, 0, :, 0] | windows[:, :, 0, :, 1] | windows[:, :, 1, :, 0] | windows[:, :, 1, :, 1]
    np.testing.assert_array_equal(max_pool(bits, 2), ored)
    # bipolar reading (1 = +1, 0 = -1): the max of the +-1 values is the code of the OR
    np.testing.assert_array_equal(torch_max_pool(2 * bits.astype(np.int64) - 1, 2), 2 * ored.astype(np.int64) - 1)
    np.testing.assert_array_equal(max_pool(bits.astype(bool), 2), ored.astype(bool))


def test_output_shape_floor_mode():
    assert pool_output_shape(32, 32, 2) == (16, 16)
    assert pool_output_shape(5, 7, 2) == (2, 3)
    assert pool_output_shape(5, 7, 5) == (1, 1)
    assert pool_output_shape(np.int64(6), 6, np.int32(3)) == (2, 2)


@pytest.mark.parametrize("args,match", [
    ((4, 4, 0), r"window K must be at least 1, got 0 \(K is the window side and the stride\)"),
    ((4, 4, -2), r"window K must be at least 1"),
    ((4, 6, 5), r"window K=5 is larger than the 4 x 6 feature map.*use K <= 4"),
    ((6, 3, 4), r"window K=4 is larger than the 6 x 3 feature map.*use K <= 3"),
    ((0, 4, 1), r"feature map height must be at least 1"),
    ((4, 4, 2.0), r"window K must be an integer, got 2.0"),
    ((4, 4, True), r"window K must be an integer"),
])
def test_output_shape_errors(args, match):
    with pytest.raises(SbnHwError, match=match):
        pool_output_shape(*args)


def test_max_pool_errors():
    x = np.zeros((1, 4, 4, 2), dtype=np.int64)
    with pytest.raises(SbnHwError, match=r"K=5 is larger than the 4 x 4 feature map"):
        max_pool(x, 5)
    with pytest.raises(SbnHwError, match=r"window K must be at least 1"):
        max_pool(x, 0)
    with pytest.raises(SbnHwError, match=r"expected an \(N, H, W, C\) feature map array, got shape \(4, 4, 2\)"):
        max_pool(x[0], 2)
    with pytest.raises(SbnHwError, match=r"integers after hardening, got dtype float32"):
        max_pool(x.astype(np.float32), 2)
    with pytest.raises(SbnHwError, match=r"no channels"):
        max_pool(np.zeros((1, 4, 4, 0), dtype=np.int64), 2)


def test_folding_checks():
    assert check_pool_folding(64, 64) == 1
    assert check_pool_folding(8, 4) == 2
    assert check_pool_folding(6, 3, ew=4, signed=True) == 2
    with pytest.raises(SbnHwError, match=r"PE=3 does not divide the 8 channels; choose PE from \[1, 2, 4, 8\]"):
        check_pool_folding(8, 3)
    with pytest.raises(SbnHwError, match=r"PE must be at least 1"):
        check_pool_folding(8, 0)
    with pytest.raises(SbnHwError, match=r"bipolar.*OR.*use signed=False"):
        check_pool_folding(8, 4, ew=1, signed=True)
