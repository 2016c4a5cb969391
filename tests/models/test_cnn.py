"""The conv zoo's topologies, layer choices per method, and NCHW / flat input."""

import pytest
import torch
from torch import nn

from sbn_hw.models import CONV_ZOO, METHODS, BinaryCNN, build_model
from sbn_hw.nn import SelfBinarizingActivation, SelfBinarizingConv2d
from sbn_hw.nn.binarizers import (LABActivation, LABConvActivation, SiBNNActivation, SiMaNConv2d, SiMaNLinear,
                                  STEActivation, STEConv2d)


def _shapes(model, x):
    """Output shape after every layer."""
    out = []
    for m in model.layers:
        x = m(x)
        out.append((type(m).__name__, tuple(x.shape[1:])))
    return out


def test_cnv_is_bnn_pynq_topology():
    model = build_model("cnv", 3 * 32 * 32, 10, "ste", image_shape=(32, 32)).eval()
    assert model.input_shape == (3, 32, 32)
    shapes = _shapes(model, torch.zeros(2, 3, 32, 32))
    convs = [s for n, s in shapes if n == "STEConv2d"]
    assert convs == [(64, 30, 30), (64, 28, 28), (128, 12, 12), (128, 10, 10), (256, 3, 3), (256, 1, 1)]
    pools = [s for n, s in shapes if n == "MaxPool2d"]
    assert pools == [(64, 14, 14), (128, 5, 5)]
    assert ("Flatten", (256,)) in shapes
    assert [m.out_features for m in model.layers if isinstance(m, nn.Linear)] == [512, 512, 10]
    names = [n for n, _ in shapes]
    # each conv/FC: weights -> BatchNorm -> activation; max pool after the activation; BN last
    assert names[:7] == ["STEConv2d", "BatchNorm2d", "STEActivation", "STEConv2d", "BatchNorm2d", "STEActivation",
                         "MaxPool2d"]
    assert names[-2:] == ["STELinear", "BatchNorm1d"]


@pytest.mark.parametrize("name,features,shape,flat", [("cnn-s", 784, (28, 28), 1024), ("digits-cnn", 64, (8, 8), 128)])
def test_small_cnns_feature_widths(name, features, shape, flat):
    model = build_model(name, features, 10, "sbn", image_shape=shape).eval()
    assert model.input_shape == (1, *shape) and model.in_features == features
    assert ("Flatten", (flat,)) in _shapes(model, torch.zeros(1, 1, *shape))


@pytest.mark.parametrize("method", METHODS)
def test_layers_per_method(method):
    model = build_model("digits-cnn", 64, 10, method, image_shape=(8, 8))
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    want_conv = {"sbn": SelfBinarizingConv2d, "siman": SiMaNConv2d}.get(method, STEConv2d)
    # the first conv sees integer pixels and keeps +-1 weights (SiMaN too), like the MLPs' first layer
    assert type(convs[0]) is (SelfBinarizingConv2d if method == "sbn" else STEConv2d)
    assert all(type(c) is want_conv for c in convs[1:])
    act = {"sbn": SelfBinarizingActivation, "lab": (LABConvActivation, LABActivation),
           "sibnn": SiBNNActivation}.get(method, STEActivation)
    acts = [m for m in model.modules() if isinstance(m, act)]
    assert len(acts) == 3
    if method == "lab":  # the paper's 3x3 kernel on both conv maps, the 1x1 form on the dense layer
        assert [type(a) for a in acts] == [LABConvActivation, LABConvActivation, LABActivation]
        assert [a.kernel for a in acts[:2]] == [3, 3]
    if method in ("lab", "sibnn"):  # per-channel parameters sized by the channels they act on
        sizes = [(a.k if method == "lab" else a.threshold).shape[0] for a in acts]
        assert sizes == [16, 32, 64]
    if method == "siman":
        assert any(isinstance(m, SiMaNLinear) for m in model.modules())
    assert all(c.bias is None and c.padding == (0, 0) for c in convs)


@pytest.mark.parametrize("method", METHODS)
def test_flat_and_nchw_input_agree(method):
    torch.manual_seed(0)
    model = build_model("digits-cnn", 64, 10, method, image_shape=(8, 8)).eval()
    x = torch.rand(5, 64)
    assert torch.equal(model(x), model(x.reshape(5, 1, 8, 8)))


def test_features_are_channel_major():
    """Flat features are C, H, W ordered, as the datasets store them (CIFAR-10's python batches)."""
    seen = {}
    model = BinaryCNN((3, 8, 8), CONV_ZOO["digits-cnn"], 2).eval()
    model.layers[0].register_forward_hook(lambda m, inp, out: seen.update(x=inp[0]))  # returns None
    model(torch.arange(192.0).reshape(1, 192))
    assert seen["x"][0, 1, 0, 0] == 64 and seen["x"][0, 0, 1, 0] == 8


def test_lab_kernel_one_is_the_1x1_form_and_even_kernels_are_refused():
    from sbn_hw import SbnHwError

    model = build_model("digits-cnn", 64, 10, "lab", image_shape=(8, 8), lab_kernel=1)
    assert not any(isinstance(m, LABConvActivation) for m in model.modules())
    assert sum(isinstance(m, LABActivation) for m in model.modules()) == 3
    with pytest.raises(SbnHwError, match="--lab-kernel must be an odd size"):
        build_model("digits-cnn", 64, 10, "lab", image_shape=(8, 8), lab_kernel=2)
