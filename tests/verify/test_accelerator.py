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
    r = simulate(accel, x, tmp_path, in_stall=0.3, out_stall=0.3)
    assert r.mismatch_count == 0 and r.frames == 40
    np.testing.assert_array_equal(r.outputs, r.golden[-1])
    assert abs(r.cycles_per_frame - accel.cycles_per_frame) <= 0.05 * accel.cycles_per_frame
