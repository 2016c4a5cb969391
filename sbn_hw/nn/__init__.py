"""Self-binarizing layers: tanh(nu*x) that sharpens into sign(x) as nu grows."""

from sbn_hw.nn.schedule import NuSchedule
from sbn_hw.nn.sbn import (SelfBinarizingActivation, SelfBinarizingConv2d, SelfBinarizingLinear, SelfBinarizingWeights,
                           hard_sign, set_hard, set_hard_forward, set_nu, sign_with_tanh_gradient)

__all__ = [
    "NuSchedule",
    "SelfBinarizingActivation",
    "SelfBinarizingConv2d",
    "SelfBinarizingLinear",
    "SelfBinarizingWeights",
    "hard_sign",
    "set_hard",
    "set_hard_forward",
    "sign_with_tanh_gradient",
    "set_nu",
]
