"""Forward semantics of each method's binarizers."""

import pytest
import torch

from sbn_hw.nn.binarizers import LABActivation, SiBNNActivation, SiMaNLinear, STEActivation, STELinear, siman_bits


def test_siman_exact_half_split_per_filter():
    torch.manual_seed(0)
    for k in (1, 7, 8, 33):
        lin = SiMaNLinear(k, 5)
        bits = lin.binary_weight()
        assert set(bits.unique().tolist()) <= {0.0, 1.0}
        assert (bits.sum(dim=1) == k // 2).all()
        # The ones are exactly the larger-magnitude half after standardising.
        w = lin.weight.detach()
        std = (w - w.mean(1, keepdim=True)) / w.std(1, keepdim=True)
        for row_bits, row in zip(bits, std.abs()):
            if k // 2:
                assert row[row_bits == 1].min() >= row[row_bits == 0].max() if (row_bits == 0).any() else True


def test_siman_ties_still_split_in_half():
    w = torch.ones(3, 6)
    assert (siman_bits(w).sum(1) == 3).all()


def test_sibnn_outputs_zero_one_at_learned_threshold():
    act = SiBNNActivation(3)
    with torch.no_grad():
        act.threshold.copy_(torch.tensor([0.0, 1.0, -1.0]))
    x = torch.tensor([[0.0, 0.5, -1.0], [-0.1, 1.0, -1.5]])
    assert act(x).tolist() == [[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]


def test_sibnn_backward_window_is_asymmetric():
    act = SiBNNActivation(1)
    x = torch.tensor([[-0.6], [-0.4], [1.4], [1.6]], requires_grad=True)
    act(x).sum().backward()
    assert x.grad.ravel().tolist() == [0.0, 1.0, 1.0, 0.0]


def test_lab_is_a_learned_compare():
    torch.manual_seed(1)
    lab = LABActivation(4)
    with torch.no_grad():
        lab.k.uniform_(-2, 2)
        lab.c.uniform_(-1, 1)
    x = torch.randn(50, 4)
    d, e = lab.margin_affine()
    expected = torch.where(d * x + e >= 0, 1.0, -1.0)
    assert torch.equal(lab(x).detach(), expected)


def test_ste_sign_and_window():
    x = torch.tensor([-2.0, -0.5, 0.0, 0.5, 2.0], requires_grad=True)
    y = STEActivation()(x)
    assert y.tolist() == [-1, -1, 1, 1, 1]
    y.sum().backward()
    assert x.grad.tolist() == [0, 1, 1, 1, 0]
    lin = STELinear(4, 2)
    assert set(lin.binary_weight().unique().tolist()) <= {-1.0, 1.0}


def test_ste_conv_sign_weights_straight_through_and_clip():
    from torch.nn.functional import conv2d

    from sbn_hw.nn.binarizers import STEConv2d

    torch.manual_seed(2)
    conv = STEConv2d(2, 3)
    assert conv.kernel_size == (3, 3) and conv.padding == (0, 0) and conv.bias is None
    x = torch.randn(4, 2, 5, 5)
    assert torch.equal(conv(x), conv2d(x, torch.where(conv.weight >= 0, 1.0, -1.0)))
    assert torch.equal(conv.binary_weight(), torch.where(conv.weight >= 0, 1.0, -1.0))
    with torch.no_grad():
        conv.weight[0, 0, 0, 0] = 3.0  # outside the STE window: no gradient
    conv(x).sum().backward()
    assert conv.weight.grad[0, 0, 0, 0] == 0 and (conv.weight.grad[1] != 0).any()
    conv.clip_()
    assert conv.weight.abs().max() <= 1.0


def test_siman_conv_splits_each_filter_in_half():
    from torch.nn.functional import conv2d

    from sbn_hw.nn.binarizers import SiMaNConv2d

    torch.manual_seed(3)
    conv = SiMaNConv2d(5, 4)  # 5*3*3 = 45 weights per filter -> 22 ones
    bits = conv.binary_weight()
    assert bits.shape == conv.weight.shape and set(bits.unique().tolist()) <= {0.0, 1.0}
    assert bits.sum(dim=(1, 2, 3)).tolist() == [22.0] * 4
    # the same bits as SiMaN's rule on the filter flattened into one row
    assert torch.equal(bits.reshape(4, -1), siman_bits(conv.weight.detach().reshape(4, -1)))
    x = torch.randn(2, 5, 4, 4)
    assert torch.equal(conv(x), conv2d(x, bits))
    conv(x).sum().backward()
    assert conv.weight.grad.shape == conv.weight.shape and (conv.weight.grad != 0).all()


def _as_rows(act, x):
    """act applied to NCHW x as (N*H*W, C) rows: the per-channel reference."""
    n, c, h, w = x.shape
    return act(x.permute(0, 2, 3, 1).reshape(-1, c)).reshape(n, h, w, c).permute(0, 3, 1, 2)


def test_activations_act_per_channel_on_nchw():
    torch.manual_seed(4)
    x = torch.randn(2, 3, 4, 5)
    sib = SiBNNActivation(3)
    with torch.no_grad():
        sib.threshold.copy_(torch.tensor([0.0, 1.0, -1.0]))
    y = sib(x)
    assert y.shape == x.shape and torch.equal(y, (x >= torch.tensor([0.0, 1.0, -1.0]).view(3, 1, 1)).float())
    lab = LABActivation(3)
    with torch.no_grad():
        lab.k.uniform_(-2, 2)
        lab.c.uniform_(-1, 1)
    d, e = lab.margin_affine()
    assert torch.equal(lab(x).detach(), torch.where(d.view(3, 1, 1) * x + e.view(3, 1, 1) >= 0, 1.0, -1.0))
    for act in (sib, lab, STEActivation()):
        assert torch.equal(act(x).detach(), _as_rows(act, x).detach())


def test_lab_nchw_gradients_reach_each_channel():
    lab = LABActivation(2)
    x = torch.randn(3, 2, 4, 4, requires_grad=True)
    lab(x).sum().backward()
    assert lab.k.grad.shape == (2, 2) and (lab.k.grad != 0).all() and x.grad.shape == x.shape


def test_lab_conv_binarizer_is_the_sign_of_its_quantised_depthwise_margin():
    import numpy as np

    from sbn_hw.golden.lab import depthwise_sum
    from sbn_hw.nn.binarizers import LABConvActivation

    torch.manual_seed(0)
    lab = LABConvActivation(4, kernel=3, tap_bits=4)
    with torch.no_grad():
        lab.k.normal_()
        lab.c.normal_()
    q, s, e = lab.margin_kernel()
    assert q.abs().max() <= 7 and torch.equal(q, q.round()) and (s > 0).all()
    # On integer maps the bit is sign(sum q * x + e / s): the golden model's integer window sum.
    x = torch.randint(-5, 6, (3, 4, 6, 6)).float()
    got = lab(x)
    window = depthwise_sum(x.numpy().transpose(0, 2, 3, 1).astype(np.int64), q.numpy().astype(np.int64))
    want = np.where(window + (e / s).detach().numpy() >= 0, 1.0, -1.0).transpose(0, 3, 1, 2)
    assert np.array_equal(got.detach().numpy(), want)
    got.sum().backward()  # the soft-argmax surrogate reaches both kernels and biases
    assert lab.k.grad.abs().sum() > 0 and lab.c.grad.abs().sum() > 0


@pytest.mark.parametrize("kernel,tap_bits", [(2, 4), (0, 4), (3, 1)])
def test_lab_conv_binarizer_refuses_bad_sizes(kernel, tap_bits):
    from sbn_hw.nn.binarizers import LABConvActivation

    with pytest.raises(ValueError):
        LABConvActivation(4, kernel, tap_bits)
