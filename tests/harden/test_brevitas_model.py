"""The hardened Brevitas model computes exactly the trained model's sign (hard) forward."""

import numpy as np
import pytest
import torch
from brevitas.nn import QuantConv2d, QuantIdentity, QuantLinear
from torch import nn

from sbn_hw.harden import HardenedModel, harden
from sbn_hw.harden.brevitas_model import LABWindow, UnsignedBinaryWeight, uses_quantizer
from sbn_hw.models import METHODS, build_model
from sbn_hw.nn import set_hard
from sbn_hw.nn.binarizers import LABActivation, LABConvActivation, SiBNNActivation


def randomize(model: nn.Module, seed: int = 0) -> nn.Module:
    """BN scales of both signs and random biases, random LAB compares and Si-BNN thresholds, then
    BN statistics measured on random frames, so that every layer's decisions split."""
    rng = np.random.default_rng(seed)

    def t(a):
        return torch.tensor(a, dtype=torch.float32)

    bns = [m for m in model.modules() if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d))]
    with torch.no_grad():
        for m in bns:
            n = m.num_features
            m.weight.copy_(t(rng.uniform(0.2, 2.0, n) * rng.choice([-1, 1], n)))
            m.bias.copy_(t(rng.uniform(-0.5, 0.5, n)))
            m.reset_running_stats()
            m.momentum = None  # cumulative average: one batch gives its own statistics
        for m in model.modules():
            if isinstance(m, (LABActivation, LABConvActivation)):
                m.k.copy_(t(rng.uniform(-2, 2, m.k.shape)))
                m.c.copy_(t(rng.uniform(-1, 1, m.c.shape)))
            elif isinstance(m, SiBNNActivation):
                m.threshold.copy_(t(rng.uniform(-0.5, 0.5, m.threshold.shape)))
        model.train()(frames(256, model.in_features, seed=seed + 100))
    for m in bns:
        m.momentum = 0.1
    return model.eval()


def frames(n: int, features: int, pixel_max: int = 16, seed: int = 0) -> torch.Tensor:
    """Integer pixels / pixel_max, as the int8 input mode feeds them."""
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, pixel_max + 1, (n, features), generator=g).float() / pixel_max


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name,features,shape", [("digits-cnn", 64, (8, 8)), ("cnn-s", 784, (28, 28)),
                                                 ("tfc", 64, None)])
def test_hardened_equals_hard_mode_bit_for_bit(method, name, features, shape):
    torch.manual_seed(1)
    model = randomize(build_model(name, features, 10, method, image_shape=shape))
    set_hard(model, True)
    hardened = harden(model, 1 / 16)  # the frames' step (a K x K LAB after the first layer needs it)
    x = frames(64, features)
    with torch.no_grad():
        want, got = model(x), hardened(x)
    assert torch.equal(want, got)
    # the classes spread: the comparison is not between two constant outputs
    assert len(set(want.argmax(1).tolist())) > 1


@pytest.mark.parametrize("method", METHODS)
def test_hardened_cnn_structure(method):
    model = randomize(build_model("digits-cnn", 64, 10, method, image_shape=(8, 8)))
    hardened = harden(model, 1 / 16)
    assert isinstance(hardened, HardenedModel) and hardened.input_shape == (1, 8, 8)
    kinds = [type(m) for m in hardened.layers]
    assert kinds.count(QuantConv2d) == 2 and kinds.count(QuantLinear) == 2
    # LAB's K x K binarizer takes the conv's batch norm into its exact form (LABWindow)
    assert kinds.count(nn.BatchNorm2d) == (0 if method == "lab" else 2) and kinds.count(nn.BatchNorm1d) == 2
    assert kinds.count(LABWindow) == (2 if method == "lab" else 0)
    assert kinds.count(nn.MaxPool2d) == 1 and kinds.count(nn.Flatten) == 1
    assert kinds.index(nn.Flatten) == kinds.index(nn.MaxPool2d) + 1
    assert kinds.count(QuantIdentity) == 3
    convs = [m for m in hardened.layers if isinstance(m, QuantConv2d)]
    assert all(c.bias is None for c in convs)
    for c in convs:
        w = c.quant_weight().value.detach()
        unsigned = uses_quantizer(c.weight_quant, UnsignedBinaryWeight)
        assert set(w.unique().tolist()) <= ({0.0, 1.0} if unsigned else {-1.0, 1.0})
    # SiMaN: {0,1} weights in the second conv (the first keeps +-1 on the integer pixels)
    assert [uses_quantizer(c.weight_quant, UnsignedBinaryWeight) for c in convs] == \
        ([False, True] if method == "siman" else [False, False])
    x = frames(3, 64)
    with torch.no_grad():
        assert torch.equal(hardened(x), hardened(x.reshape(3, 1, 8, 8)))


def test_unknown_layer_is_refused():
    model = build_model("digits-cnn", 64, 10, "sbn", image_shape=(8, 8))
    model.layers.insert(3, nn.Dropout())
    with pytest.raises(TypeError, match="cannot harden layer Dropout"):
        harden(model)


def test_lab_cnn_hardens_exactly_and_needs_the_input_step():
    """K x K LAB after an integer first layer: the hardened model recovers the integer accumulator
    from the input's step, so it predicts what the trained model does; without the step it refuses."""
    from sbn_hw.harden.brevitas_model import LABWindow
    from tests.compile.test_from_model import random_lab_cnn

    model = random_lab_cnn(seed=2)
    with pytest.raises(ValueError, match="input_step"):
        harden(model)
    hardened = harden(model, 1 / 16)
    assert sum(isinstance(m, LABWindow) for m in hardened.modules()) == 2
    x = torch.randint(0, 17, (300, 64)).float() / 16
    with torch.no_grad():
        assert torch.equal(model(x).argmax(1), hardened(x).argmax(1))
