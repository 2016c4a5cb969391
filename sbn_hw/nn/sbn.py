"""Self-Binarizing Networks (Lahoud et al., 2019): weights and activations pass through
tanh(nu*x); as nu grows the network becomes its own sign() version. `hard=True` switches a
layer to the exact sign, which is what the hardened Brevitas model computes.

`hard_forward=True` is the training-time "hard finish": the forward pass is the exact sign (so the
network being trained *is* its binary version) while gradients still flow through tanh(nu*x)'s
derivative. A run that ends in this phase hardens without losing a single frame, by construction."""

from __future__ import annotations

import torch
from torch import nn


def hard_sign(x: torch.Tensor) -> torch.Tensor:
    """sign with sign(0) = +1, matching Brevitas/QONNX BipolarQuant."""
    return torch.where(x >= 0, torch.ones_like(x), -torch.ones_like(x))


def sign_with_tanh_gradient(x: torch.Tensor, nu: float) -> torch.Tensor:
    """Forward: exact sign(x). Backward: the derivative of tanh(nu*x)."""
    t = torch.tanh(nu * x)
    return t + (hard_sign(x) - t).detach()


class SelfBinarizingWeights:
    """The self-binarizing weight machinery shared by the linear and conv layers: the effective
    weight is tanh(nu * w_latent), sign(w) when `hard`, and sign forward / tanh gradient when
    `hard_forward` (the hard finish)."""

    weight_encoding = "bipolar"

    def _init_self_binarizing(self) -> None:
        self.nu = 1.0
        self.hard = False
        self.hard_forward = False

    def binary_weight(self) -> torch.Tensor:
        return hard_sign(self.weight)

    def effective_weight(self) -> torch.Tensor:
        if self.hard:
            return self.binary_weight()
        if self.hard_forward:
            return sign_with_tanh_gradient(self.weight, self.nu)
        return torch.tanh(self.nu * self.weight)


class SelfBinarizingLinear(SelfBinarizingWeights, nn.Linear):
    """Linear layer whose effective weight is tanh(nu * w_latent) (or sign(w) when hard)."""

    def __init__(self, in_features: int, out_features: int):
        nn.Linear.__init__(self, in_features, out_features, bias=False)
        self._init_self_binarizing()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.linear(x, self.effective_weight())


class SelfBinarizingConv2d(SelfBinarizingWeights, nn.Conv2d):
    """2-D convolution (no bias) whose effective kernel is tanh(nu * w_latent) (or sign(w) when hard)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1, padding: int = 0):
        nn.Conv2d.__init__(self, in_channels, out_channels, kernel_size, stride=stride, padding=padding, bias=False)
        self._init_self_binarizing()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._conv_forward(x, self.effective_weight(), None)


class SelfBinarizingActivation(nn.Module):
    """tanh(nu * x), or sign(x) when hard."""

    output_encoding = "bipolar"

    def __init__(self):
        super().__init__()
        self.nu = 1.0
        self.hard = False
        self.hard_forward = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.hard:
            return hard_sign(x)
        if self.hard_forward:
            return sign_with_tanh_gradient(x, self.nu)
        return torch.tanh(self.nu * x)


def _sbn_modules(model: nn.Module):
    """Every self-binarizing weight layer (linear or conv) and activation in `model`."""
    return [m for m in model.modules() if isinstance(m, (SelfBinarizingWeights, SelfBinarizingActivation))]


def set_nu(model: nn.Module, nu_weights: float, nu_acts: float | None = None) -> None:
    """Set the sharpness of every self-binarizing weight and activation in `model`."""
    for m in _sbn_modules(model):
        is_weight = isinstance(m, SelfBinarizingWeights)
        m.nu = float(nu_weights if is_weight else (nu_acts if nu_acts is not None else nu_weights))


def set_hard(model: nn.Module, hard: bool) -> None:
    for m in _sbn_modules(model):
        m.hard = hard


def set_hard_forward(model: nn.Module, on: bool) -> None:
    """Enter (or leave) the hard finish: exact sign forward, tanh gradient backward."""
    for m in _sbn_modules(model):
        m.hard_forward = on
