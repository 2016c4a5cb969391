"""run_hls on a build directory: a compiled description (saved directly, or made by a real digits /
mnist5k build) C-simulated on every frame."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from sbn_hw import SbnHwError
from sbn_hw.pipeline.hls_stage import RANGE_FRAMES, run_hls
from tests.helpers import compiled_only_build
from tests.hlsgen.accels import random_accel


def compiled_build(root):
    """A build directory holding only a finished compile stage, as a user's --onnx build has."""
    accel, _ = random_accel(np.random.default_rng(9), [24, 12, 10], ["int", "xnor"], [(3, 6), (5, 3)], "UINT8", frames=50)
    compiled_only_build(root, accel)
    return accel


def test_compiled_build_without_test_set(tmp_path):
    compiled_build(tmp_path)
    (tmp_path / "hls").mkdir()
    (tmp_path / "hls" / "stale.txt").write_text("from an earlier run")
    rec = run_hls(tmp_path)
    assert rec["frames"] == RANGE_FRAMES and rec["mismatches"] == 0 and rec["inputs"] == "range-covering random"
    assert "accuracy_hls" not in rec
    d = tmp_path / "hls"
    assert not (d / "stale.txt").exists()
    for key in ("vitis_tcl", "csim_log", "testbench"):
        assert Path(rec[key]).parent == d and Path(rec[key]).is_file()
    assert "-std=c++14 -O2" in (d / "csim.log").read_text()  # the g++ command is logged
    assert run_hls(tmp_path, max_frames=5)["frames"] == 5


def test_arguments_and_missing_compile_stage(tmp_path):
    with pytest.raises(SbnHwError, match="max-frames"):
        run_hls(tmp_path, max_frames=0)
    with pytest.raises(SbnHwError, match="sbn-hw compile --out"):
        run_hls(tmp_path)
    assert not (tmp_path / "hls").exists()


def _cli(args, monkeypatch):
    from sbn_hw.cli import main

    monkeypatch.setattr(sys, "argv", ["sbn-hw", *map(str, args)])
    try:
        main()
    except SystemExit as e:
        assert e.code == 0, f"sbn-hw {' '.join(map(str, args))} exited {e.code}"


# digits: about 26 s on 2 idle cores (training and FINN compile most of it); mnist5k: about 70 s.
@pytest.mark.parametrize("dataset,epochs", [("digits", 3), pytest.param("mnist5k", 2, marks=pytest.mark.slow)])
def test_real_build_every_test_frame(dataset, epochs, tmp_path, monkeypatch):
    """A trained, exported and FINN-compiled build: every test frame bit-exact in the C simulation."""
    out = tmp_path / dataset
    for stage in ("train", "export", "compile"):
        _cli([stage, "--out", out] + (["--dataset", dataset, "--epochs", epochs] if stage == "train" else []), monkeypatch)
    rec = run_hls(out)
    compiled = json.loads((out / "compile" / "stage.json").read_text())
    assert rec["frames"] == compiled["frames_checked_against_qonnx"] and rec["mismatches"] == 0
    assert rec["accuracy_hls"] == rec["accuracy_golden"] == pytest.approx(compiled["accuracy_golden"])
