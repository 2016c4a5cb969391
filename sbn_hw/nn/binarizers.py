"""The sibling methods' binarizers (sign-based training with straight-through gradients).

- ste:   classic BNN: sign() forward, identity gradient inside |x| <= 1 (hardtanh window).
- sibnn: Si-BNN (Wang et al., TNNLS 2022): activations in {0, 1} = [x >= t] with a learnable
         per-channel threshold t and an asymmetric backward window (x - t in [-0.5, 1.5)): the
         'on' side, whose values reach the next layer, keeps gradient further out.
         (A per-channel output scale is left to the next layer's BatchNorm, which absorbs it.)
- siman: SiMaN (Lin et al., TPAMI 2023): weights in {0, 1}: per output row, after
         standardising, the larger-magnitude half is 1 and the rest 0; gradient straight through
         the magnitude.
- lab:   Learnable Activation Binarizer (Falkena et al., WACV 2023), 1x1 form for MLPs: per
         channel two learned affine outputs o0 = k0*x + c0, o1 = k1*x + c1 and bit = [o1 >= o0],
         with a soft-argmax (softmax over (o0, o1)) surrogate gradient. For 1x1 kernels this is
         exactly a learned per-channel compare: (k1-k0)*x + (c1-c0) >= 0 (docs/ENCODINGS.md).
         On conv feature maps, the paper's form: the two outputs are K x K depthwise convolutions
         ("same" zero padding), their difference kernel quantised to small integers per channel so
         the hardware computes it exactly (LABConvActivation).

Every weight binarizer comes as a linear and a 2-D conv layer (bias-free, valid 3x3 by default);
every activation works per channel on (N, C) and on NCHW (N, C, H, W) tensors alike.
"""

from __future__ import annotations

import torch
from torch import nn

from sbn_hw.nn.sbn import hard_sign


class _SignSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return hard_sign(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (x.abs() <= 1).to(g.dtype)


def sign_ste(x: torch.Tensor) -> torch.Tensor:
    return _SignSTE.apply(x)


def per_channel(p: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """A per-channel parameter of shape (C,) shaped to broadcast over x's channel axis (dim 1):
    (C,) for (N, C), (C, 1, 1) for NCHW."""
    return p.reshape(-1, *([1] * (x.dim() - 2)))


class STEWeights:
    """Binary weights sign(w) (sign(0) = +1), straight-through; latent weights clipped to [-1, 1]."""

    weight_encoding = "bipolar"

    def binary_weight(self) -> torch.Tensor:
        return hard_sign(self.weight)

    def effective_weight(self) -> torch.Tensor:
        return sign_ste(self.weight)

    @torch.no_grad()
    def clip_(self):
        self.weight.clamp_(-1, 1)


class STELinear(STEWeights, nn.Linear):
    def __init__(self, in_features: int, out_features: int):
        nn.Linear.__init__(self, in_features, out_features, bias=False)
        nn.init.uniform_(self.weight, -0.1, 0.1)

    def forward(self, x):
        return nn.functional.linear(x, self.effective_weight())


class STEConv2d(STEWeights, nn.Conv2d):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1, padding: int = 0):
        nn.Conv2d.__init__(self, in_channels, out_channels, kernel_size, stride=stride, padding=padding, bias=False)
        nn.init.uniform_(self.weight, -0.1, 0.1)

    def forward(self, x):
        return self._conv_forward(x, self.effective_weight(), None)


class STEActivation(nn.Module):
    output_encoding = "bipolar"

    def forward(self, x):
        return sign_ste(x)


class _Step01(torch.autograd.Function):
    @staticmethod
    def forward(ctx, u):
        ctx.save_for_backward(u)
        return (u >= 0).to(u.dtype)

    @staticmethod
    def backward(ctx, g):
        (u,) = ctx.saved_tensors
        return g * ((u >= -0.5) & (u < 1.5)).to(g.dtype)


class SiBNNActivation(nn.Module):
    """a = [x >= t] in {0, 1}, t learnable per channel (dim 1 of (N, C) or NCHW inputs)."""

    output_encoding = "binary"

    def __init__(self, channels: int):
        super().__init__()
        self.threshold = nn.Parameter(torch.zeros(channels))

    def forward(self, x):
        return _Step01.apply(x - per_channel(self.threshold, x))


def siman_bits(w: torch.Tensor) -> torch.Tensor:
    """Per output row / filter (dim 0; a conv kernel's C_in*k*k entries are one row): standardise,
    then the larger-magnitude half (floor(K/2) entries) -> 1, rest -> 0. Ties are broken by
    position (topk), so each row has exactly floor(K/2) ones."""
    rows = w.reshape(w.shape[0], -1)
    std = (rows - rows.mean(dim=1, keepdim=True)) / (rows.std(dim=1, keepdim=True) + 1e-12)
    k = rows.shape[1] // 2
    bits = torch.zeros_like(rows)
    if k:
        bits.scatter_(1, std.abs().topk(k, dim=1).indices, 1.0)
    return bits.reshape(w.shape)


class _SiMaNWeight(torch.autograd.Function):
    """Forward: SiMaN's bits. Backward: through the magnitude, d|w|/dw = sign(w): pushing a bit up
    means growing |w| (a plain identity gradient would shrink negative weights toward 'off')."""

    @staticmethod
    def forward(ctx, w):
        ctx.save_for_backward(w)
        return siman_bits(w)

    @staticmethod
    def backward(ctx, g):
        (w,) = ctx.saved_tensors
        rows = w.reshape(w.shape[0], -1)
        centred = (rows - rows.mean(dim=1, keepdim=True)).reshape(w.shape)
        return g * torch.where(centred >= 0, 1.0, -1.0)


class SiMaNWeights:
    """Weights in {0, 1} by SiMaN's magnitude rule, per output row / filter (the trainer uses no
    weight decay, which would pull the latent weights to 0)."""

    weight_encoding = "binary"

    def binary_weight(self) -> torch.Tensor:
        return siman_bits(self.weight)

    def effective_weight(self) -> torch.Tensor:
        return _SiMaNWeight.apply(self.weight)


class SiMaNLinear(SiMaNWeights, nn.Linear):
    def __init__(self, in_features: int, out_features: int):
        nn.Linear.__init__(self, in_features, out_features, bias=False)

    def forward(self, x):
        return nn.functional.linear(x, self.effective_weight())


class SiMaNConv2d(SiMaNWeights, nn.Conv2d):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1, padding: int = 0):
        nn.Conv2d.__init__(self, in_channels, out_channels, kernel_size, stride=stride, padding=padding, bias=False)

    def forward(self, x):
        return self._conv_forward(x, self.effective_weight(), None)


class LABActivation(nn.Module):
    """1x1 Learnable Activation Binarizer: two affine outputs per channel (dim 1 of (N, C) or NCHW
    inputs); the bit says which is larger. The forward bit is computed as sign(d*x + e) from
    margin_affine(), exactly what the hardened model computes (its ChannelAffine then a sign)."""

    output_encoding = "bipolar"

    def __init__(self, channels: int, temperature: float = 1.0):
        super().__init__()
        self.k = nn.Parameter(torch.tensor([-1.0, 1.0]).repeat(channels, 1))  # (C, 2): o1 - o0 = 2x at init
        self.c = nn.Parameter(torch.zeros(channels, 2))
        self.temperature = temperature

    def margin_affine(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(d, e) with o1 - o0 = d*x + e."""
        return self.k[:, 1] - self.k[:, 0], self.c[:, 1] - self.c[:, 0]

    def forward(self, x):
        o0 = per_channel(self.k[:, 0], x) * x + per_channel(self.c[:, 0], x)
        o1 = per_channel(self.k[:, 1], x) * x + per_channel(self.c[:, 1], x)
        d, e = self.margin_affine()
        hard = hard_sign(per_channel(d, x) * x + per_channel(e, x))
        soft = torch.softmax(torch.stack([o0, o1], -1) / self.temperature, -1)
        soft = soft[..., 1] - soft[..., 0]  # soft-argmax, as a value in (-1, 1)
        return hard + (soft - soft.detach())


def quantize_taps(d: torch.Tensor, tap_bits: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(C, K, K) float kernels -> (integer taps q in [-(2^(b-1) - 1), 2^(b-1) - 1], per-channel
    scale s > 0) with d ~ s * q; s = max|d_c| / qmax (1 for an all-zero channel)."""
    qmax = (1 << (tap_bits - 1)) - 1
    s = d.detach().abs().flatten(1).amax(1) / qmax
    s = torch.where(s > 0, s, torch.ones_like(s))
    q = torch.clamp(torch.round(d.detach() / s[:, None, None]), -qmax, qmax)
    return q, s


class LABConvActivation(nn.Module):
    """K x K Learnable Activation Binarizer on NCHW maps (Falkena et al.): per channel two outputs
    o_j = DWConv(x, k_j) + c_j ("same" zero padding) and bit = [o1 >= o0], i.e. the sign of the
    margin DWConv(x, k1 - k0) + (c1 - c0). The margin kernel is used quantised: s_c * q with
    integer taps q of `tap_bits` bits and a per-channel scale s_c (straight-through to the float
    kernels), so sign(margin) = sign(sum q * x + e / s_c) is what the hardware computes with
    integer taps (harden.LABWindow). Backward: soft-argmax of (o0, o1), i.e. tanh(margin / 2T)."""

    output_encoding = "bipolar"

    def __init__(self, channels: int, kernel: int = 3, tap_bits: int = 4, temperature: float = 1.0):
        super().__init__()
        if kernel < 1 or kernel % 2 == 0:
            raise ValueError(f"LAB kernel must be odd and >= 1, got {kernel}")
        if tap_bits < 2:
            raise ValueError(f"LAB taps need at least 2 bits, got {tap_bits}")
        k0 = torch.zeros(channels, 2, kernel, kernel)
        k0[:, 0, kernel // 2, kernel // 2], k0[:, 1, kernel // 2, kernel // 2] = -1.0, 1.0  # margin 2x at init
        self.k = nn.Parameter(k0)
        self.c = nn.Parameter(torch.zeros(channels, 2))
        self.kernel, self.tap_bits, self.temperature = kernel, tap_bits, temperature

    def margin_kernel(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(q, s, e): integer taps (C, K, K), per-channel scales (C,), margin bias (C,)."""
        q, s = quantize_taps(self.k[:, 1] - self.k[:, 0], self.tap_bits)
        return q, s, self.c[:, 1] - self.c[:, 0]

    def forward(self, x):
        d = self.k[:, 1] - self.k[:, 0]
        q, s, e = self.margin_kernel()
        dq = d + (q * s[:, None, None] - d).detach()  # quantised forward, straight-through backward
        m = nn.functional.conv2d(x, dq.unsqueeze(1), e, padding=self.kernel // 2, groups=x.shape[1])
        soft = torch.tanh(m / (2 * self.temperature))
        return hard_sign(m) + (soft - soft.detach())
