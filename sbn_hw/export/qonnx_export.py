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
    from qonnx.util.cleanup import cleanup_model

    path = Path(path)
    tmp = path.with_name(path.name + ".partial")
    model.eval()
    export_qonnx(model, torch.zeros(1, in_features), str(tmp), dynamo=False)
    from qonnx.core.modelwrapper import ModelWrapper

    cleanup_model(ModelWrapper(str(tmp))).save(str(tmp))
    os.replace(tmp, path)  # only a complete file carries the final name
    return path


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


def run_qonnx(model, x: np.ndarray, execute=None) -> np.ndarray:
    """Execute a (Q/FINN-)ONNX model frame by frame; x: (N, features) -> (N, outputs)."""
    from qonnx.core.onnx_exec import execute_onnx
    from qonnx.util.cleanup import cleanup_model

    if execute is None:  # a QONNX file as exported: infer shapes etc. first
        model, execute = cleanup_model(model), execute_onnx
    iname, oname = model.graph.input[0].name, model.graph.output[0].name
    ishape = model.get_tensor_shape(iname)
    outs = [execute(model, {iname: xi.reshape(ishape).astype(np.float32)})[oname] for xi in x]
    return np.concatenate([o.reshape(1, -1) for o in outs])
