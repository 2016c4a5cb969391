"""Brevitas -> QONNX, and per-frame QONNX execution (the reference the hardware is held to)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from sbn_hw import SbnHwError


def export_input_shape(model: torch.nn.Module, input_shape: int | Sequence[int]) -> tuple[int, ...]:
    """The graph input's shape without the batch: (features,) for an MLP, (C, H, W) for a CNN.

    A model with an `input_shape` (C, H, W) (the zoo CNNs and their hardened versions) always
    exports NCHW; it may be given as its flat feature count or as (C, H, W)."""
    shape = (int(input_shape),) if isinstance(input_shape, (int, np.integer)) else tuple(int(v) for v in input_shape)
    own = getattr(model, "input_shape", None)
    if own is None:
        return shape
    own = tuple(int(v) for v in own)
    if shape not in (own, (int(np.prod(own)),)):
        raise SbnHwError(f"export: the model takes (C, H, W) = {own} ({int(np.prod(own))} features), not input "
                         f"shape {shape}; pass {own} or {int(np.prod(own))}")
    return own


def export_model(model: torch.nn.Module, input_shape: int | Sequence[int], path: Path,
                 bipolar_twin: bool = False) -> Path:
    """Export with the TorchScript exporter (one self-contained file, MatMul / Conv nodes).

    input_shape: the features of an MLP (an int), or a CNN's (C, H, W) (or its feature count):
    a CNN's graph input is NCHW (1, C, H, W). bipolar_twin: leave {0,1} quantizers as Brevitas
    exports them (bipolar): not the model, only its topology, for FINN to lay out hardware that
    the model's own encodings then fill (compile.from_model)."""
    from brevitas.export import export_qonnx
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.util.cleanup import cleanup_model

    shape = export_input_shape(model, input_shape)
    path = Path(path)
    tmp = path.with_name(path.name + ".partial")
    model.eval()
    export_qonnx(model, torch.zeros(1, *shape), str(tmp), dynamo=False)
    wrapper = ModelWrapper(str(tmp))
    if not bipolar_twin:
        wrapper = restore_unsigned_binary_quant(wrapper, model)
    cleanup_model(wrapper).save(str(tmp))
    os.replace(tmp, path)  # only a complete file carries the final name
    return path


def restore_unsigned_binary_quant(wrapper, model: torch.nn.Module):
    """Brevitas exports every 1-bit quantizer as BipolarQuant, also unsigned {0,1} ones (Si-BNN
    activations, SiMaN weights), which would change the model. Put those back as QONNX Quant
    nodes (bit width 1, unsigned): activation quantizers by their order in the model (on (N, C)
    or NCHW tensors alike), weight quantizers (QuantLinear or QuantConv2d) by matching the
    weight tensor."""
    from brevitas.nn import QuantConv2d, QuantIdentity, QuantLinear
    from onnx import helper

    from sbn_hw.harden.brevitas_model import UnsignedBinaryActivation, UnsignedBinaryWeight, uses_quantizer

    acts = [uses_quantizer(m.act_quant, UnsignedBinaryActivation) for m in model.modules() if isinstance(m, QuantIdentity)]
    weights01 = [m.weight.detach().numpy() for m in model.modules()
                 if isinstance(m, (QuantLinear, QuantConv2d)) and uses_quantizer(m.weight_quant, UnsignedBinaryWeight)]
    if not any(acts) and not weights01:
        return wrapper
    g = wrapper.graph
    bipolar = [n for n in g.node if n.op_type == "BipolarQuant"]
    act_nodes = [n for n in bipolar if wrapper.get_initializer(n.input[0]) is None]
    if len(act_nodes) != len(acts):
        raise SbnHwError(f"export: {len(act_nodes)} activation quantizers in the graph, {len(acts)} in the model")
    targets = [n for n, is01 in zip(act_nodes, acts) if is01]
    for n in bipolar:
        w = wrapper.get_initializer(n.input[0])
        if w is not None and any(np.array_equal(w, t) or np.array_equal(w, t.T) for t in weights01):
            targets.append(n)
    for n in targets:
        consts = []
        for suffix, value in (("scale", 1.0), ("zeropt", 0.0), ("bitwidth", 1.0)):
            name = wrapper.make_new_valueinfo_name()
            wrapper.set_initializer(name, np.asarray(value, dtype=np.float32))
            consts.append(name)
        q = helper.make_node("Quant", [n.input[0], *consts], list(n.output), name=n.name + "_unsigned",
                             domain="qonnx.custom_op.general", signed=0, narrow=0, rounding_mode="ROUND")
        idx = list(g.node).index(n)
        g.node.remove(n)
        g.node.insert(idx, q)
    return wrapper


def load_onnx(path: Path):
    """Load an ONNX/QONNX file into a qonnx ModelWrapper, with a clear error if it is not one."""
    import onnx
    from qonnx.core.modelwrapper import ModelWrapper

    path = Path(path)
    if not path.is_file():
        raise SbnHwError(f"ONNX file '{path}' does not exist: pass the path of a .onnx file exported with Brevitas")
    try:
        proto = onnx.load(str(path))
        onnx.checker.check_model(proto)
    except Exception as e:  # onnx raises DecodeError, ValidationError, ... depending on the damage
        raise SbnHwError(
            f"'{path}' is not a valid ONNX model ({type(e).__name__}: {str(e).splitlines()[0][:200]}); "
            "re-export it with brevitas.export.export_qonnx (or `sbn-hw export`)"
        ) from None
    inits = {i.name for i in proto.graph.initializer}
    inputs = [i for i in proto.graph.input if i.name not in inits]
    if len(inputs) != 1 or len(proto.graph.output) != 1:
        raise SbnHwError(f"'{path}' has {len(inputs)} inputs and {len(proto.graph.output)} outputs; sbn-hw needs exactly one of each")
    return ModelWrapper(proto)


def run_qonnx(model, x: np.ndarray) -> np.ndarray:
    """Execute a QONNX file (as exported) frame by frame; x: (N, features) -> (N, outputs). A
    CNN's flat frames (features in C, H, W order) are reshaped to its NCHW graph input."""
    from sbn_hw.verify.qonnx_reference import trace_qonnx

    return trace_qonnx(model, x).outputs
