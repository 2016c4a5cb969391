"""Our binary-batch-norm thresholds (straight from the trained BN) equal FINN's streamlined ones,
including negative BN scale (FINN flips the weight row instead) and exact ties."""

import numpy as np
import pytest
import torch
from torch import nn

from sbn_hw.compile.accel import Accelerator, LayerSpec
from sbn_hw.compile.bbn import bn_sign_thresholds
from sbn_hw.compile.finn_frontend import finn_hw_to_accelerator, qonnx_to_finn_hw
from sbn_hw.export import load_onnx
from sbn_hw.golden import run_accelerator
from tests.helpers import UserMLP, export_user_model


def bn_params(bn: nn.BatchNorm1d):
    return (bn.weight.detach().numpy(), bn.bias.detach().numpy(), bn.running_mean.numpy(), bn.running_var.numpy(), bn.eps)


def set_bn(bn, gamma, beta, mean, var):
    with torch.no_grad():
        for t, v in ((bn.weight, gamma), (bn.bias, beta), (bn.running_mean, mean), (bn.running_var, var)):
            t.copy_(torch.tensor(np.asarray(v, dtype=np.float32)))


@pytest.fixture(scope="module")
def finn_and_ours(tmp_path_factory):
    """Layer 0: INT8 inputs (scale 1); layer 1: XNOR. BN params chosen for ties and both signs."""
    rng = np.random.default_rng(3)
    torch.manual_seed(3)
    m = UserMLP([12, 8, 6, 4], dropout=0.0)
    lin0, bn0, lin1, bn1 = m.net[0], m.net[1], m.net[4], m.net[5]
    # Ties: beta = 0 puts the threshold exactly at `mean`, an integer accumulator value.
    # xnor layer: z = 2*popcount - 8, so even means are reachable exactly.
    set_bn(bn0, [1.5, -0.7, 2.0, -1.2, 0.9, -2.5, 0.3, -0.4], [0, 0, 0.37, -0.52, 0, 0, 1.1, -0.8],
           [3, -5, 10.2, -7.9, 0, 1, -20.5, 40], rng.uniform(0.5, 2, 8))
    set_bn(bn1, [1.0, -1.0, 0.6, -0.6, 2.0, -3.0], [0, 0, 0.2, -0.3, 0, 0], [2, -4, 1.3, -2.2, 0, 8], rng.uniform(0.5, 2, 6))
    path = export_user_model(m, 12, tmp_path_factory.mktemp("bbn") / "m.onnx")
    accel = finn_hw_to_accelerator(qonnx_to_finn_hw(load_onnx(path), "INT8", 1.0), "INT8", 1.0)
    ours = []
    for i, (lin, bn) in enumerate(((lin0, bn0), (lin1, bn1))):
        f = accel.layers[i]
        w = (lin.weight.detach().numpy() >= 0).astype(np.uint8)
        z_scale, z_offset = (1.0, 0.0) if f.mode == "int" else (2.0, -float(f.mw))
        t, le = bn_sign_thresholds(*bn_params(bn), z_scale, z_offset, f.acc_range)
        ours.append(LayerSpec(f.name, f.mw, f.mh, 1, 1, f.mode, f.in_min, f.in_max, w, t, le))
    return accel, ours


def test_thresholds_equal_finn_per_channel(finn_and_ours):
    accel, ours = finn_and_ours
    assert [l.mode for l in accel.layers[:2]] == ["int", "xnor"]
    for f, o in zip(accel.layers, ours):
        for c in range(f.mh):
            if np.array_equal(f.weights[c], o.weights[c]):
                assert not o.threshold_le[c], f"{f.name} ch {c}: FINN kept the row, so the BN scale was positive"
                assert o.thresholds[c] == f.thresholds[c], f"{f.name} ch {c}"
            else:
                # Negative BN scale: FINN negates the weight row and compares >=; we compare <=.
                assert np.array_equal(f.weights[c], 1 - o.weights[c]), f"{f.name} ch {c}: rows differ beyond a flip"
                assert o.threshold_le[c], f"{f.name} ch {c}"
                flipped = (f.mw - f.thresholds[c]) if f.mode == "xnor" else -f.thresholds[c]
                assert o.thresholds[c] == flipped, f"{f.name} ch {c}"


def test_negative_scale_channels_present(finn_and_ours):
    _, ours = finn_and_ours
    assert all(l.threshold_le.any() and (~l.threshold_le).any() for l in ours)


def test_same_outputs_as_finn_graph_including_ties(finn_and_ours):
    accel, ours = finn_and_ours
    rng = np.random.default_rng(0)
    x = rng.integers(-128, 128, (400, 12))
    # Make ties happen: frames whose layer-0 accumulator hits the tie value exactly.
    w0 = 2 * ours[0].weights[0].astype(np.int64) - 1
    x[:50] = 0
    x[:50, 0] = 3 * w0[0]  # acc_0 = 3 = mean of channel 0 (beta 0): sign(0) -> +1
    mine = Accelerator(tuple(ours) + accel.layers[2:], "INT8", 1.0, accel.output_scale, accel.output_bias)
    got, want = run_accelerator(mine, x), run_accelerator(accel, x)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
    assert (got[0][:50, 0] == 1).all()


@pytest.mark.parametrize("gamma,beta,mean,acc,expected", [
    (1.0, 0.0, 5.0, 5, 1),    # tie, positive scale: BN = 0 -> sign +1
    (1.0, 0.0, 5.0, 4, 0),
    (-1.0, 0.0, 5.0, 5, 1),   # tie, negative scale: still +1
    (-1.0, 0.0, 5.0, 6, 0),
    (-1.0, 0.0, 5.0, 4, 1),
    (0.0, 0.5, 0.0, -30, 1),  # zero scale: constant sign(beta)
    (0.0, -0.5, 0.0, 30, 0),
])
def test_bn_sign_semantics(gamma, beta, mean, acc, expected):
    t, le = bn_sign_thresholds(np.array([gamma]), np.array([beta]), np.array([mean]), np.array([1.0]), 0.0, 1.0, 0.0, (-64, 64))
    out = (acc <= t[0]) if le[0] else (acc >= t[0])
    assert int(out) == expected
    bn = gamma * (acc - mean) + beta
    if gamma != 0:
        assert int(bn >= 0) == expected


@pytest.mark.parametrize("gamma", [1.0, -1.0])
def test_binary01_activation_ties_follow_the_exported_model(gamma):
    """Si-BNN's {0,1} activation rounds half to even: BN(z) exactly 0.5 gives 0 (Brevitas and QONNX
    alike), so the derived compare must be strict; a bipolar activation sends BN(z) == 0 to +1."""
    from sbn_hw.harden.brevitas_model import binary01_activation

    # BN(z) = gamma * (z - 2.5) with eps 0 and var 1: z = 3 (gamma>0) or z = 2 (gamma<0) is exactly 0.5.
    acc = np.arange(0, 7)
    bn = nn.BatchNorm1d(1, eps=0.0).eval()
    set_bn(bn, [gamma], [0.0], [2.5], [1.0])
    with torch.no_grad():
        want = binary01_activation()(bn(torch.tensor(acc, dtype=torch.float32)[:, None])).numpy()[:, 0]
    t, le = bn_sign_thresholds(np.array([gamma]), np.zeros(1), np.array([2.5]), np.ones(1), 0.0, 1.0, 0.0,
                               (-10, 10), level=0.5, ties_high=False)
    got = np.where(le, acc[:, None] <= t, acc[:, None] >= t)[:, 0].astype(float)
    np.testing.assert_array_equal(got, want)
    assert want[3 if gamma > 0 else 2] == 0  # the tie itself is 0
    # The bipolar activation: BN(z) == 0 is +1.
    t, le = bn_sign_thresholds(np.array([gamma]), np.zeros(1), np.array([3.0]), np.ones(1), 0.0, 1.0, 0.0, (-10, 10))
    assert bool(np.where(le, 3 <= t, 3 >= t)[0])


def test_gamma_zero_binary01_at_the_level_is_off():
    t, le = bn_sign_thresholds(np.zeros(1), np.array([0.5]), np.zeros(1), np.ones(1), 0.0, 1.0, 0.0, (0, 8),
                               level=0.5, ties_high=False)
    assert not le[0] and t[0] == 9  # never on: BN(z) = 0.5 rounds to 0
