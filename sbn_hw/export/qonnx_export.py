"""Brevitas -> QONNX, and per-frame QONNX execution (the reference the hardware is held to)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from sbn_hw import SbnHwError


def export_model(model: torch.nn.Module, in_features: int, path: Path) -> Path:
    """Export with the TorchScript exporter (one self-contained file, MatMul nodes)."""
    from brevitas.export import export_qonnx
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.util.cleanup import cleanup_model

    path = Path(path)
    tmp = path.with_name(path.name + ".partial")
    model.eval()
    export_qonnx(model, torch.zeros(1, in_features), str(tmp), dynamo=False)
    wrapper = restore_unsigned_binary_quant(ModelWrapper(str(tmp)), model)
    cleanup_model(wrapper).save(str(tmp))
    os.replace(tmp, path)  # only a complete file carries the final name
    return path


def restore_unsigned_binary_quant(wrapper, model: torch.nn.Module):
    """Brevitas exports every 1-bit quantizer as BipolarQuant, also unsigned {0,1} ones (Si-BNN
    activations, SiMaN weights), which would change the model. Put those back as QONNX Quant
    nodes (bit width 1, unsigned): activation quantizers by their order in the model, weight
    quantizers by matching the weight tensor."""
    import numpy as np
    from brevitas.nn import QuantIdentity, QuantLinear
    from onnx import helper

    from sbn_hw.harden.brevitas_model import UnsignedBinaryActivation, UnsignedBinaryWeight, uses_quantizer

    acts = [uses_quantizer(m.act_quant, UnsignedBinaryActivation) for m in model.modules() if isinstance(m, QuantIdentity)]
    weights01 = [m.weight.detach().numpy() for m in model.modules()
                 if isinstance(m, QuantLinear) and uses_quantizer(m.weight_quant, UnsignedBinaryWeight)]
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
    """Execute a QONNX file (as exported) frame by frame; x: (N, features) -> (N, outputs)."""
    from sbn_hw.verify.qonnx_reference import trace_qonnx

    return trace_qonnx(model, x).outputs
