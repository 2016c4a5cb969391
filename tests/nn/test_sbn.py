import numpy as np
import pytest
import torch

from sbn_hw import SbnHwError
from sbn_hw.nn import NuSchedule, SelfBinarizingActivation, SelfBinarizingLinear, hard_sign, set_hard, set_nu


def test_schedules_hit_endpoints():
    for kind in ("exp", "linear", "step"):
        s = NuSchedule(1.0, 1000.0, 100, kind, step_every=10, step_factor=2.0)
        assert s.value(0) == 1.0
        assert s.value(10**6) == pytest.approx(1000.0 if kind != "step" else min(1000.0, 2.0**10))
    s = NuSchedule(1.0, 1000.0, 100, "exp")
    assert s.value(50) == pytest.approx(np.sqrt(1000.0))
    values = [s.value(i) for i in range(101)]
    assert values == sorted(values)


def test_bad_schedule():
    with pytest.raises(SbnHwError, match="unknown nu schedule"):
        NuSchedule(kind="cosine")
    with pytest.raises(SbnHwError, match="nu0 <= nu_max"):
        NuSchedule(nu0=10, nu_max=1)


def test_converges_to_sign_as_nu_grows():
    torch.manual_seed(0)
    lin = SelfBinarizingLinear(32, 8)
    act = SelfBinarizingActivation()
    errs = []
    for nu in (1, 10, 100, 1e4):
        set_nu(torch.nn.Sequential(lin, act), nu)
        away_from_zero = lin.weight.abs() > 1e-3  # tanh(nu*w) reaches sign(w) once nu*|w| >> 1
        w_err = (lin.effective_weight() - hard_sign(lin.weight))[away_from_zero].abs().max().item()
        errs.append(w_err)
    assert errs == sorted(errs, reverse=True) and errs[-1] < 1e-3
    set_hard(lin, True)
    assert set(lin.effective_weight().unique().tolist()) <= {-1.0, 1.0}


def test_sign_of_zero_is_plus_one():
    assert hard_sign(torch.tensor([0.0, -0.0, -1e-9, 1e-9])).tolist() == [1.0, 1.0, -1.0, 1.0]


def test_separate_schedules_per_epoch_and_warmup():
    from sbn_hw.train import TrainConfig
    from sbn_hw.train.trainer import nu_at

    cfg = TrainConfig(epochs=5, nu_w0=1.0, nu_w_max=100.0, nu_a0=2.0, nu_a_max=8.0, nu_per="epoch", warmup_epochs=1,
                      hard_finish_epochs=0)
    w, a = cfg.nu_schedules(steps_per_epoch=10)
    assert [nu_at(cfg, w, s, 10) for s in (0, 9, 10, 19, 20, 50)] == pytest.approx([1, 1, 1, 1, 100 ** 0.25, 100])
    assert nu_at(cfg, a, 0, 10) == 2.0 and nu_at(cfg, a, 50, 10) == pytest.approx(8.0)
    with pytest.raises(SbnHwError, match="warm-up"):
        TrainConfig(epochs=2, warmup_epochs=2).nu_schedules(10)


def test_sign_with_tanh_gradient_is_sign_forward_and_tanh_backward():
    from sbn_hw.nn import sign_with_tanh_gradient

    x = torch.tensor([-0.3, -0.01, 0.0, 0.02, 0.5], requires_grad=True)
    y = sign_with_tanh_gradient(x, 30.0)
    assert y.tolist() == [-1.0, -1.0, 1.0, 1.0, 1.0]
    y.sum().backward()
    want = 30.0 * (1 - torch.tanh(30.0 * x.detach()) ** 2)
    assert torch.allclose(x.grad, want)


def test_conv_smooth_hard_and_hard_forward():
    from torch.nn.functional import conv2d

    from sbn_hw.nn import SelfBinarizingConv2d, set_hard_forward

    torch.manual_seed(0)
    conv = SelfBinarizingConv2d(3, 4)
    assert conv.kernel_size == (3, 3) and conv.padding == (0, 0) and conv.stride == (1, 1) and conv.bias is None
    x = torch.randn(2, 3, 6, 6)
    set_nu(conv, 5.0)
    assert torch.allclose(conv(x), conv2d(x, torch.tanh(5.0 * conv.weight)))
    assert conv(x).shape == (2, 4, 4, 4)
    set_hard(conv, True)
    assert torch.equal(conv(x), conv2d(x, hard_sign(conv.weight)))
    assert torch.equal(conv.binary_weight(), hard_sign(conv.weight))
    set_hard(conv, False)
    set_hard_forward(conv, True)  # sign forward, tanh(nu*w)'s gradient backward
    assert torch.equal(conv(x), conv2d(x, hard_sign(conv.weight)))
    conv(x).sum().backward()
    w = conv.weight.detach()
    w_eff = hard_sign(w).requires_grad_()  # d(sum)/d(effective weight), by autograd
    conv2d(x, w_eff).sum().backward()
    assert torch.allclose(conv.weight.grad, w_eff.grad * 5.0 * (1 - torch.tanh(5.0 * w) ** 2))


def test_nu_and_hard_switches_reach_conv_layers():
    from sbn_hw.models import build_model
    from sbn_hw.nn import SelfBinarizingConv2d, set_hard_forward

    model = build_model("digits-cnn", 64, 10, "sbn", image_shape=(8, 8))
    convs = [m for m in model.modules() if isinstance(m, SelfBinarizingConv2d)]
    acts = [m for m in model.modules() if isinstance(m, SelfBinarizingActivation)]
    assert len(convs) == 2 and len(acts) == 3
    set_nu(model, 7.0, 3.0)
    assert [m.nu for m in convs] == [7.0, 7.0] and {m.nu for m in acts} == {3.0}
    set_hard(model, True)
    set_hard_forward(model, True)
    assert all(m.hard and m.hard_forward for m in convs + acts)
