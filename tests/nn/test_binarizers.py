"""Forward semantics of each method's binarizers."""

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
