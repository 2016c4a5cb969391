"""A model's own encodings in FINN's accelerator description, by binary batch norm.

FINN rewrites {0,1} activations (Si-BNN) and {0,1} weights (SiMaN) into XNOR form. To build
those methods' own hardware (AND-popcount, docs/ENCODINGS.md), every MVAU of FINN's description
(its shape, folding, memory styles and, for a CNN, the sliding-window and pooling units around it)
gets its weights, mode and thresholds from the hardened model itself; the compile stage then checks
the result against QONNX execution of the exported model, every layer, every frame.

LAB's K x K binarizer (a depthwise convolution before the sign) has no FINN layer either: FINN lays
out the model's sign twin (each LABWindow replaced by a batch norm), and every such MVAU then
emits its integer accumulators into a LAB unit (LabSpec) built from the LABWindow."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from brevitas.nn import QuantConv2d, QuantIdentity, QuantLinear
from torch import nn

from sbn_hw import SbnHwError
from sbn_hw.compile.accel import DSP_MAX_IN_BITS, INPUT_DTYPES, Accelerator, LabSpec, LayerSpec, bits_for_range
from sbn_hw.compile.bbn import bn_sign_thresholds
from sbn_hw.compile.folding import divisors, streams_compatible
from sbn_hw.golden.lab import class_pixels, taps_inside, window_sum_bound
from sbn_hw.harden.brevitas_model import (ChannelAffine, HardenedModel, LABWindow, UnsignedBinaryActivation,
                                          UnsignedBinaryWeight, layer_input_shapes, uses_quantizer)

WEIGHT_LAYERS = (QuantLinear, QuantConv2d)
BATCH_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d)
PASS_THROUGH = (nn.MaxPool2d, nn.Flatten)  # FINN's pool units carry these; a flatten only reorders


@dataclass(frozen=True)
class Block:
    """One MVAU's worth of the hardened model: weights, batch norm, optional affine and activation,
    and the (C, H, W) map a fully connected layer reads when it follows a convolution (its columns
    are in torch's C, H, W flatten order; the stream brings H, W, C)."""

    weight: nn.Module
    bn: nn.Module
    affine: ChannelAffine | None
    act: QuantIdentity | None
    flattened_from: tuple[int, int, int] | None


def _flattened_maps(model: nn.Module) -> dict[int, tuple[int, int, int]]:
    """{index of a Flatten in model.layers: the (C, H, W) map it flattens} (an MLP has none)."""
    return {i: shape for i, shape in layer_input_shapes(model).items() if isinstance(model.layers[i], nn.Flatten)}


def _blocks(model: nn.Module) -> list[Block]:
    mods, maps = list(model.layers), _flattened_maps(model)
    blocks, i, flat_from = [], 0, None
    while i < len(mods):
        m = mods[i]
        if isinstance(m, PASS_THROUGH):
            chw = maps.get(i)
            flat_from = chw if chw is not None and chw[1] * chw[2] > 1 else flat_from
            i += 1
            continue
        bn = mods[i + 1] if i + 1 < len(mods) else None
        if not isinstance(m, WEIGHT_LAYERS) or not isinstance(bn, BATCH_NORMS):
            raise SbnHwError(f"expected a QuantLinear or QuantConv2d and its batch norm at layer {i}, "
                             f"found {type(m).__name__}")
        i += 2
        aff = mods[i] if i < len(mods) and isinstance(mods[i], ChannelAffine) else None
        i += aff is not None
        act = mods[i] if i < len(mods) and isinstance(mods[i], QuantIdentity) else None
        i += act is not None
        blocks.append(Block(m, bn, aff, act, flat_from if isinstance(m, QuantLinear) else None))
        flat_from = None
    return blocks


def weight_rows(block: Block, unsigned: bool) -> np.ndarray:
    """The weight bits as the MVAU reads them: one row per output channel, columns in stream order
    (a conv kernel's ky, kx, c; a flattened map's h, w, c), 1 = +1 (bipolar) or 1 (unsigned)."""
    w = block.weight.weight.detach().numpy()
    bits = (w > 0.5) if unsigned else (w >= 0)
    if bits.ndim == 4:  # (O, C, KH, KW) -> (O, KH*KW*C), the window's element order
        bits = bits.transpose(0, 2, 3, 1)
    elif block.flattened_from is not None:  # columns (c, h, w) -> (h, w, c)
        c, h, wd = block.flattened_from
        bits = bits.reshape(len(bits), c, h, wd).transpose(0, 2, 3, 1)
    return bits.reshape(len(bits), -1).astype(np.uint8)


def has_unsigned_binary(model: nn.Module) -> bool:
    """Whether the hardened model has {0,1} activations or {0,1} weights. FINN 1.6.1 turns those
    into XNOR form, so their AND-popcount hardware is described from the model."""
    return any(isinstance(m, QuantIdentity) and uses_quantizer(m.act_quant, UnsignedBinaryActivation)
               or isinstance(m, WEIGHT_LAYERS) and uses_quantizer(m.weight_quant, UnsignedBinaryWeight)
               for m in model.modules())


def has_lab_window(model: nn.Module) -> bool:
    """Whether the hardened model has LAB's K x K binarizer, which FINN has no layer for."""
    return any(isinstance(m, LABWindow) for m in model.modules())


def needs_layout_twin(model: nn.Module) -> bool:
    """Whether FINN must lay out a twin of the model rather than the model itself."""
    return has_unsigned_binary(model) or has_lab_window(model)


def layout_twin(hardened: HardenedModel) -> HardenedModel:
    """The model with every LABWindow replaced by a batch norm (identity statistics): the same
    topology with a plain sign activation, which FINN streamlines. Only its layout is used."""
    layers = [nn.BatchNorm2d(m.taps.shape[0]) if isinstance(m, LABWindow) else m for m in hardened.layers]
    return HardenedModel(layers, hardened.input_shape).eval()


def _weight_layer_windows(model: nn.Module) -> list[LABWindow | None]:
    """Per weight layer in order, the LABWindow that binarizes its output (None where none does)."""
    out: list[LABWindow | None] = []
    for m in model.layers:
        if isinstance(m, WEIGHT_LAYERS):
            out.append(None)
        elif isinstance(m, LABWindow):
            out[-1] = m
    return out


def lab_unit(name: str, win: LABWindow, mvau: LayerSpec, input_scale: float, first: bool) -> LabSpec:
    """The LAB unit computing win's bits from the MVAU's integer accumulator acc.

    LABWindow works on a = round(v / step), v the conv's output in QONNX: a = 2*acc - MW for an
    XNOR layer (v = 2*popcount - MW), a = acc for a first layer on integers x input_scale (which
    must be the window's step). Its bit is sign(sigma * (S_a + B)) >= 0 with S_a = alpha * S +
    beta * Q, so S >= ceil((-B - beta*Q) / alpha) for sigma = +1, S <= floor(...) for sigma = -1;
    B is a float32 constant, so the bounds are exact in float64."""
    if mvau.mode == "xnor":
        alpha, beta = 2, -mvau.mw
        if win.step != 1.0:
            raise SbnHwError(f"layer {name}: a LAB window with input step {win.step:g} after a bipolar layer; "
                             "re-export the model (sbn-hw export) so its windows match its layers")
    elif mvau.mode == "int":
        if not (first and np.isclose(win.step, input_scale, rtol=1e-6)):
            raise SbnHwError(f"layer {name}: the model's LAB window expects inputs in steps of {win.step:g}, the "
                             f"accelerator's input scale is {input_scale:g}: compile with --input-scale {win.step:g}")
        alpha, beta = 1, 0
    else:
        raise SbnHwError(f"layer {name}: LAB's K x K binarizer after a {mvau.mode} layer is not supported; LAB "
                         "models have bipolar weights and activations (train with --method lab)")
    q = win.taps.numpy().astype(np.int64)
    offset = win.offset.numpy().astype(np.float64)  # float32 values, exact in float64
    sigma = win.direction.numpy().reshape(-1)
    c, h, w = offset.shape
    k = q.shape[1]
    if c * h * w != mvau.mh * mvau.vectors:
        raise SbnHwError(f"layer {name}: the LAB window covers {c}x{h}x{w} values, the MVAU emits "
                         f"{mvau.mh * mvau.vectors}; re-export the model (sbn-hw export) and compile again")
    # Thresholds beyond the reach of S change nothing: clamp them to one past it, as LabSpec needs.
    reach = window_sum_bound(q, *mvau.acc_range)
    thresholds = np.zeros((c, k, k), dtype=np.int64)
    for (cy, cx), (y, x) in class_pixels(h, w, k).items():
        rows, cols = taps_inside(k, h, w, y, x)
        n = -beta * q[:, rows, cols].reshape(c, -1).sum(1)  # integers
        for ch in range(c):
            thresholds[ch, cy, cx] = class_threshold(int(n[ch]), float(offset[ch, y, x]), alpha, sigma[ch] < 0, reach)
    return LabSpec(name, h, w, c, k, mvau.pe, *mvau.acc_range, q, thresholds, sigma < 0)


def class_threshold(n: int, offset: float, alpha: int, le: bool, reach: int) -> int:
    """The integer T with [alpha*S + offset >= n] == [S >= T] (or <=, le) for every integer S, clamped
    to [-reach - 1, reach + 1]. alpha*S and n are integers, so alpha*S >= n - offset is
    alpha*S >= n + ceil(-offset): only integers are divided (no float rounding near a bound)."""
    if not np.isfinite(offset) or abs(offset) > alpha * reach + abs(n) + 1:
        # Beyond any S: a positive offset makes >= always and <= never true, a negative one the
        # reverse; both are the bound below (resp. above) every S.
        return -reach - 1 if offset > 0 else reach + 1
    if le:
        t = (n + int(np.floor(-offset))) // alpha
    else:
        t = -((-(n + int(np.ceil(-offset)))) // alpha)
    return int(min(max(t, -reach - 1), reach + 1))


def lab_description(hardened: nn.Module, finn_accel: Accelerator) -> Accelerator:
    """FINN's description of the layout twin with a LAB unit after every MVAU the model
    binarizes with a LABWindow (the MVAU then emits its accumulators)."""
    windows = _weight_layer_windows(hardened)
    mvaus = [i for i, l in enumerate(finn_accel.layers) if l.kind == "mvau"]
    if len(mvaus) != len(windows):
        raise SbnHwError(f"FINN's description has {len(mvaus)} MVAUs but the model {len(windows)} weight layers; "
                         "re-export the model (sbn-hw export) so its layout twin matches it")
    layers, count = [], 0
    at_window = dict(zip(mvaus, windows))
    for i, l in enumerate(finn_accel.layers):
        win = at_window.get(i)
        if win is None:
            layers.append(l)
            continue
        mvau = replace(l, thresholds=None, threshold_le=None)
        before = finn_accel.layers[i - 1] if i > 0 else None
        if before is not None and before.kind == "window" and before.ofm != tuple(win.offset.shape[1:]):
            raise SbnHwError(f"layer {l.name}: the model's LAB window is {tuple(win.offset.shape[1:])}, FINN's "
                             f"sliding window makes a {before.ofm} map")
        layers += [mvau, lab_unit(f"LAB_{count}", win, mvau, finn_accel.input_scale, first=i == mvaus[0])]
        count += 1
    return replace(finn_accel, layers=tuple(fold_lab_units(layers)))


def fold_lab_units(layers: list) -> list:
    """Each LAB unit with the fewest lanes that never make it the slowest layer (counting the
    empty shifts of a frame whose successor is late): its K*K multipliers per lane are its cost,
    and an MVAU that reads its window in several beats (SIMD < MW) would leave it idle most cycles
    at the MVAU's PE. Its lanes stay stream-compatible with both neighbours (one divides the other)."""
    slowest = max(l.cycles for l in layers if l.kind != "lab")
    out = list(layers)
    for i, l in enumerate(out):
        if l.kind != "lab":
            continue
        sides = [out[i - 1].out_per_beat] + ([out[i + 1].in_per_beat] if i + 1 < len(out) else [])
        fits = [d for d in divisors(l.channels) if all(streams_compatible(d, n) for n in sides)]
        fast_enough = [d for d in fits if replace(l, pe=d).worst_cycles <= slowest]
        out[i] = replace(l, pe=min(fast_enough) if fast_enough else max(fits))
    return out


def own_encodings_description(hardened: nn.Module, finn_accel: Accelerator) -> Accelerator | None:
    """For a model with {0,1} activations or weights: FINN's description with every MVAU in the
    model's own encodings (AND-popcount modes, binary batch norm thresholds, host tail); for one
    with LAB's K x K binarizer, LAB units after its MVAUs; None when FINN's description is the
    model's own. Decided by the model's modules, never by the name of the method that trained it."""
    if has_lab_window(hardened):
        return lab_description(hardened, finn_accel)
    if not has_unsigned_binary(hardened):
        return None
    blocks = _blocks(hardened)
    mvaus = [i for i, l in enumerate(finn_accel.layers) if l.kind == "mvau"]
    if len(mvaus) != len(blocks):
        raise SbnHwError(f"FINN's description has {len(mvaus)} MVAUs but the model {len(blocks)} weight layers")
    if any(l.kind == "threshold" for l in finn_accel.layers):
        raise SbnHwError("an input quantizer layer in front of a model with {0,1} encodings is not supported: feed "
                         "the model integer pixels (--input-mode int8) or binary pixels (--input-mode binary)")
    lo, hi = INPUT_DTYPES[finn_accel.input_dtype]
    in_kind = "int" if finn_accel.input_dtype not in ("BIPOLAR", "BINARY") else "bipolar"
    layers, scale, bias = list(finn_accel.layers), None, None
    for n, (at, b) in enumerate(zip(mvaus, blocks)):
        fl: LayerSpec = layers[at]
        unsigned_w = uses_quantizer(b.weight.weight_quant, UnsignedBinaryWeight)
        bits = weight_rows(b, unsigned_w)
        k = bits.shape[1]
        if bits.shape != (fl.mh, fl.mw):
            raise SbnHwError(f"layer {fl.name}: the model's weights are {bits.shape}, FINN's {fl.mh} x {fl.mw}")
        if in_kind == "int":
            if unsigned_w:
                raise SbnHwError(f"layer {fl.name}: {{0,1}} weights on integer inputs are not supported")
            mode, z_scale, z_off, (a_lo, a_hi) = "int", finn_accel.input_scale, 0.0, (lo, hi)
        elif in_kind == "bipolar":
            mode = "and_w" if unsigned_w else "xnor"
            z_scale, z_off = 2.0, (-bits.sum(axis=1).astype(np.float64) if unsigned_w else -float(k))
            a_lo, a_hi = 0, 1
        else:  # {0,1} activations in
            if unsigned_w:
                raise SbnHwError(f"layer {fl.name}: {{0,1}} activations with {{0,1}} weights are not supported")
            mode, z_scale, z_off, (a_lo, a_hi) = "and_act", 1.0, 0.0, (0, 1)
        dsp_ok = mode == "int" and bits_for_range(a_lo, a_hi)[0] <= DSP_MAX_IN_BITS  # else resType "lut"
        spec = replace(fl, mode=mode, in_min=a_lo, in_max=a_hi, weights=bits, thresholds=None, threshold_le=None,
                       res_type=fl.res_type if dsp_ok else "lut")
        gamma, beta = b.bn.weight.detach().numpy().astype(np.float64), b.bn.bias.detach().numpy().astype(np.float64)
        if b.affine is not None:  # y = d * BN(z) + e is again a batch norm
            # per channel; a conv's affine is stored (C, 1, 1)
            d = b.affine.scale.numpy().astype(np.float64).reshape(-1)
            e = b.affine.bias.numpy().astype(np.float64).reshape(-1)
            gamma, beta = gamma * d, beta * d + e
        mean, var = b.bn.running_mean.numpy().astype(np.float64), b.bn.running_var.numpy().astype(np.float64)
        if b.act is None:  # last layer: the integer accumulator leaves; BN runs on the host
            if n != len(blocks) - 1 or at != len(layers) - 1:
                raise SbnHwError(f"layer {fl.name} has no activation but is not the last layer")
            g = gamma / np.sqrt(var + b.bn.eps)
            scale, bias = g * z_scale, g * (z_off - mean) + beta
            layers[at] = spec
            break
        binary01 = uses_quantizer(b.act.act_quant, UnsignedBinaryActivation)
        t, le = bn_sign_thresholds(gamma, beta, mean, var, b.bn.eps, z_scale, z_off, spec.acc_range,
                                   level=0.5 if binary01 else 0.0, ties_high=not binary01)
        layers[at] = replace(spec, thresholds=t, threshold_le=le)
        in_kind = "binary01" if binary01 else "bipolar"
    return replace(finn_accel, layers=tuple(layers), output_scale=np.asarray(scale), output_bias=np.asarray(bias))
