"""The hardened model: Brevitas QuantLinear (binary weights), BatchNorm kept, and 1-bit
QuantIdentity activations. It computes exactly the sign-based forward pass of the trained model
(for `sbn`: what the smooth model tends to as nu -> inf)."""

from __future__ import annotations

import torch
from brevitas.inject.enum import ScalingImplType
from brevitas.nn import QuantIdentity, QuantLinear
from brevitas.quant import (
    Int8WeightPerTensorFloat,
    SignedBinaryActPerTensorConst,
    SignedBinaryWeightPerTensorConst,
    Uint8ActPerTensorFloat,
)
from torch import nn

from sbn_hw.nn import SelfBinarizingActivation, SelfBinarizingLinear
from sbn_hw.nn.binarizers import LABActivation, SiBNNActivation, SiMaNLinear, STEActivation, STELinear


class BipolarWeight(SignedBinaryWeightPerTensorConst):
    """Weights in {-1, +1} exactly (Brevitas' default constant scale is 0.1)."""

    scaling_const = 1.0


class BipolarActivation(SignedBinaryActPerTensorConst):
    """Activations in {-1, +1} exactly."""

    scaling_const = 1.0


class UnsignedBinaryWeight(Int8WeightPerTensorFloat):
    """Weights in {0, 1} exactly (SiMaN)."""

    bit_width = 1
    signed = False
    narrow_range = False
    scaling_impl_type = ScalingImplType.CONST
    scaling_const = 1.0


class UnsignedBinaryActivation(Uint8ActPerTensorFloat):
    """Activations in {0, 1}: round(x) clipped to [0, 1], i.e. 1 when x > 0.5 (Si-BNN)."""

    bit_width = 1
    scaling_impl_type = ScalingImplType.CONST
    scaling_const = 1.0
    max_val = 1.0


def uses_quantizer(proxy, quantizer: type) -> bool:
    """Whether a Brevitas quant proxy (module.weight_quant / module.act_quant) was built from `quantizer`."""
    injector = proxy.quant_injector
    return isinstance(injector, type) and issubclass(injector, quantizer)


def binary_linear(in_features: int, out_features: int, unsigned: bool = False) -> QuantLinear:
    return QuantLinear(in_features, out_features, bias=False,
                       weight_quant=UnsignedBinaryWeight if unsigned else BipolarWeight)


def bipolar_activation() -> QuantIdentity:
    return QuantIdentity(act_quant=BipolarActivation, return_quant_tensor=False)


def binary01_activation() -> QuantIdentity:
    return QuantIdentity(act_quant=UnsignedBinaryActivation, return_quant_tensor=False)


class ChannelAffine(nn.Module):
    """y = scale * x + bias per channel (LAB's compare margin); exports as Mul + Add."""

    def __init__(self, scale: torch.Tensor, bias: torch.Tensor):
        super().__init__()
        self.register_buffer("scale", scale.detach().clone())
        self.register_buffer("bias", bias.detach().clone())

    def forward(self, x):
        return x * self.scale + self.bias


class HardenedMLP(nn.Module):
    def __init__(self, layers: list[nn.Module]):
        super().__init__()
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x)


def _copy_bn(m: nn.BatchNorm1d, bias_shift: torch.Tensor | None = None) -> nn.BatchNorm1d:
    bn = nn.BatchNorm1d(m.num_features, eps=m.eps)
    bn.load_state_dict(m.state_dict())
    if bias_shift is not None:
        with torch.no_grad():
            bn.bias.add_(bias_shift)
    return bn


def harden(model: nn.Module) -> HardenedMLP:
    """Copy a trained binary MLP (any method) into Brevitas quant modules (eval mode)."""
    mods = list(model.layers)
    layers: list[nn.Module] = []
    for i, m in enumerate(mods):
        nxt = mods[i + 1] if i + 1 < len(mods) else None
        if isinstance(m, (SelfBinarizingLinear, STELinear, SiMaNLinear)):
            unsigned = isinstance(m, SiMaNLinear)
            q = binary_linear(m.in_features, m.out_features, unsigned)
            with torch.no_grad():
                # The exact binary weight: sign (sign(0) = +1), or SiMaN's {0, 1} bits.
                q.weight.copy_(m.binary_weight())
            layers.append(q)
        elif isinstance(m, nn.BatchNorm1d):
            # Si-BNN: [BN(x) >= t] == [BN(x) - t + 0.5 > 0.5]: fold the threshold into the BN bias.
            shift = (0.5 - nxt.threshold) if isinstance(nxt, SiBNNActivation) else None
            layers.append(_copy_bn(m, shift))
        elif isinstance(m, (SelfBinarizingActivation, STEActivation)):
            layers.append(bipolar_activation())
        elif isinstance(m, SiBNNActivation):
            layers.append(binary01_activation())
        elif isinstance(m, LABActivation):
            d, e = m.margin_affine()
            layers += [ChannelAffine(d, e), bipolar_activation()]
        else:
            raise TypeError(f"cannot harden layer {type(m).__name__}")
    return HardenedMLP(layers).eval()
