"""Build a zoo model by name: the binary MLPs (MODEL_ZOO) and the binary CNNs (CONV_ZOO)."""

from __future__ import annotations

import math

from torch import nn

from sbn_hw import SbnHwError
from sbn_hw.models.cnn import CONV_ZOO, BinaryCNN
from sbn_hw.models.mlp import MODEL_ZOO, BinaryMLP

DEFAULT_MODEL = {"digits": "digits-mlp", "mnist5k": "sfc", "mnist": "sfc", "fashion-mnist": "sfc", "cifar10": "sfc"}


def zoo_names() -> tuple[str, ...]:
    return (*MODEL_ZOO, *CONV_ZOO)


def default_model_for(dataset: str) -> str:
    return DEFAULT_MODEL.get(dataset, "tfc")


def is_conv_model(name: str) -> bool:
    return name in CONV_ZOO


def conv_input_shape(name: str, in_features: int, image_shape: tuple[int, int] | None) -> tuple[int, int, int]:
    """(C, H, W) for a conv model: channels = features / (H*W). Without an image shape, a square
    image with 1 or 3 channels is inferred (never ambiguous: s*s = 3*t*t has no solution)."""
    if image_shape is None:
        for c in (1, 3):
            side = math.isqrt(in_features // c) if in_features % c == 0 else 0
            if side and c * side * side == in_features:
                return c, side, side
        raise SbnHwError(
            f"model '{name}' is convolutional and {in_features} input features are not a square image with 1 or 3 "
            "channels: pass the dataset's image shape (build_model(..., image_shape=data.image_shape))")
    h, w = (int(v) for v in image_shape)
    if h < 1 or w < 1 or in_features % (h * w):
        raise SbnHwError(
            f"model '{name}' is convolutional: {in_features} input features are not a whole number of {h}x{w} "
            f"images (channels = features / (H*W)); pass the image shape (H, W) that matches the data's features "
            f"(the dataset's image_shape), or choose an MLP: {', '.join(MODEL_ZOO)}")
    return in_features // (h * w), h, w


def model_input_chw(name: str, in_features: int, image_shape: tuple[int, int] | None) -> tuple[int, int, int] | None:
    """A zoo model's input (C, H, W) if it is convolutional, None for an MLP (flat frames)."""
    return conv_input_shape(name, in_features, image_shape) if is_conv_model(name) else None


def build_model(name: str, in_features: int, classes: int, method: str = "sbn",
                image_shape: tuple[int, int] | None = None, lab_kernel: int = 3) -> nn.Module:
    """A zoo model. `image_shape` (H, W) is for the conv models (the MLPs ignore it): their input is
    (C, H, W) with C = in_features / (H*W). lab_kernel: LAB's depthwise kernel on conv feature maps
    (the MLPs and fully connected layers use the 1x1 form)."""
    if name in MODEL_ZOO:
        return BinaryMLP(in_features, MODEL_ZOO[name], classes, method)
    if name in CONV_ZOO:
        return BinaryCNN(conv_input_shape(name, in_features, image_shape), CONV_ZOO[name], classes, method, name,
                         lab_kernel)
    raise SbnHwError(f"unknown model '{name}': choose one of {', '.join(zoo_names())}")
