"""A build folder never lies: re-running a stage invalidates what follows, a bad argument leaves a
finished build finished, a user's run is kept apart, and accuracies are scored on the same frames."""

import json
import shutil
from types import SimpleNamespace

import numpy as np
import pytest

from sbn_hw.pipeline.builddir import SIDE_RUNS, STAGES, BuildDir, later_stages
from sbn_hw.train import TrainConfig
from tests.helpers import cli_result, compiled_only_build


def cli(args, capsys, monkeypatch):
    code, out, err = cli_result(args, capsys, monkeypatch)
    return code, SimpleNamespace(out=out, err=err)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A tiny finished build (train, export, compile, simulate 12 frames) to copy per test."""
    from sbn_hw.pipeline.stages import run_compile, run_export, run_simulate, run_train

    out = tmp_path_factory.mktemp("honest") / "b"
    run_train(out, TrainConfig(dataset="digits", model="tfc", epochs=2, seed=0))
    run_export(out)
    run_compile(out, target_cycles=256)
    run_simulate(out, max_frames=12)
    return out


@pytest.fixture
def build(built, tmp_path):
    dst = tmp_path / "b"
    shutil.copytree(built, dst)
    # Records hold absolute paths of the original folder: point them at the copy.
    for rec in dst.glob("*/stage.json"):
        rec.write_text(rec.read_text().replace(str(built), str(dst)))
    return dst


def done(out):
    return {s for s in (*STAGES, *SIDE_RUNS) if (out / s / "stage.json").is_file()}


def test_begin_invalidates_every_later_stage_and_the_report(tmp_path):
    bd = BuildDir(tmp_path)
    for s in STAGES:
        bd.finish(s, {})
    (tmp_path / "report.json").write_text("{}")
    for side in SIDE_RUNS:  # simulate --inputs, bitstream, hls: all made from the compiled accelerator
        bd.finish(side, {})
    bd.begin("compile")
    assert done(tmp_path) == {"train", "export"}
    assert not (tmp_path / "report.json").exists()
    assert later_stages("train") == ["export", "compile", "simulate", "synth", "simulate-inputs", "simulate-layer",
                                      "bitstream", "hls", "run", "deploy"]
    assert later_stages("simulate") == ["synth"]
    assert later_stages("bitstream") == ["deploy"]  # a new bitstream un-finishes the package that holds the old one


def test_recompile_invalidates_simulation_and_report(build, capsys, monkeypatch):
    code, _ = cli(["report", "--out", build], capsys, monkeypatch)
    assert code == 0 and json.loads((build / "report.json").read_text())["frames_simulated"] == 12
    code, _ = cli(["compile", "--out", build, "--target-cycles", "32"], capsys, monkeypatch)
    assert code == 0 and done(build) == {"train", "export", "compile"}
    assert not (build / "report.json").exists()
    cli(["report", "--out", build], capsys, monkeypatch)
    rep = json.loads((build / "report.json").read_text())
    assert rep["frames_simulated"] is None and rep["cycles_per_frame"]["analytic"] <= 32


@pytest.mark.parametrize("folding", ["missing.json", "typo_layer.json", "not_json.json"])
def test_bad_folding_leaves_the_finished_build_finished(build, tmp_path, capsys, monkeypatch, folding):
    (tmp_path / "typo_layer.json").write_text(json.dumps({"MVAU_9": {"PE": 1, "SIMD": 1}}))
    (tmp_path / "not_json.json").write_text("{PE: 4")
    before = (build / "compile" / "stage.json").read_text()
    code, res = cli(["compile", "--out", build, "--folding", tmp_path / folding], capsys, monkeypatch)
    assert code == 2 and "folding file" in res.err
    assert done(build) == {"train", "export", "compile", "simulate"}
    assert (build / "compile" / "stage.json").read_text() == before


def test_bad_inputs_leave_the_finished_build_finished(build, tmp_path, capsys, monkeypatch):
    x = tmp_path / "x.npy"
    np.save(x, np.zeros((3, 5), np.float32))
    code, res = cli(["simulate", "--out", build, "--inputs", x], capsys, monkeypatch)
    assert code == 2 and "5 values per frame" in res.err
    assert done(build) == {"train", "export", "compile", "simulate"}


def test_nan_inputs_are_named(build, tmp_path, capsys, monkeypatch):
    x = np.zeros((3, 64), np.float32)
    x[1, 7] = np.nan
    np.save(tmp_path / "x.npy", x)
    code, res = cli(["simulate", "--out", build, "--inputs", tmp_path / "x.npy"], capsys, monkeypatch)
    assert code == 2 and "NaN" in res.err and "frame 1, value 7" in res.err


def test_user_inputs_run_is_recorded_apart(build, tmp_path, capsys, monkeypatch):
    own = (build / "simulate" / "stage.json").read_text()
    rng = np.random.default_rng(0)
    np.save(tmp_path / "x.npy", (rng.integers(0, 17, (6, 64)) / 16).astype(np.float32))
    code, res = cli(["simulate", "--out", build, "--inputs", tmp_path / "x.npy", "--outputs", tmp_path / "y.npy",
                     "--stall", "0.1"], capsys, monkeypatch)
    assert code == 0, res.err
    assert (build / "simulate" / "stage.json").read_text() == own
    rec = json.loads((build / "simulate-inputs" / "stage.json").read_text())
    assert rec["frames_simulated"] == 6 and rec["qonnx"]["frames"] == 6 and np.load(tmp_path / "y.npy").shape == (6, 10)


def test_one_layer_runs_alone_with_waves_and_is_recorded_apart(build, capsys, monkeypatch):
    own = (build / "simulate" / "stage.json").read_text()
    code, res = cli(["simulate", "--out", build, "--layer", "MVAU_1", "--max-frames", "3", "--waves", "--stall", "0.2"],
                    capsys, monkeypatch)
    assert code == 0, res.err
    assert (build / "simulate" / "stage.json").read_text() == own
    rec = json.loads((build / "simulate-layer" / "stage.json").read_text())
    assert rec["layer"] == "MVAU_1" and rec["frames_simulated"] == 3 and rec["mismatches"] == 0
    vcd = (build / "simulate-layer" / "waves.vcd").read_text()
    assert "$enddefinitions" in vcd and "m_axis_tvalid" in vcd
    code, res = cli(["simulate", "--out", build, "--layer", "MVAU_9"], capsys, monkeypatch)
    assert code == 2 and "no such layer" in res.err and "MVAU_0, MVAU_1" in res.err
    code, res = cli(["simulate", "--out", build, "--layer", "MVAU_1", "--inputs", build / "x.npy", "--outputs",
                     build / "y.npy"], capsys, monkeypatch)
    assert code == 2 and "drop --layer or --outputs" in res.err


def test_max_frames_scores_golden_and_rtl_on_the_same_frames(build, capsys, monkeypatch):
    cli(["report", "--out", build], capsys, monkeypatch)
    rep = json.loads((build / "report.json").read_text())
    sim = json.loads((build / "simulate" / "stage.json").read_text())
    assert rep["frames_scored_rtl"] == sim["frames_scored"] == 12
    assert rep["accuracy"]["golden_on_simulated_frames"] == rep["accuracy"]["rtl"]
    assert "the 12 simulated" in (build / "report.md").read_text()
    assert "timing not checked" in (build / "report.md").read_text()


def test_digits_stream_in_the_narrowest_input_type(build):
    rec = json.loads((build / "compile" / "stage.json").read_text())
    assert rec["input_dtype"] == "UINT5" and rec["finn_vs_qonnx"] == "agrees"
    assert rec["frames_checked_against_qonnx"] == 360 and rec["qonnx_check"]["frames"] == 360


def _compiled_only(root):
    """A build directory holding a finished compile stage (a small random accelerator)."""
    from tests.hlsgen.accels import random_accel

    accel, _ = random_accel(np.random.default_rng(1), [24, 12, 10], ["int", "xnor"], [(3, 6), (5, 3)], "UINT8",
                            frames=5)
    compiled_only_build(root, accel)


def test_side_runs_check_their_arguments_before_unfinishing_a_finished_run(tmp_path, monkeypatch):
    from sbn_hw import SbnHwError
    from sbn_hw.pipeline.hls_stage import run_hls
    from sbn_hw.pipeline.runtime_stage import run_deploy

    _compiled_only(tmp_path)
    bd = BuildDir(tmp_path)
    bd.finish("deploy", {"board": "pynq-z2"})
    with pytest.raises(SbnHwError, match="not a PYNQ board"):
        run_deploy(tmp_path, "ulx3s-85f", log=lambda s: None)
    bd.finish("hls", {"frames": 5})
    monkeypatch.setenv("CXX", "no-such-compiler")
    with pytest.raises(SbnHwError, match="no-such-compiler"):
        run_hls(tmp_path)
    assert bd.has("deploy") and bd.has("hls")
