"""The algebra of the three encodings (docs/ENCODINGS.md) in the golden model."""

import numpy as np
import pytest

from sbn_hw.compile.accel import LayerSpec
from sbn_hw.golden import run_layer


@pytest.mark.parametrize("k", [1, 13, 64, 130])
def test_encodings_equal_their_dot_products(k):
    rng = np.random.default_rng(k)
    a, w = rng.integers(0, 2, (9, k)), rng.integers(0, 2, (4, k)).astype(np.uint8)
    bip_a, bip_w = 2 * a - 1, 2 * w.astype(np.int64) - 1
    xnor = run_layer(LayerSpec("x", k, 4, 1, 1, "xnor", 0, 1, w), a)
    np.testing.assert_array_equal(2 * xnor - k, bip_a @ bip_w.T)  # bipolar x bipolar
    and_act = run_layer(LayerSpec("a", k, 4, 1, 1, "and_act", 0, 1, w), a)
    np.testing.assert_array_equal(and_act, a @ bip_w.T)  # {0,1} act x bipolar weight
    and_w = run_layer(LayerSpec("w", k, 4, 1, 1, "and_w", 0, 1, w), a)
    np.testing.assert_array_equal(2 * and_w - w.sum(1), bip_a @ w.T.astype(np.int64))  # bipolar act x {0,1} weight
