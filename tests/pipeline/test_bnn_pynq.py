"""The binary MLPs FINN users already have: Brevitas' own brevitas_examples.bnn_pynq TFC, SFC and
LFC at 1W1A (the code ships inside the Brevitas wheel; no pretrained weights are used). Each gets
seeded random weights, randomised batch norm statistics with negative scales, and a randomised
TensorNorm tail; it is exported with export_qonnx, compiled with `sbn-hw compile --onnx` (the input
preprocessing x*2-1 and the input quantizer become one thresholding layer in hardware, the
TensorNorm a host-side affine), and run with `sbn-hw simulate --inputs` on its own float input,
MNIST pixels / 255: the RTL, under random backpressure, equals QONNX execution on every frame."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from sbn_hw.export import load_onnx, run_qonnx
from tests.pipeline.test_end_to_end import cli

PIXEL_SCALE = 1 / 255
FINN_EXAMPLES = Path(__file__).parents[1] / "compile" / "fixtures" / "finn-examples"


def bnn_pynq_model(name: str, seed: int):
    """brevitas_examples.bnn_pynq's `name` (tfc/sfc/lfc/cnv) at 1W1A with random weights and
    randomised batch norm / TensorNorm statistics (about half the scales negative), in eval mode."""
    from brevitas_examples.bnn_pynq import models
    from brevitas_examples.bnn_pynq.models.tensor_norm import TensorNorm

    torch.manual_seed(seed)
    model = getattr(models, f"{name}_1w1a")(pretrained=False)
    g = torch.Generator().manual_seed(seed + 1)
    for m in model.modules():
        if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d, TensorNorm)):
            n = m.weight.shape[0]
            m.weight.data = torch.randn(n, generator=g)  # negative scales flip the comparison
            m.bias.data = torch.randn(n, generator=g) * 0.5
            m.running_mean.data = torch.randn(n, generator=g) * 3
            m.running_var.data = torch.rand(n, generator=g) * 5 + 0.5
    return model.eval()


INPUT_SHAPES = {"tfc": (1, 28, 28), "sfc": (1, 28, 28), "lfc": (1, 28, 28), "cnv": (3, 32, 32)}


def export(model, path, name: str = "tfc"):
    from brevitas.export import export_qonnx

    export_qonnx(model, torch.rand(1, *INPUT_SHAPES[name]), str(path))
    return path


def mnist_pixels(frames: int) -> np.ndarray:
    """The model's own input: MNIST test images as pixels / 255, NCHW float32."""
    from sbn_hw.data import load_dataset

    x = load_dataset("mnist5k").x_test[:frames]
    return (np.asarray(x, np.float64).reshape(-1, 1, 28, 28) * PIXEL_SCALE).astype(np.float32)


def compile_and_simulate(name, tmp_path, monkeypatch, frames, folding=None, x=None):
    onnx = export(bnn_pynq_model(name, seed=3), tmp_path / f"{name}.onnx", name)
    out = tmp_path / name
    args = ["compile", "--onnx", onnx, "--input-dtype", "UINT8", "--input-scale", PIXEL_SCALE, "--out", out]
    cli(args + (["--folding", folding] if folding else []), monkeypatch)
    x = mnist_pixels(frames) if x is None else x
    np.save(tmp_path / "x.npy", x)
    cli(["simulate", "--out", out, "--inputs", tmp_path / "x.npy", "--outputs", tmp_path / "y.npy"], monkeypatch)
    return onnx, out, x, np.load(tmp_path / "y.npy")


def check_against_qonnx(onnx, out, x, y):
    """RTL scores == QONNX's on every frame but exact ties (an integer pre-activation on the
    threshold, which QONNX's float32 may round either way), which simulate names; they are rare."""
    rec = json.loads((out / "simulate-inputs" / "stage.json").read_text())
    assert rec["mismatches"] == 0 and rec["frames_simulated"] == len(x) and rec["qonnx"]["frames"] == len(x)
    ties = rec["qonnx"]["tie_frames"]
    assert len(ties) <= len(x) // 10, ties
    keep = np.setdiff1d(np.arange(len(x)), ties)
    q = run_qonnx(load_onnx(onnx), x).reshape(len(x), -1)
    np.testing.assert_allclose(y[keep], q[keep], rtol=1e-4, atol=1e-3)
    comp = json.loads((out / "compile" / "stage.json").read_text())
    kinds = [l["kind"] for l in comp["layers"]]
    assert kinds[0] == "threshold" and "threshold" not in kinds[1:]  # the input quantizer is a hardware layer
    return comp


def test_bnn_pynq_tfc_runs_bit_exact_with_finn_examples_folding(tmp_path, monkeypatch):
    """finn-examples' own tfc-w1a1 folding file, unchanged (MVAU_hls_*, Thresholding_hls_0 and a
    LabelSelect_hls_0 entry that has no counterpart here)."""
    folding = FINN_EXAMPLES / "tfc-w1a1_folding_config.json"
    onnx, out, x, y = compile_and_simulate("tfc", tmp_path, monkeypatch, frames=40, folding=folding)
    comp = check_against_qonnx(onnx, out, x, y)
    th, l0 = comp["layers"][0], comp["layers"][1]
    assert (th["pe"], th["ram_style"]) == (49, "distributed") and (l0["pe"], l0["simd"], l0["ram_style"]) == (16, 49, "block")


@pytest.mark.parametrize("name", ["sfc", "lfc"])
def test_bnn_pynq_mlps_run_bit_exact(name, tmp_path, monkeypatch):
    onnx, out, x, y = compile_and_simulate(name, tmp_path, monkeypatch, frames=30)
    check_against_qonnx(onnx, out, x, y)



def random_cifar_pixels(frames: int, seed: int = 0) -> np.ndarray:
    """CNV's input as its users feed it: NCHW RGB pixels / 255 (random: no CIFAR-10 is embedded)."""
    return (np.random.default_rng(seed).integers(0, 256, (frames, 3, 32, 32)) * PIXEL_SCALE).astype(np.float32)


@pytest.mark.parametrize("frames", [100])
def test_bnn_pynq_cnv_runs_bit_exact_with_finn_examples_folding(frames, tmp_path, monkeypatch):
    """CNV-W1A1 with finn-examples' folding, unchanged: its 8-bit input quantizer is a 255-level
    threshold layer, convolutions are sliding windows + MVAUs, pools max-pool units; 32,768
    cycles per frame, as FINN's own build of this folding."""
    onnx, out, x, y = compile_and_simulate("cnv", tmp_path, monkeypatch, frames,
                                           folding=FINN_EXAMPLES / "cnv-w1a1_folding_config.json",
                                           x=random_cifar_pixels(frames))
    comp = check_against_qonnx(onnx, out, x, y)
    assert comp["cycles_per_frame_analytic"] == 32768
    assert [l["kind"] for l in comp["layers"]].count("window") == 6
