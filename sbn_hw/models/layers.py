"""Which layer each training method uses: one place for the linear, conv and activation choices
shared by every model of the zoo."""

from __future__ import annotations

from torch import nn

from sbn_hw import SbnHwError
from sbn_hw.nn import SelfBinarizingActivation, SelfBinarizingConv2d, SelfBinarizingLinear
from sbn_hw.nn.binarizers import (LABActivation, LABConvActivation, SiBNNActivation, SiMaNConv2d, SiMaNLinear,
                                  STEActivation, STEConv2d, STELinear)

METHODS = ("sbn", "ste", "lab", "sibnn", "siman")


def check_method(method: str) -> None:
    if method not in METHODS:
        raise SbnHwError(f"unknown method '{method}': choose one of {', '.join(METHODS)}")


def check_lab_kernel(k: int) -> None:
    """LAB's kernel on conv maps: odd, 1..15 (rtl/sbn_lab.v's range; 1 is the 1x1 form)."""
    if not isinstance(k, int) or k < 1 or k % 2 == 0 or k > 15:
        raise SbnHwError(f"--lab-kernel must be an odd size from 1 to 15 (1: the 1x1 form, 3: the paper's 3x3), got {k}")


def linear_layer(method: str, first: bool, a: int, b: int) -> nn.Module:
    """A bias-free binary-weight Linear(a, b). The first layer sees the integer (or +-1) input
    pixels, not binary activations, and keeps +-1 weights for every method (SiMaN included)."""
    if method == "sbn":
        return SelfBinarizingLinear(a, b)
    if method == "siman" and not first:
        return SiMaNLinear(a, b)
    return STELinear(a, b)


def conv_layer(method: str, first: bool, cin: int, cout: int, kernel: int = 3) -> nn.Module:
    """A bias-free binary-weight Conv2d (valid, stride 1); the first layer as in linear_layer."""
    if method == "sbn":
        return SelfBinarizingConv2d(cin, cout, kernel)
    if method == "siman" and not first:
        return SiMaNConv2d(cin, cout, kernel)
    return STEConv2d(cin, cout, kernel)


def activation_layer(method: str, channels: int, lab_kernel: int = 1) -> nn.Module:
    """The method's binary activation; per-channel parameters apply to dim 1 ((N, C) or NCHW).
    lab_kernel: LAB's depthwise kernel on a conv's feature maps (1: the exact 1x1 form, which is
    also what fully connected layers use)."""
    if method == "lab" and lab_kernel > 1:
        return LABConvActivation(channels, lab_kernel)
    return {
        "sbn": SelfBinarizingActivation,
        "ste": STEActivation,
        "siman": STEActivation,
        "lab": lambda: LABActivation(channels),
        "sibnn": lambda: SiBNNActivation(channels),
    }[method]()
