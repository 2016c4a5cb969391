"""End-to-end through the CLI: a tiny model of our own, and a user's own Brevitas export."""

import json
import sys

import numpy as np
import pytest
import torch

from sbn_hw.cli import main
from sbn_hw.export import load_onnx, run_qonnx
from tests.helpers import UserMLP, export_user_model, randomize_bn


def cli(args, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["sbn-hw", *map(str, args)])
    try:
        main()
    except SystemExit as e:
        assert e.code == 0, f"sbn-hw {' '.join(map(str, args))} exited {e.code}"


def test_tiny_build_is_bit_exact_and_reported(tmp_path, monkeypatch):
    out = tmp_path / "b"
    cli(["build", "--dataset", "digits", "--model", "tfc", "--epochs", "3", "--target-cycles", "128",
         "--max-frames", "40", "--out", out], monkeypatch)
    rep = json.loads((out / "report.json").read_text())
    assert rep["frames_simulated"] == 40 and rep["mismatches"] == 0
    assert rep["simulation"]["simulated_cycles_per_s"] > 0 and rep["simulation"]["arithmetic"].startswith("behavioural")
    assert "simulated cycles per second of the checked run" in (out / "report.md").read_text()
    cpf = rep["cycles_per_frame"]
    assert abs(cpf["measured"] - cpf["analytic"]) <= 0.05 * cpf["analytic"]
    acc = rep["accuracy"]
    assert acc["hardened"] == acc["qonnx"] == acc["golden"]
    assert rep["resources"]["lut"] > 0 and len(rep["resources_per_layer"]) == 4
    assert rep["frames_checked_against_finn"] == 360
    for f in ("report.md", "training.png", "resources.png", "cycles.png", "compile/finn_hw.onnx",
              "compile/folding.json", "export/model.qonnx.onnx"):
        assert (out / f).is_file(), f
    # Stages re-run on their own from the build directory.
    cli(["simulate", "--out", out, "--max-frames", "10", "--stall", "0.5", "--jobs", "2", "--full-rtl"], monkeypatch)
    rec = json.loads((out / "simulate" / "stage.json").read_text())
    # 10 frames fit in the 64-frame throughput run: a second process would only shorten it.
    assert rec["mismatches"] == 0 and rec["jobs"] == 1 and rec["arithmetic"].startswith("as written for synthesis")


@pytest.mark.parametrize("dtype,scale,input_quant", [("UINT8", 1 / 255, False), ("BIPOLAR", 1.0, True)])
def test_user_brevitas_model(tmp_path, monkeypatch, dtype, scale, input_quant):
    """A model built outside sbn-hw (dropout and all): compile, then simulate the user's .npy."""
    torch.manual_seed(5)
    m = UserMLP([32, 16, 16, 6], dropout=0.3, input_quant=input_quant)
    randomize_bn(m, np.random.default_rng(5))
    onnx = export_user_model(m, 32, tmp_path / "user.onnx")
    out = tmp_path / "b"
    folding = tmp_path / "fold.json"
    # FINN's resType "dsp": the UINT8 model's first layer on DSP48s; the BIPOLAR one's is a popcount (noted, ignored).
    folding.write_text(json.dumps({"MVAU_0": {"PE": 4, "SIMD": 8, "resType": "dsp"}, "MVAU_1": {"PE": 2, "SIMD": 4},
                                   "MVAU_2": {"PE": 3, "SIMD": 2}}))
    args = ["compile", "--onnx", onnx, "--input-dtype", dtype, "--folding", folding, "--out", out]
    if dtype != "BIPOLAR":
        args += ["--input-scale", scale]
    cli(args, monkeypatch)
    from sbn_hw.compile.accel import Accelerator

    first = Accelerator.load(out / "compile" / "accelerator.npz").layers[0]
    assert first.res_type == ("dsp" if dtype == "UINT8" else "lut")
    rng = np.random.default_rng(6)
    x = (rng.integers(0, 2, (25, 32)) * 2 - 1.0) if dtype == "BIPOLAR" else rng.integers(0, 256, (25, 32)) * scale
    np.save(tmp_path / "x.npy", x.astype(np.float32))
    cli(["simulate", "--out", out, "--inputs", tmp_path / "x.npy", "--outputs", tmp_path / "y.npy"], monkeypatch)
    y = np.load(tmp_path / "y.npy")
    q = run_qonnx(load_onnx(onnx), x.astype(np.float32))
    np.testing.assert_allclose(y, q, rtol=1e-4, atol=1e-4)
    rec = json.loads((out / "simulate-inputs" / "stage.json").read_text())
    assert rec["mismatches"] == 0 and rec["frames_simulated"] == 25 and rec["qonnx"]["frames"] == 25


@pytest.mark.parametrize("method,res_type", [("sibnn", "dsp"), ("siman", "auto")])
def test_and_popcount_methods_reach_bit_exact_rtl(tmp_path, monkeypatch, method, res_type):
    out = tmp_path / method
    cli(["build", "--method", method, "--dataset", "digits", "--model", "tfc", "--epochs", "3",
         "--target-cycles", "128", "--max-frames", "30", "--res-type", res_type, "--out", out], monkeypatch)
    rep = json.loads((out / "report.json").read_text())
    mode = {"sibnn": "and_act", "siman": "and_w"}[method]
    assert [l["mode"] for l in rep["layers"]] == ["int", mode, mode, mode]
    # --res-type dsp: the int8 first layer on DSP48s (Yosys counts them); auto without --budget: LUTs.
    assert [l["res_type"] for l in rep["layers"]] == ["dsp" if res_type == "dsp" else "lut"] + ["lut"] * 3
    assert (rep["resources"]["dsp"] > 0) == (res_type == "dsp")
    assert ("| int on DSP48s |" in (out / "report.md").read_text()) == (res_type == "dsp")
    assert rep["mismatches"] == 0 and rep["accuracy"]["hardened"] == rep["accuracy"]["golden"]


@pytest.mark.slow
def test_full_size_mnist5k_sfc_build(tmp_path, monkeypatch):
    """The README's full-size configuration: SFC 784-256-256-256-10 on mnist5k, every one of the
    1,000 test frames through FINN, QONNX and the RTL, and a Yosys estimate."""
    out = tmp_path / "mnist5k"
    cli(["build", "--dataset", "mnist5k", "--out", out], monkeypatch)
    rep = json.loads((out / "report.json").read_text())
    assert rep["model"] == "sfc" and rep["frames_simulated"] == 1000 and rep["mismatches"] == 0
    acc = rep["accuracy"]
    assert acc["hardened"] == acc["qonnx"] == acc["golden"] == acc["rtl"] > 0.9
    assert rep["frames_checked_against_finn"] == 1000 and rep["qonnx_check"]["frames"] == 1000
    assert rep["resources"]["lut"] == rep["resources"]["lut_logic"] + rep["resources"]["lut_memory"]
