"""The FINN front end refuses graphs it would otherwise misread."""

import numpy as np
import pytest
from onnx import TensorProto, helper
from qonnx.core.modelwrapper import ModelWrapper

from sbn_hw import SbnHwError
from sbn_hw.compile.finn_frontend import _drop_bipolar_input_threshold


def input_quantizer_graph(mul: float, add: float) -> ModelWrapper:
    """global_in -> MultiThreshold ({0,1}) -> Mul -> Add -> MatMul, as FINN leaves an input quantizer."""
    nodes = [
        helper.make_node("MultiThreshold", ["x", "thr"], ["q"], domain="qonnx.custom_op.general", out_dtype="UINT1"),
        helper.make_node("Mul", ["q", "m"], ["qm"]),
        helper.make_node("Add", ["qm", "a"], ["qa"]),
        helper.make_node("MatMul", ["qa", "w"], ["y"]),
    ]
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])])
    model = ModelWrapper(helper.make_model(g))
    model.set_initializer("thr", np.zeros((1, 1), np.float32))
    model.set_initializer("m", np.asarray(mul, np.float32))
    model.set_initializer("a", np.asarray(add, np.float32))
    model.set_initializer("w", np.ones((4, 2), np.float32))
    return model


def test_bipolar_mapping_is_removed():
    m = _drop_bipolar_input_threshold(input_quantizer_graph(2.0, -1.0), "BIPOLAR")
    assert [n.op_type for n in m.graph.node] == ["MatMul"]


@pytest.mark.parametrize("mul,add", [(3.0, -1.0), (2.0, -0.5), (1.0, 0.0)])
def test_other_constants_are_refused(mul, add):
    with pytest.raises(SbnHwError, match=r"not the bipolar mapping \(Mul 2, Add -1\)"):
        _drop_bipolar_input_threshold(input_quantizer_graph(mul, add), "BIPOLAR")
