"""The command line: ranges are validated (exit 2 naming the valid range), build folders are
explicit or derived from what is built, and each command lists only the options it takes."""

import pytest

from sbn_hw.cli import default_out
from sbn_hw.train import TrainConfig
from tests.helpers import cli_result


def run(args, capsys, monkeypatch):
    code, out, err = cli_result(args, capsys, monkeypatch)
    return code, out + err


@pytest.mark.parametrize("args,valid", [
    (["simulate", "--stall", "1.0"], "0<=x<1"),
    (["simulate", "--stall", "-0.1"], "0<=x<1"),
    (["simulate", "--max-frames", "0"], "x>=1"),
    (["compile", "--target-cycles", "0"], "x>=1"),
    (["build", "--target-cycles", "0"], "x>=1"),
    (["build", "--epochs", "0"], "x>=1"),
    (["train", "--batch-size", "0"], "x>=1"),
    (["build", "--augment-shift", "-1"], "x>=0"),
])
def test_out_of_range_values_exit_2_with_the_range(tmp_path, capsys, monkeypatch, args, valid):
    code, text = run([*args, "--out", tmp_path / "b"], capsys, monkeypatch)
    assert code == 2 and valid in text
    assert not (tmp_path / "b").exists()


@pytest.mark.parametrize("stage", ["export", "compile", "simulate", "synth", "report", "hls", "bitstream", "run",
                                   "deploy"])
def test_stages_that_continue_a_build_need_an_explicit_folder(stage, capsys, monkeypatch):
    code, text = run([stage], capsys, monkeypatch)
    assert code == 2 and "Missing option '--out'" in text


def test_an_unknown_model_is_refused_before_anything_is_written(tmp_path, capsys, monkeypatch):
    code, text = run(["build", "--dataset", "digits", "--model", "resnet", "--out", tmp_path / "b"], capsys, monkeypatch)
    assert code != 0 and "unknown model 'resnet'" in text and "cnn-s" in text
    assert not (tmp_path / "b").exists()


@pytest.mark.parametrize("args,msg", [
    (["--budget", "ulx3s-85f"], "--budget needs a Xilinx board"),
    (["--budget", "nosuch"], "unknown board 'nosuch'"),
    (["--budget", "pynq-z2", "--target-cycles", "64"], "give only one of --folding, --target-cycles and --budget"),
    (["--res-type", "bram"], "'bram' is not one of 'auto', 'lut', 'dsp'"),
    (["--jobs", "0"], "0 is not in the range x>=1"),
])
def test_a_bad_budget_is_refused_before_anything_is_written(tmp_path, capsys, monkeypatch, args, msg):
    code, text = run(["build", "--dataset", "digits", *args, "--out", tmp_path / "b"], capsys, monkeypatch)
    assert code != 0 and msg in text
    assert not (tmp_path / "b").exists()


def test_new_builds_get_a_folder_derived_from_what_is_built():
    a = default_out(TrainConfig(dataset="digits", model="digits-mlp", method="sbn"))
    b = default_out(TrainConfig(dataset="mnist5k", model="sfc", method="sbn"))
    c = default_out(TrainConfig(dataset="digits", model="digits-mlp", method="ste"))
    assert len({a, b, c}) == 3 and "mnist5k" in str(b)


def test_build_help_lists_only_what_build_takes(capsys, monkeypatch):
    code, text = run(["build", "--help"], capsys, monkeypatch)
    options = text.split("Options:")[1]
    assert code == 0 and "--onnx" not in options and "--input-dtype" not in options and "--folding" in options
    code, text = run(["compile", "--help"], capsys, monkeypatch)
    assert code == 0 and "--onnx" in text


def test_stall_of_one_is_refused_by_the_library_too(tmp_path):
    from sbn_hw import SbnHwError
    from sbn_hw.pipeline.stages import check_simulate_arguments

    with pytest.raises(SbnHwError, match=r"\[0, 1\)"):
        check_simulate_arguments(1.0, None)


def test_simulate_jobs_default_to_the_cores_at_most_eight(monkeypatch):
    import os

    from sbn_hw.pipeline.stages import default_jobs

    assert default_jobs(3) == 3
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(32)), raising=False)
    assert default_jobs(None) == 8
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert default_jobs(None) == 2


def test_boards_lists_every_board_file(capsys, monkeypatch):
    from sbn_hw.boards import known_boards

    code, text = run(["boards"], capsys, monkeypatch)
    assert code == 0 and {"pynq-z1", "pynq-z2", "ultra96-v2", "zcu104", "kv260", "ulx3s-85f"} <= set(known_boards())
    assert all(name[:6] in text for name in known_boards())


@pytest.mark.parametrize("board,extra,says", [
    ("pynq-z3", [], "unknown board 'pynq-z3': choose one of kv260"),
    ("ulx3s-85f", ["--backend", "hls"], "--backend hls needs Vitis HLS and a Vivado board"),
])
def test_bitstream_refuses_unknown_boards_before_touching_the_build(board, extra, says, tmp_path, capsys, monkeypatch):
    code, text = run(["bitstream", "--board", board, *extra, "--out", tmp_path / "b"], capsys, monkeypatch)
    assert code == 2 and says in text.replace("\n", " ")
    assert not (tmp_path / "b").exists()


def test_hls_and_bitstream_need_a_compiled_build(tmp_path, capsys, monkeypatch):
    for args in (["hls"], ["bitstream", "--board", "pynq-z2"], ["run"], ["deploy"]):
        code, text = run([*args, "--out", tmp_path / "b"], capsys, monkeypatch)
        assert code == 2 and "needs the compile stage" in text.replace("\n", " "), text


def test_synth_refuses_a_board_it_cannot_estimate_before_training(tmp_path, capsys, monkeypatch):
    code, text = run(["build", "--board", "ulx3s-85f", "--out", tmp_path / "b"], capsys, monkeypatch)
    assert code == 2 and "estimates Xilinx parts" in text.replace("\n", " ")
    assert not (tmp_path / "b").exists()
