"""FINN can lower what export writes for a CNN: its own streamlining steps (as in
finn.builder.build_dataflow_steps.step_streamline) leave XNOR-popcount matrix products, Im2Col
windows, thresholds and an NHWC max pool, and compute what the exported graph computes."""

from collections import Counter

import numpy as np
import pytest
import torch

from sbn_hw.export import export_model, load_onnx
from sbn_hw.harden import harden
from sbn_hw.models import build_model
from tests.harden.test_brevitas_model import randomize


def finn_streamline(model):
    from finn.transformation.qonnx.convert_qonnx_to_finn import ConvertQONNXtoFINN
    from finn.transformation.streamline import Streamline, absorb
    from finn.transformation.streamline.reorder import MakeMaxPoolNHWC
    from qonnx.core.datatype import DataType
    from qonnx.transformation.bipolar_to_xnor import ConvertBipolarMatMulToXnorPopcount
    from qonnx.transformation.infer_datatypes import InferDataTypes
    from qonnx.transformation.infer_shapes import InferShapes
    from qonnx.transformation.lower_convs_to_matmul import LowerConvsToMatMul
    from qonnx.util.cleanup import cleanup_model

    model = cleanup_model(model).transform(ConvertQONNXtoFINN())
    # the integer pixels (0..16 for digits) arrive as pixel/16: give the input a float type FINN keeps
    model.set_tensor_datatype(model.graph.input[0].name, DataType["FLOAT32"])
    model = model.transform(InferShapes()).transform(InferDataTypes())
    model = model.transform(absorb.AbsorbScalarBiasIntoMultiThreshold()).transform(Streamline())
    model = model.transform(LowerConvsToMatMul()).transform(MakeMaxPoolNHWC())
    model = model.transform(absorb.AbsorbTransposeIntoMultiThreshold()).transform(MakeMaxPoolNHWC())
    model = model.transform(absorb.AbsorbConsecutiveTransposes())
    return model.transform(ConvertBipolarMatMulToXnorPopcount()).transform(Streamline())


@pytest.mark.parametrize("method", ["sbn", "lab"])
def test_finn_streamlines_a_bipolar_cnn(tmp_path, method):
    from qonnx.core.onnx_exec import execute_onnx

    torch.manual_seed(0)
    # lab in its 1x1 form, which FINN streamlines itself (the K x K form: from_model.layout_twin)
    hardened = harden(randomize(build_model("digits-cnn", 64, 10, method, image_shape=(8, 8), lab_kernel=1)))
    exported = load_onnx(export_model(hardened, (1, 8, 8), tmp_path / "m.onnx"))
    streamlined = finn_streamline(load_onnx(tmp_path / "m.onnx"))
    ops = [n.op_type for n in streamlined.graph.node]
    # the input NCHW->NHWC, conv 1 (integer input: a plain MatMul), conv 2 (XNOR), the pool in NHWC,
    # NHWC->NCHW before the flatten (FINN's RemoveCNVtoFCFlatten folds it into the next MVAU's
    # weights), the two FC layers (XNOR) and the class scores' host affine
    assert ops == ["Transpose", "Im2Col", "MatMul", "MultiThreshold", "Im2Col", "XnorPopcountMatMul",
                   "MultiThreshold", "MaxPoolNHWC", "Transpose", "Flatten", "XnorPopcountMatMul", "MultiThreshold",
                   "XnorPopcountMatMul", "Mul", "Add"], Counter(ops)
    rng = np.random.default_rng(1)
    for _ in range(8):
        x = (rng.integers(0, 17, (1, 1, 8, 8)) / 16).astype(np.float32)
        want = execute_onnx(exported, {exported.graph.input[0].name: x})[exported.graph.output[0].name]
        got = execute_onnx(streamlined, {streamlined.graph.input[0].name: x})[streamlined.graph.output[0].name]
        assert np.abs(got - want).max() < 1e-3
