"""sbn_hw.golden.lab: the depthwise window sum equals torch's grouped conv with zero padding, the
border classes group exactly the positions that see the same taps, and the compare's direction."""

import numpy as np
import pytest
import torch

from sbn_hw import SbnHwError
from sbn_hw.golden.lab import border_classes, depthwise_sum, lab_bits


@pytest.mark.parametrize("h,w,k", [(6, 6, 3), (5, 7, 3), (4, 4, 5), (1, 1, 3), (2, 3, 3), (3, 3, 1)])
def test_depthwise_sum_is_a_zero_padded_grouped_conv(h, w, k):
    rng = np.random.default_rng(h * 10 + w)
    acc = rng.integers(-50, 50, (3, h, w, 4))
    taps = rng.integers(-7, 8, (4, k, k))
    want = torch.nn.functional.conv2d(torch.from_numpy(acc.transpose(0, 3, 1, 2)).double(),
                                      torch.from_numpy(taps).double().unsqueeze(1), padding=k // 2, groups=4)
    assert np.array_equal(depthwise_sum(acc, taps), want.numpy().transpose(0, 2, 3, 1).astype(np.int64))


@pytest.mark.parametrize("size,k", [(6, 3), (4, 5), (1, 3), (2, 3), (5, 1), (3, 5)])
def test_positions_of_one_border_class_see_the_same_taps(size, k):
    r = k // 2
    inside = [tuple(0 <= p + d < size for d in range(-r, r + 1)) for p in range(size)]
    classes = border_classes(size, k)
    assert classes.min() >= 0 and classes.max() <= 2 * r
    for a in range(size):
        for b in range(size):
            assert (classes[a] == classes[b]) == (inside[a] == inside[b])


def test_thresholds_per_class_and_direction():
    acc = np.ones((1, 3, 3, 2), dtype=np.int64)
    taps = np.ones((2, 3, 3), dtype=np.int64)  # S = number of taps inside: 4 corner, 6 edge, 9 centre
    t = np.full((2, 3, 3), 6)
    bits = lab_bits(acc, taps, t, np.array([False, True]))
    s = np.array([[4, 6, 4], [6, 9, 6], [4, 6, 4]])
    assert np.array_equal(bits[0, :, :, 0], (s >= 6).astype(int))
    assert np.array_equal(bits[0, :, :, 1], (s <= 6).astype(int))


def test_shapes_are_checked():
    with pytest.raises(SbnHwError, match="expected an"):
        depthwise_sum(np.zeros((2, 3, 3)), np.zeros((1, 3, 3)))
