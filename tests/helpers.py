"""Small Brevitas models built the way a user would, for tests that go through FINN."""

from __future__ import annotations

import numpy as np
import torch
from brevitas.nn import QuantIdentity, QuantLinear
from torch import nn

from sbn_hw.harden.brevitas_model import BipolarActivation, BipolarWeight


class UserMLP(nn.Module):
    """A user's binary MLP: QuantLinear (1-bit weights), BatchNorm1d, bipolar QuantIdentity, Dropout."""

    def __init__(self, sizes: list[int], dropout: float = 0.2, weight_quant=BipolarWeight, input_quant: bool = False):
        super().__init__()
        layers: list[nn.Module] = [QuantIdentity(act_quant=BipolarActivation)] if input_quant else []
        for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
            layers.append(QuantLinear(a, b, bias=False, weight_quant=weight_quant))
            layers.append(nn.BatchNorm1d(b))
            if i < len(sizes) - 2:
                layers += [nn.Dropout(dropout), QuantIdentity(act_quant=BipolarActivation)]
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


def randomize_bn(model: nn.Module, rng: np.random.Generator) -> None:
    """Random BN statistics with both signs of scale, so thresholds land everywhere."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm1d):
            n = m.num_features
            gamma = rng.uniform(0.2, 2.0, n) * rng.choice([-1, 1], n)
            with torch.no_grad():
                m.weight.copy_(torch.tensor(gamma, dtype=torch.float32))
                m.bias.copy_(torch.tensor(rng.uniform(-1, 1, n), dtype=torch.float32))
                m.running_mean.copy_(torch.tensor(rng.uniform(-4, 4, n), dtype=torch.float32))
                m.running_var.copy_(torch.tensor(rng.uniform(0.5, 3, n), dtype=torch.float32))


def export_user_model(model: nn.Module, in_features: int, path, dynamo: bool = False):
    from brevitas.export import export_qonnx

    model.eval()
    export_qonnx(model, torch.zeros(1, in_features), str(path), dynamo=dynamo)
    return path


def cli_result(args, capsys, monkeypatch) -> tuple[int, str, str]:
    """Run `sbn-hw ARGS` in-process as a user would; returns (exit code, stdout, stderr)."""
    import sys

    from sbn_hw.cli import main

    monkeypatch.setattr(sys, "argv", ["sbn-hw", *map(str, args)])
    try:
        main()
        code = 0
    except SystemExit as e:
        code = e.code
    res = capsys.readouterr()
    return code, res.out, res.err


def compiled_only_build(root, accel):
    """A build directory holding only a finished compile stage for `accel` (as a user's --onnx
    build has): what the side runs (bitstream, hls, run, deploy) start from. Returns `root`."""
    import json

    (root / "compile").mkdir(parents=True)
    path = accel.save(root / "compile" / "accelerator.npz")
    (root / "compile" / "stage.json").write_text(json.dumps({"accelerator": str(path)}))
    return root
