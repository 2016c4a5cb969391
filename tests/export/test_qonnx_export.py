"""QONNX export of hardened CNNs (NCHW input) and MLPs: QONNX execution == the hardened model."""

from collections import Counter

import numpy as np
import pytest
import torch

from sbn_hw import SbnHwError
from sbn_hw.export import export_model, load_onnx, run_qonnx
from sbn_hw.harden import harden
from sbn_hw.models import METHODS, build_model
from tests.harden.test_brevitas_model import frames, randomize


def _export(tmp_path, method, name="digits-cnn", features=64, shape=(8, 8), input_shape=64):
    torch.manual_seed(2)
    hardened = harden(randomize(build_model(name, features, 10, method, image_shape=shape), seed=3), 1 / 16)
    path = export_model(hardened, input_shape, tmp_path / f"{name}-{method}.qonnx.onnx")
    return hardened, load_onnx(path)


@pytest.mark.parametrize("method", METHODS)
def test_cnn_qonnx_execution_equals_hardened(tmp_path, method):
    hardened, onnx_model = _export(tmp_path, method)
    assert onnx_model.get_tensor_shape(onnx_model.graph.input[0].name) == [1, 1, 8, 8]  # NCHW graph input
    ops = Counter(n.op_type for n in onnx_model.graph.node)
    # LAB's K x K binarizers add a depthwise Conv (and a Round) per conv layer
    assert ops["Conv"] == (4 if method == "lab" else 2) and ops["MatMul"] == 2 and ops["MaxPool"] == 1 and ops["Flatten"] == 1
    assert "Reshape" not in ops
    # {0,1} quantizers stay unsigned: Si-BNN's 3 activations, SiMaN's 1 conv + 2 linear weights
    assert ops["Quant"] == {"sibnn": 3, "siman": 3}.get(method, 0)
    x = frames(24, 64, seed=5).numpy()
    with torch.no_grad():
        want = hardened(torch.from_numpy(x)).numpy()
    got = run_qonnx(onnx_model, x)
    assert np.abs(got - want).max() < 1e-4
    assert np.array_equal(got.argmax(1), want.argmax(1)) and len(set(want.argmax(1))) > 1


def test_siman_conv_weights_exported_as_zero_one(tmp_path):
    _, onnx_model = _export(tmp_path, "siman")
    quant = [n for n in onnx_model.graph.node if n.op_type == "Quant"]
    weights = [onnx_model.get_initializer(n.input[0]) for n in quant]
    assert sorted(w.ndim for w in weights) == [2, 2, 4]  # two linear, one conv
    assert all(set(np.unique(w).tolist()) == {0.0, 1.0} for w in weights)
    assert all(next(a.i for a in n.attribute if a.name == "signed") == 0 for n in quant)


def test_input_shape_forms(tmp_path):
    _, a = _export(tmp_path, "ste", input_shape=(1, 8, 8))
    assert a.get_tensor_shape(a.graph.input[0].name) == [1, 1, 8, 8]
    with pytest.raises(SbnHwError, match=r"takes \(C, H, W\) = \(1, 8, 8\) \(64 features\), not input shape \(63,\)"):
        _export(tmp_path, "ste", input_shape=63)
    with pytest.raises(SbnHwError, match=r"not input shape \(1, 4, 16\)"):
        _export(tmp_path, "ste", input_shape=(1, 4, 16))


@pytest.mark.parametrize("method", ["sibnn", "siman"])
def test_mlp_export_unchanged(tmp_path, method):
    hardened, onnx_model = _export(tmp_path, method, name="tfc", shape=None)
    assert onnx_model.get_tensor_shape(onnx_model.graph.input[0].name) == [1, 64]
    x = frames(16, 64, seed=6).numpy()
    with torch.no_grad():
        want = hardened(torch.from_numpy(x)).numpy()
    assert np.abs(run_qonnx(onnx_model, x) - want).max() < 1e-4
