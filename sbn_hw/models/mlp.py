"""Binary MLPs for every training method: [Linear(binary w) -> BatchNorm -> binary act] per hidden
layer, then a binary Linear and a BatchNorm that scales the class scores (on the host after the
accelerator). All layer sizes live in MODEL_ZOO."""

from __future__ import annotations

from torch import nn

from sbn_hw.models.layers import activation_layer, check_method, linear_layer

# Hidden layer widths. tfc/sfc/lfc are FINN's MLPs; digits-mlp is sized for 8x8 digits.
MODEL_ZOO: dict[str, tuple[int, ...]] = {
    "digits-mlp": (128, 128, 128),
    "tfc": (64, 64, 64),
    "sfc": (256, 256, 256),
    "lfc": (1024, 1024, 1024),
}


class BinaryMLP(nn.Module):
    def __init__(self, in_features: int, hidden: tuple[int, ...], classes: int, method: str = "sbn"):
        super().__init__()
        check_method(method)
        self.in_features, self.hidden, self.classes, self.method = in_features, tuple(hidden), classes, method
        blocks: list[nn.Module] = []
        width = in_features
        for i, h in enumerate(hidden):
            blocks += [linear_layer(method, i == 0, width, h), nn.BatchNorm1d(h), activation_layer(method, h)]
            width = h
        blocks += [linear_layer(method, not hidden, width, classes), nn.BatchNorm1d(classes)]
        self.layers = nn.Sequential(*blocks)

    def forward(self, x):
        return self.layers(x)


SelfBinarizingMLP = BinaryMLP  # the original name
