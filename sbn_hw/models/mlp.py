"""Self-binarizing MLPs: [Linear(binary w) -> BatchNorm -> binary act] x hidden, then a binary
Linear and a BatchNorm that scales the class scores (it runs on the host after the accelerator)."""

from __future__ import annotations

from torch import nn

from sbn_hw import SbnHwError
from sbn_hw.nn import SelfBinarizingActivation, SelfBinarizingLinear

# Hidden layer widths. tfc/sfc/lfc are FINN's MLPs; digits-mlp is sized for 8x8 digits.
MODEL_ZOO: dict[str, tuple[int, ...]] = {
    "digits-mlp": (128, 128, 128),
    "tfc": (64, 64, 64),
    "sfc": (256, 256, 256),
    "lfc": (1024, 1024, 1024),
}

DEFAULT_MODEL = {"digits": "digits-mlp", "mnist5k": "sfc"}


def default_model_for(dataset: str) -> str:
    return DEFAULT_MODEL.get(dataset, "tfc")


class SelfBinarizingMLP(nn.Module):
    def __init__(self, in_features: int, hidden: tuple[int, ...], classes: int):
        super().__init__()
        self.in_features, self.hidden, self.classes = in_features, tuple(hidden), classes
        blocks: list[nn.Module] = []
        width = in_features
        for h in hidden:
            blocks += [SelfBinarizingLinear(width, h), nn.BatchNorm1d(h), SelfBinarizingActivation()]
            width = h
        blocks += [SelfBinarizingLinear(width, classes), nn.BatchNorm1d(classes)]
        self.layers = nn.Sequential(*blocks)

    def forward(self, x):
        return self.layers(x)


def build_model(name: str, in_features: int, classes: int) -> SelfBinarizingMLP:
    if name not in MODEL_ZOO:
        raise SbnHwError(f"unknown model '{name}': choose one of {', '.join(MODEL_ZOO)}")
    return SelfBinarizingMLP(in_features, MODEL_ZOO[name], classes)
