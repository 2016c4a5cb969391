"""Self-binarizing layers: tanh(nu*x) that sharpens into sign(x) as nu grows."""

from sbn_hw.nn.schedule import NuSchedule
from sbn_hw.nn.sbn import SelfBinarizingActivation, SelfBinarizingLinear, hard_sign, set_hard, set_nu

__all__ = [
    "NuSchedule",
    "SelfBinarizingActivation",
    "SelfBinarizingLinear",
    "hard_sign",
    "set_hard",
    "set_nu",
]
