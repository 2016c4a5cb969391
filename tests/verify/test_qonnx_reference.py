"""QONNX execution holds the accelerator to the source model layer by layer; exact ties (an integer
pre-activation on the threshold, which float32 may round either way) are told from mismatches."""

import json

import numpy as np
import pytest
import torch
from brevitas.nn import QuantIdentity, QuantLinear
from torch import nn

from sbn_hw.golden import GoldenMismatch
from sbn_hw.harden.brevitas_model import BipolarActivation, BipolarWeight, binary01_activation
from sbn_hw.verify.qonnx_reference import QonnxTrace, compare_with_qonnx
from tests.helpers import cli_result, export_user_model, randomize_bn


def cli(args, capsys, monkeypatch):
    code, _, err = cli_result(args, capsys, monkeypatch)
    return code, err


def trace(bits, margin, out):
    return QonnxTrace([np.asarray(bits)], [np.asarray(margin, float)], np.asarray(out, float))


def test_a_difference_on_the_decision_level_is_a_tie():
    ours = [np.array([[1, 0], [1, 1]]), np.array([[5.0], [7.0]])]
    t = trace([[1, 0], [0, 1]], [[2.0, -1.0], [-1e-9, 3.0]], [[5.0], [-3.0]])  # frame 1 tied, then differs
    res = compare_with_qonnx(["L0", "L1"], ours, ours[-1], t, "RTL")
    assert res.tie_frames == [1] and res.tie_layers == ["L0"] and res.max_abs_diff == 0


def test_a_real_difference_names_layer_frame_and_output():
    ours = [np.array([[1, 0], [1, 1]]), np.array([[5.0], [7.0]])]
    t = trace([[1, 0], [1, 0]], [[2.0, -1.0], [1.0, -0.5]], [[5.0], [7.0]])
    with pytest.raises(GoldenMismatch, match=r"layer L0: RTL differs from QONNX .* frame 1, output 1: got 1, QONNX 0 .*not a tie"):
        compare_with_qonnx(["L0", "L1"], ours, ours[-1], t, "RTL")
    t = trace([[1, 0], [1, 1]], [[2.0, -1.0], [1.0, 0.5]], [[5.0], [7.5]])
    with pytest.raises(GoldenMismatch, match=r"layer L1: .*scores differ from QONNX execution at frame 1"):
        compare_with_qonnx(["L0", "L1"], ours, ours[-1], t, "RTL")


def test_exact_ties_on_a_model_without_batch_norm_are_reported_not_failed(tmp_path, capsys, monkeypatch):
    """No batch norm: the first layer's pre-activation is the integer dot product itself, so inputs
    whose dot product is exactly 0 sit on the threshold; QONNX sums k/255 in float32 and can land
    just below 0."""
    torch.manual_seed(3)
    m = nn.Sequential(QuantLinear(8, 6, bias=False, weight_quant=BipolarWeight),
                      QuantIdentity(act_quant=BipolarActivation, return_quant_tensor=False),
                      QuantLinear(6, 4, bias=False, weight_quant=BipolarWeight))
    onnx = export_user_model(m, 8, tmp_path / "nobn.onnx")
    out = tmp_path / "b"
    assert cli(["compile", "--onnx", onnx, "--input-dtype", "UINT8", "--input-scale", 1 / 255, "--out", out],
               capsys, monkeypatch)[0] == 0
    from sbn_hw.compile.accel import Accelerator

    sign = 2 * Accelerator.load(out / "compile" / "accelerator.npz").layers[0].weights.astype(np.int64) - 1
    x = np.random.default_rng(0).integers(0, 256, (4000, 8))
    x = x[((x @ sign.T) == 0).any(1)][:40]  # frames with an exact tie somewhere in layer 0
    np.save(tmp_path / "x.npy", (x / 255).astype(np.float32))
    code, err = cli(["simulate", "--out", out, "--inputs", tmp_path / "x.npy", "--stall", "0.2"], capsys, monkeypatch)
    assert code == 0, err
    rec = json.loads((out / "simulate-inputs" / "stage.json").read_text())
    assert rec["mismatches"] == 0 and rec["qonnx"]["ties"] >= 1 and rec["qonnx"]["tie_layers"] == ["MVAU_0"]


def test_a_foreign_model_finn_mis_streamlines_is_refused_at_compile(tmp_path, capsys, monkeypatch):
    """{0,1} activations in a QONNX file: FINN 1.6.1's graph computes something else. Compile must
    fail naming the layer, and write nothing that looks finished."""
    from sbn_hw.export import export_model

    torch.manual_seed(0)
    m = nn.Sequential(QuantLinear(16, 12, bias=False, weight_quant=BipolarWeight), nn.BatchNorm1d(12),
                      binary01_activation(), QuantLinear(12, 6, bias=False, weight_quant=BipolarWeight), nn.BatchNorm1d(6))
    randomize_bn(m, np.random.default_rng(0))
    onnx = export_model(m.eval(), 16, tmp_path / "u01.onnx")  # Quant nodes that really say {0,1}
    code, err = cli(["compile", "--onnx", onnx, "--input-dtype", "UINT8", "--input-scale", 1 / 255,
                     "--out", tmp_path / "b"], capsys, monkeypatch)
    assert code == 2 and "layer MVAU_0" in err and "differs from QONNX" in err and "{0,1}" in err
    assert not (tmp_path / "b" / "compile" / "stage.json").exists()
    assert not (tmp_path / "b" / "compile" / "accelerator.npz").exists()
