"""The hardened model: Brevitas QuantLinear (binary weights), BatchNorm kept, and bipolar
QuantIdentity activations. It computes exactly what the smooth model tends to as nu -> inf."""

from __future__ import annotations

import torch
from brevitas.nn import QuantIdentity, QuantLinear
from brevitas.quant import SignedBinaryActPerTensorConst, SignedBinaryWeightPerTensorConst
from torch import nn

from sbn_hw.models import SelfBinarizingMLP
from sbn_hw.nn import SelfBinarizingActivation, SelfBinarizingLinear, hard_sign


class BipolarWeight(SignedBinaryWeightPerTensorConst):
    """Weights in {-1, +1} exactly (Brevitas' default constant scale is 0.1)."""

    scaling_const = 1.0


class BipolarActivation(SignedBinaryActPerTensorConst):
    """Activations in {-1, +1} exactly."""

    scaling_const = 1.0


def binary_linear(in_features: int, out_features: int) -> QuantLinear:
    return QuantLinear(in_features, out_features, bias=False, weight_quant=BipolarWeight)


def bipolar_activation() -> QuantIdentity:
    return QuantIdentity(act_quant=BipolarActivation, return_quant_tensor=False)


class HardenedMLP(nn.Module):
    def __init__(self, layers: list[nn.Module]):
        super().__init__()
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x)


def harden(model: SelfBinarizingMLP) -> HardenedMLP:
    """Copy a trained self-binarizing MLP into Brevitas quant modules (eval mode)."""
    layers: list[nn.Module] = []
    for m in model.layers:
        if isinstance(m, SelfBinarizingLinear):
            q = binary_linear(m.in_features, m.out_features)
            with torch.no_grad():
                # Store the exact +-1 weight: sign(0) = +1, as in the smooth model's hard mode.
                q.weight.copy_(hard_sign(m.weight))
            layers.append(q)
        elif isinstance(m, SelfBinarizingActivation):
            layers.append(bipolar_activation())
        elif isinstance(m, nn.BatchNorm1d):
            bn = nn.BatchNorm1d(m.num_features, eps=m.eps)
            bn.load_state_dict(m.state_dict())
            layers.append(bn)
        else:
            raise TypeError(f"cannot harden layer {type(m).__name__}")
    return HardenedMLP(layers).eval()
