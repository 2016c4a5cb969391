"""The accelerator description straight from a hardened Brevitas MLP, by binary batch norm.

FINN rewrites {0,1} activations (Si-BNN) and {0,1} weights (SiMaN) into XNOR form. To build
those methods' own hardware (AND-popcount, docs/ENCODINGS.md), the description is derived here
from the model itself; the compile stage then checks it against FINN's execution, every layer,
every frame."""

from __future__ import annotations

import numpy as np
from brevitas.nn import QuantIdentity, QuantLinear
from torch import nn

from sbn_hw import SbnHwError
from sbn_hw.compile.accel import INPUT_DTYPES, Accelerator, LayerSpec
from sbn_hw.compile.bbn import bn_sign_thresholds
from sbn_hw.harden.brevitas_model import ChannelAffine, UnsignedBinaryActivation, UnsignedBinaryWeight, uses_quantizer


def _blocks(model: nn.Module):
    """[(linear, bn, affine or None, activation or None)] in order."""
    mods, blocks, i = list(model.layers), [], 0
    while i < len(mods):
        lin, bn = mods[i], mods[i + 1] if i + 1 < len(mods) else None
        if not isinstance(lin, QuantLinear) or not isinstance(bn, nn.BatchNorm1d):
            raise SbnHwError(f"expected QuantLinear + BatchNorm1d at layer {i}, found {type(lin).__name__}")
        i += 2
        aff = mods[i] if i < len(mods) and isinstance(mods[i], ChannelAffine) else None
        i += aff is not None
        act = mods[i] if i < len(mods) and isinstance(mods[i], QuantIdentity) else None
        i += act is not None
        blocks.append((lin, bn, aff, act))
    return blocks


def has_unsigned_binary(model: nn.Module) -> bool:
    """Whether the hardened model has {0,1} activations or {0,1} weights. FINN 1.6.1 turns those
    into XNOR form, so their AND-popcount hardware is described from the model (describe_hardened)."""
    return any(isinstance(m, QuantIdentity) and uses_quantizer(m.act_quant, UnsignedBinaryActivation)
               or isinstance(m, QuantLinear) and uses_quantizer(m.weight_quant, UnsignedBinaryWeight)
               for m in model.modules())


def describe_hardened(model: nn.Module, input_dtype: str, input_scale: float, name: str = "sbn_accel") -> Accelerator:
    blocks = _blocks(model)
    in_kind = "int" if input_dtype not in ("BIPOLAR", "BINARY") else "bipolar"
    lo, hi = INPUT_DTYPES[input_dtype]
    layers, scale, bias = [], None, None
    for i, (lin, bn, aff, act) in enumerate(blocks):
        unsigned_w = uses_quantizer(lin.weight_quant, UnsignedBinaryWeight)
        w = lin.weight.detach().numpy()
        bits = (w > 0.5).astype(np.uint8) if unsigned_w else (w >= 0).astype(np.uint8)
        k = lin.in_features
        if in_kind == "int":
            if unsigned_w:
                raise SbnHwError(f"layer {i}: {{0,1}} weights on integer inputs are not supported")
            mode, z_scale, z_off, (a_lo, a_hi) = "int", input_scale, 0.0, (lo, hi)
        elif in_kind == "bipolar":
            mode = "and_w" if unsigned_w else "xnor"
            z_scale, z_off = 2.0, (-bits.sum(axis=1).astype(np.float64) if unsigned_w else -float(k))
            a_lo, a_hi = 0, 1
        else:  # {0,1} activations in
            if unsigned_w:
                raise SbnHwError(f"layer {i}: {{0,1}} activations with {{0,1}} weights are not supported")
            mode, z_scale, z_off, (a_lo, a_hi) = "and_act", 1.0, 0.0, (0, 1)
        spec = LayerSpec(f"MVAU_{i}", k, lin.out_features, 1, 1, mode, a_lo, a_hi, bits)
        gamma, beta = bn.weight.detach().numpy().astype(np.float64), bn.bias.detach().numpy().astype(np.float64)
        if aff is not None:  # y = d * BN(z) + e is again a batch norm
            d, e = aff.scale.numpy().astype(np.float64), aff.bias.numpy().astype(np.float64)
            gamma, beta = gamma * d, beta * d + e
        mean, var = bn.running_mean.numpy().astype(np.float64), bn.running_var.numpy().astype(np.float64)
        if act is None:  # last layer: the integer accumulator leaves; BN runs on the host
            if i != len(blocks) - 1:
                raise SbnHwError(f"layer {i} has no activation but is not the last layer")
            g = gamma / np.sqrt(var + bn.eps)
            scale, bias = g * z_scale, g * (z_off - mean) + beta
            layers.append(spec)
            break
        binary01 = uses_quantizer(act.act_quant, UnsignedBinaryActivation)
        t, le = bn_sign_thresholds(gamma, beta, mean, var, bn.eps, z_scale, z_off, spec.acc_range,
                                   level=0.5 if binary01 else 0.0, ties_high=not binary01)
        layers.append(LayerSpec(spec.name, k, lin.out_features, 1, 1, mode, a_lo, a_hi, bits, t, le))
        in_kind = "binary01" if binary01 else "bipolar"
    return Accelerator(tuple(layers), input_dtype, float(input_scale), np.asarray(scale), np.asarray(bias), name)


def own_encodings_description(hardened: nn.Module, finn_accel: Accelerator) -> Accelerator | None:
    """For a model with {0,1} activations or weights: its AND-popcount description, folded (and
    memory styles) like FINN's; None when FINN's XNOR form is the model's own. Decided by the
    model's quantizers, never by the name of the method that trained it."""
    if not has_unsigned_binary(hardened):
        return None
    own = describe_hardened(hardened, finn_accel.input_dtype, finn_accel.input_scale, finn_accel.name)
    return own.with_folding(finn_accel.folding)
