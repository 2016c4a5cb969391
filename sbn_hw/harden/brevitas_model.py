"""The hardened model: Brevitas QuantLinear / QuantConv2d (binary weights, no bias), BatchNorm1d /
BatchNorm2d kept, 1-bit QuantIdentity activations, and for CNNs torch's MaxPool2d and a Flatten
between the conv and the fully connected part. It computes exactly the sign-based forward pass of
the trained model (for `sbn`: what the smooth model tends to as nu -> inf)."""

from __future__ import annotations

import torch
from brevitas.inject.enum import ScalingImplType
from brevitas.nn import QuantConv2d, QuantIdentity, QuantLinear
from brevitas.quant import (
    Int8WeightPerTensorFloat,
    SignedBinaryActPerTensorConst,
    SignedBinaryWeightPerTensorConst,
    Uint8ActPerTensorFloat,
)
from torch import nn

from sbn_hw.golden.lab import taps_inside
from sbn_hw.nn import SelfBinarizingActivation, SelfBinarizingWeights
from sbn_hw.nn.binarizers import LABActivation, LABConvActivation, SiBNNActivation, SiMaNWeights, STEActivation, STEWeights

BINARY_WEIGHT_LAYERS = (SelfBinarizingWeights, STEWeights, SiMaNWeights)  # each has binary_weight()


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


def binary_conv2d(in_channels: int, out_channels: int, kernel_size: int, stride: int = 1, padding: int = 0,
                  unsigned: bool = False) -> QuantConv2d:
    return QuantConv2d(in_channels, out_channels, kernel_size, stride=stride, padding=padding, bias=False,
                       weight_quant=UnsignedBinaryWeight if unsigned else BipolarWeight)


def bipolar_activation() -> QuantIdentity:
    return QuantIdentity(act_quant=BipolarActivation, return_quant_tensor=False)


def binary01_activation() -> QuantIdentity:
    return QuantIdentity(act_quant=UnsignedBinaryActivation, return_quant_tensor=False)


class ChannelAffine(nn.Module):
    """y = x * scale + bias per channel (LAB's compare margin); exports as Mul + Add. For NCHW
    tensors scale and bias are stored as (C, 1, 1)."""

    def __init__(self, scale: torch.Tensor, bias: torch.Tensor):
        super().__init__()
        self.register_buffer("scale", scale.detach().clone())
        self.register_buffer("bias", bias.detach().clone())

    def forward(self, x):
        return x * self.scale + self.bias


class LABWindow(nn.Module):
    """LAB's K x K binarizer with the batch norm before it folded in, computed exactly.

    From the conv's output v (integer multiples of `step`: 1 inside the network, 1/pixel_max after
    a first layer on pixels scaled as the trainer feeds them), a = round(v / step) is the integer
    accumulator, z = g * a + h the batch norm, and the trained margin is
    s * sum_k q_k z_(p+k) + e = s * g * (S(p) + B(p)) with S = DWConv(a, q) (integer taps q, zero
    "same" padding) and B(p) = (h * Q(p) + e / s) / g, Q(p) the sum of the taps inside the map.
    The output is sign(g) * (S + B) (then a bipolar quantizer): S is an exact integer in float32,
    and adding the float32 constant B and flipping the sign never changes the sign of the exact
    sum, so QONNX execution equals the hardware's integer compare (S >= T or S <= T per channel and
    border class) on every frame, ties included. B depends on p only through the border class."""

    def __init__(self, taps: torch.Tensor, offset: torch.Tensor, direction: torch.Tensor, step: float):
        super().__init__()
        self.register_buffer("taps", taps.detach().clone().float())  # (C, K, K) integers
        self.register_buffer("offset", offset.detach().clone().float())  # (C, H, W): B
        self.register_buffer("direction", direction.detach().clone().float().reshape(-1, 1, 1))  # (C, 1, 1): +-1
        self.step = float(step)

    def forward(self, v):
        a = torch.round(v * (1.0 / self.step))
        k = self.taps.shape[-1]
        s = nn.functional.conv2d(a, self.taps.unsqueeze(1), padding=k // 2, groups=self.taps.shape[0])
        return (s + self.offset) * self.direction


def lab_window(bn: nn.modules.batchnorm._BatchNorm, lab: LABConvActivation, map_hw: tuple[int, int],
               step: float) -> LABWindow:
    """The exact hardened form of BatchNorm2d -> LABConvActivation on an H x W map (see LABWindow)."""
    q, s, e = (t.detach().double() for t in lab.margin_kernel())
    g = bn.weight.detach().double() / torch.sqrt(bn.running_var.double() + bn.eps)
    h = bn.bias.detach().double() - g * bn.running_mean.double()
    g = g * step  # z = g * a + h with a the integer accumulator
    k, (hgt, wid) = q.shape[-1], map_hw
    inside = torch.zeros(hgt, wid, k, k, dtype=torch.float64)  # which taps of each position's window are in the map
    for y in range(hgt):
        for x in range(wid):
            inside[(y, x, *taps_inside(k, hgt, wid, y, x))] = 1
    q_in = torch.einsum("yxij,cij->cyx", inside, q)  # Q(p) per channel
    b = h[:, None, None] * q_in + (e / s)[:, None, None]
    safe_g = torch.where(g != 0, g, torch.ones_like(g))
    # g = 0: the margin is the constant b; any offset beyond every window sum acts the same, and a
    # finite one keeps float32 away from inf.
    offset = torch.where(g[:, None, None] != 0, b / safe_g[:, None, None],
                         torch.where(b >= 0, 1e30, -1e30)).clamp(-1e30, 1e30)
    direction = torch.where(g < 0, -1.0, 1.0)
    return LABWindow(q.float(), offset.float(), direction.float(), step)


class HardenedModel(nn.Module):
    """The hardened layers in order. A CNN's `input_shape` is (C, H, W): flat (N, C*H*W) input is
    reshaped to NCHW (NCHW input is taken as is, so an NCHW export has no Reshape node)."""

    def __init__(self, layers: list[nn.Module], input_shape: tuple[int, int, int] | None = None):
        super().__init__()
        self.layers = nn.Sequential(*layers)
        self.input_shape = tuple(input_shape) if input_shape is not None else None

    def forward(self, x):
        if self.input_shape is not None and x.dim() == 2:
            x = x.reshape(x.shape[0], *self.input_shape)
        return self.layers(x)


HardenedMLP = HardenedModel  # the original name


def _copy_bn(m: nn.modules.batchnorm._BatchNorm, bias_shift: torch.Tensor | None = None) -> nn.Module:
    bn = type(m)(m.num_features, eps=m.eps)
    bn.load_state_dict(m.state_dict())
    if bias_shift is not None:
        with torch.no_grad():
            bn.bias.add_(bias_shift)
    return bn


def _hardened_weight_layer(m: nn.Module) -> nn.Module:
    unsigned = isinstance(m, SiMaNWeights)
    if isinstance(m, nn.Conv2d):
        if m.bias is not None or m.groups != 1 or m.dilation != (1, 1) or m.padding_mode != "zeros":
            raise TypeError(f"cannot harden {type(m).__name__}: only bias-free, ungrouped, undilated convs")
        q = binary_conv2d(m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding, unsigned)
    else:
        q = binary_linear(m.in_features, m.out_features, unsigned)
    with torch.no_grad():
        # The exact binary weight: sign (sign(0) = +1), or SiMaN's {0, 1} bits.
        q.weight.copy_(m.binary_weight())
    return q


def _is_conv_activation(mods: list[nn.Module], i: int) -> bool:
    """Whether the activation at mods[i] acts on NCHW maps (a conv, not a linear, precedes it)."""
    for m in reversed(mods[:i]):
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            return isinstance(m, nn.Conv2d)
    return False


def layer_input_shapes(model: nn.Module) -> dict[int, tuple[int, ...]]:
    """{index in model.layers: the shape (without the batch) of what that layer receives}, by a
    forward pass of one blank image in eval mode; empty for a model without an `input_shape`."""
    shape = getattr(model, "input_shape", None)
    if shape is None:
        return {}
    shapes, x = {}, torch.zeros(1, *shape)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        for i, m in enumerate(model.layers):
            shapes[i] = tuple(int(v) for v in x.shape[1:])
            x = m(x)
    model.train(was_training)
    return shapes


def harden(model: nn.Module, input_step: float | None = None) -> HardenedModel:
    """Copy a trained binary MLP or CNN (any method) into Brevitas quant modules (eval mode).

    input_step: the model input's step (1/pixel_max for pixels scaled as the trainer feeds them,
    1 for +-1 pixels); needed only by a K x K LAB after the first layer, whose exact hardened form
    recovers the integer accumulator from it (LABWindow)."""
    mods = list(model.layers)
    shapes = layer_input_shapes(model) if any(isinstance(m, LABConvActivation) for m in mods) else {}
    layers: list[nn.Module] = []
    weight_layers_seen = 0
    for i, m in enumerate(mods):
        nxt = mods[i + 1] if i + 1 < len(mods) else None
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)) and isinstance(nxt, LABConvActivation):
            continue  # folded into the LABWindow that follows
        if isinstance(m, LABConvActivation):
            if not isinstance(mods[i - 1], nn.BatchNorm2d):
                raise TypeError("cannot harden a K x K LAB without the BatchNorm2d it folds in right before it")
            step = 1.0
            if weight_layers_seen == 1:
                if input_step is None:
                    raise ValueError("harden: a K x K LAB after the first layer needs input_step (1/pixel_max for "
                                     "integer pixels, 1 for +-1 pixels)")
                step = input_step
            layers += [lab_window(mods[i - 1], m, shapes[i][1:], step), bipolar_activation()]
            continue
        if isinstance(m, BINARY_WEIGHT_LAYERS):
            weight_layers_seen += 1
            layers.append(_hardened_weight_layer(m))
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            # Si-BNN: [BN(x) >= t] == [BN(x) - t + 0.5 > 0.5]: fold the threshold into the BN bias.
            shift = (0.5 - nxt.threshold) if isinstance(nxt, SiBNNActivation) else None
            layers.append(_copy_bn(m, shift))
        elif isinstance(m, (SelfBinarizingActivation, STEActivation)):
            layers.append(bipolar_activation())
        elif isinstance(m, SiBNNActivation):
            layers.append(binary01_activation())
        elif isinstance(m, LABActivation):
            d, e = m.margin_affine()
            if _is_conv_activation(mods, i):
                d, e = d.reshape(-1, 1, 1), e.reshape(-1, 1, 1)
            layers += [ChannelAffine(d, e), bipolar_activation()]
        elif isinstance(m, nn.MaxPool2d):
            layers.append(nn.MaxPool2d(m.kernel_size, m.stride, m.padding, m.dilation, ceil_mode=m.ceil_mode))
        elif isinstance(m, nn.Flatten):
            layers.append(nn.Flatten(m.start_dim, m.end_dim))
        else:
            raise TypeError(f"cannot harden layer {type(m).__name__}")
    return HardenedModel(layers, getattr(model, "input_shape", None)).eval()
