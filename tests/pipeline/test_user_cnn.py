"""A binary CNN written by hand with Brevitas, the way users write one (QuantConv2d with 1-bit
weights, BatchNorm2d, bipolar QuantIdentity, MaxPool2d after the activation, Flatten, QuantLinear),
exported with export_qonnx, compiled with `sbn-hw compile --onnx` through FINN's convolution
lowering (sliding windows, pooling, NHWC), and run with `sbn-hw simulate --inputs` on NCHW float
images: the RTL under random backpressure equals QONNX execution on every frame and layer."""

import json

import numpy as np
import pytest
import torch
from torch import nn

from sbn_hw import SbnHwError
from sbn_hw.export import load_onnx, run_qonnx
from tests.pipeline.test_end_to_end import cli


class UserCNN(nn.Module):
    def __init__(self, pool: bool = True, padding: int = 0):
        super().__init__()
        from brevitas.nn import QuantConv2d, QuantIdentity, QuantLinear

        from sbn_hw.harden.brevitas_model import BipolarActivation, BipolarWeight

        act = lambda: QuantIdentity(act_quant=BipolarActivation)  # noqa: E731
        side = 8 + 2 * padding - 2  # 8x8 input, 3x3 convs
        side = (side // 2 if pool else side) - 2
        self.features = nn.Sequential(
            QuantConv2d(2, 8, 3, bias=False, padding=padding, weight_quant=BipolarWeight), nn.BatchNorm2d(8), act(),
            nn.MaxPool2d(2) if pool else nn.Identity(),
            QuantConv2d(8, 16, 3, bias=False, weight_quant=BipolarWeight), nn.BatchNorm2d(16), act(),
            nn.Flatten(),
            QuantLinear(16 * side * side, 10, bias=False, weight_quant=BipolarWeight),
            nn.BatchNorm1d(10))

    def forward(self, x):
        return self.features(x)


def randomized(model, seed):
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            n = m.num_features
            m.weight.data = torch.randn(n, generator=g)  # negative scales included
            m.bias.data = torch.randn(n, generator=g)
            m.running_mean.data = torch.randn(n, generator=g) * 3
            m.running_var.data = torch.rand(n, generator=g) * 5 + 0.5
    return model.eval()


def export(model, path):
    from brevitas.export import export_qonnx

    export_qonnx(model, torch.rand(1, 2, 8, 8), str(path), dynamo=False)
    return path


def test_user_cnn_compiles_and_runs_bit_exact(tmp_path, monkeypatch):
    torch.manual_seed(1)
    onnx = export(randomized(UserCNN(), 2), tmp_path / "cnn.onnx")
    out = tmp_path / "b"
    cli(["compile", "--onnx", onnx, "--input-dtype", "UINT4", "--input-scale", 1 / 16, "--target-cycles", "256",
         "--out", out], monkeypatch)
    comp = json.loads((out / "compile" / "stage.json").read_text())
    assert [l["kind"] for l in comp["layers"]] == ["window", "mvau", "pool", "window", "mvau", "mvau"]
    x = (np.random.default_rng(3).integers(0, 16, (30, 2, 8, 8)) / 16).astype(np.float32)  # NCHW
    np.save(tmp_path / "x.npy", x)
    cli(["simulate", "--out", out, "--inputs", tmp_path / "x.npy", "--outputs", tmp_path / "y.npy"], monkeypatch)
    rec = json.loads((out / "simulate-inputs" / "stage.json").read_text())
    assert rec["mismatches"] == 0 and rec["frames_simulated"] == 30
    assert abs(rec["cycles_per_frame_measured"] - rec["cycles_per_frame_analytic"]) <= 0.05 * rec["cycles_per_frame_analytic"]
    keep = np.setdiff1d(np.arange(30), rec["qonnx"]["tie_frames"])
    q = run_qonnx(load_onnx(onnx), x).reshape(30, -1)
    np.testing.assert_allclose(np.load(tmp_path / "y.npy")[keep], q[keep], rtol=1e-4, atol=1e-3)


def test_padded_convolution_is_refused_naming_the_fix(tmp_path):
    from sbn_hw.compile.pipeline import compile_qonnx

    onnx = export(randomized(UserCNN(pool=False, padding=1), 2), tmp_path / "pad.onnx")
    with pytest.raises(SbnHwError, match="unpadded"):
        compile_qonnx(onnx, "UINT4", 1 / 16)
