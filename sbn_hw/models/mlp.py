"""Binary MLPs for every training method: [Linear(binary w) -> BatchNorm -> binary act] per hidden
layer, then a binary Linear and a BatchNorm that scales the class scores (on the host after the
accelerator). All layer sizes live in MODEL_ZOO."""

from __future__ import annotations

from torch import nn

from sbn_hw import SbnHwError
from sbn_hw.nn import SelfBinarizingActivation, SelfBinarizingLinear
from sbn_hw.nn.binarizers import LABActivation, SiBNNActivation, SiMaNLinear, STEActivation, STELinear

# Hidden layer widths. tfc/sfc/lfc are FINN's MLPs; digits-mlp is sized for 8x8 digits.
MODEL_ZOO: dict[str, tuple[int, ...]] = {
    "digits-mlp": (128, 128, 128),
    "tfc": (64, 64, 64),
    "sfc": (256, 256, 256),
    "lfc": (1024, 1024, 1024),
}

DEFAULT_MODEL = {"digits": "digits-mlp", "mnist5k": "sfc", "mnist": "sfc", "fashion-mnist": "sfc", "cifar10": "sfc"}

METHODS = ("sbn", "ste", "lab", "sibnn", "siman")


def default_model_for(dataset: str) -> str:
    return DEFAULT_MODEL.get(dataset, "tfc")


def _linear(method: str, first: bool, a: int, b: int) -> nn.Module:
    if method == "sbn":
        return SelfBinarizingLinear(a, b)
    if method == "siman" and not first:  # the integer first layer keeps +-1 weights
        return SiMaNLinear(a, b)
    return STELinear(a, b)


def _activation(method: str, channels: int) -> nn.Module:
    return {
        "sbn": SelfBinarizingActivation,
        "ste": STEActivation,
        "siman": STEActivation,
        "lab": lambda: LABActivation(channels),
        "sibnn": lambda: SiBNNActivation(channels),
    }[method]()


class BinaryMLP(nn.Module):
    def __init__(self, in_features: int, hidden: tuple[int, ...], classes: int, method: str = "sbn"):
        super().__init__()
        if method not in METHODS:
            raise SbnHwError(f"unknown method '{method}': choose one of {', '.join(METHODS)}")
        self.in_features, self.hidden, self.classes, self.method = in_features, tuple(hidden), classes, method
        blocks: list[nn.Module] = []
        width = in_features
        for i, h in enumerate(hidden):
            blocks += [_linear(method, i == 0, width, h), nn.BatchNorm1d(h), _activation(method, h)]
            width = h
        blocks += [_linear(method, not hidden, width, classes), nn.BatchNorm1d(classes)]
        self.layers = nn.Sequential(*blocks)

    def forward(self, x):
        return self.layers(x)


SelfBinarizingMLP = BinaryMLP  # the original name


def build_model(name: str, in_features: int, classes: int, method: str = "sbn") -> BinaryMLP:
    if name not in MODEL_ZOO:
        raise SbnHwError(f"unknown model '{name}': choose one of {', '.join(MODEL_ZOO)}")
    return BinaryMLP(in_features, MODEL_ZOO[name], classes, method)
