"""Binary convolutional networks for every training method, in bnn_pynq's CNV style:

    [Conv(binary w, valid k x k, no bias) -> BatchNorm2d -> binary act (-> MaxPool 2x2)]*
    -> Flatten -> [Linear(binary w) -> BatchNorm1d -> binary act]* -> Linear -> BatchNorm1d

Max pooling comes after the activation (as bnn_pynq does), so it pools binary values (an OR of
bits). The first conv sees the integer (or +-1) input pixels like the MLPs' first layer. The last
BatchNorm scales the class scores (on the host after the accelerator). All sizes live in CONV_ZOO.

The trainer feeds flat (N, C*H*W) batches (the features in C, H, W order, as the datasets store
them): forward reshapes those to NCHW itself, and leaves NCHW input untouched, so a model exported
with an NCHW input has no Reshape in its graph.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from sbn_hw import SbnHwError
from sbn_hw.models.layers import activation_layer, check_lab_kernel, check_method, conv_layer, linear_layer

POOL = "M"  # a 2x2 max pool (stride 2) in ConvTopology.convs


@dataclass(frozen=True)
class ConvTopology:
    """convs: output channels of each valid `kernel` x `kernel` conv, POOL for a 2x2 max pool;
    fc: the hidden widths of the fully connected layers after the flatten."""

    convs: tuple
    fc: tuple[int, ...]
    kernel: int = 3

    def out_side(self, side: int) -> int:
        """The side of the last feature map for an input side (<= 0: the image is too small)."""
        for item in self.convs:
            if side <= 0:
                return side
            side = side // 2 if item == POOL else side - (self.kernel - 1)
        return side

    def min_side(self) -> int:
        side = 1
        while self.out_side(side) < 1:
            side += 1
        return side


CONV_ZOO: dict[str, ConvTopology] = {
    # bnn_pynq's CNV, for 32x32 images (CIFAR-10): 32->30->28->14->12->10->5->3->1, i.e. 1x1x256.
    "cnv": ConvTopology((64, 64, POOL, 128, 128, POOL, 256, 256), (512, 512)),
    # For 28x28 MNIST (mnist5k): 28->26->24->12->10->8->4, 4*4*64 = 1024 features into the FC part.
    "cnn-s": ConvTopology((32, 32, POOL, 64, 64, POOL), (128,)),
    # For 8x8 digits, tiny for fast tests: 8->6->4->2, 2*2*32 = 128 features.
    "digits-cnn": ConvTopology((16, 32, POOL), (64,)),
}


class BinaryCNN(nn.Module):
    def __init__(self, input_shape: tuple[int, int, int], topology: ConvTopology, classes: int, method: str = "sbn",
                 name: str = "cnn", lab_kernel: int = 3):
        super().__init__()
        check_method(method)
        c, h, w = (int(v) for v in input_shape)
        if min(h, w) < topology.min_side():
            raise SbnHwError(
                f"model '{name}' needs images of at least {topology.min_side()}x{topology.min_side()} (its valid "
                f"{topology.kernel}x{topology.kernel} convolutions and 2x2 pools shrink {h}x{w} to nothing); "
                f"choose a model for this image size: {', '.join(CONV_ZOO)}")
        self.input_shape = (c, h, w)
        self.topology, self.classes, self.method = topology, classes, method
        check_lab_kernel(lab_kernel)
        blocks: list[nn.Module] = []
        first = True
        for item in topology.convs:
            if item == POOL:
                blocks.append(nn.MaxPool2d(2))
                h, w = h // 2, w // 2
                continue
            blocks += [conv_layer(method, first, c, item, topology.kernel), nn.BatchNorm2d(item),
                       activation_layer(method, item, lab_kernel)]
            c, h, w = item, h - topology.kernel + 1, w - topology.kernel + 1
            first = False
        blocks.append(nn.Flatten())
        width = c * h * w
        for f in topology.fc:
            blocks += [linear_layer(method, first, width, f), nn.BatchNorm1d(f), activation_layer(method, f)]
            width, first = f, False
        blocks += [linear_layer(method, first, width, classes), nn.BatchNorm1d(classes)]
        self.layers = nn.Sequential(*blocks)

    @property
    def in_features(self) -> int:
        c, h, w = self.input_shape
        return c * h * w

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 2:  # flat (N, C*H*W) batches as the trainer feeds them
            x = x.reshape(x.shape[0], *self.input_shape)
        return self.layers(x)
