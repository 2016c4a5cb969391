"""`sbn-hw run` and `sbn-hw deploy` on a digits build: the driver on the simulated twin gives the
golden model's outputs on every test frame, and each PYNQ board's deploy folder runs its own
validate.py (with the copied driver) against the twin."""

import json
import re
import subprocess
import sys

import numpy as np
import pytest

from sbn_hw import SbnHwError
from sbn_hw.compile.accel import Accelerator as Description
from sbn_hw.golden import run_accelerator
from sbn_hw.golden.executor import host_scores
from sbn_hw.pipeline.runtime_stage import run_deploy, run_driver
from sbn_hw.runtime.twin import write_twin

PYNQ_BOARDS = ["pynq-z1", "pynq-z2", "ultra96-v2", "zcu104", "kv260"]


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    from sbn_hw.pipeline.stages import run_compile, run_export, run_train
    from sbn_hw.train import TrainConfig

    out = tmp_path_factory.mktemp("rt") / "b"
    run_train(out, TrainConfig(dataset="digits", model="tfc", epochs=3, seed=0))
    run_export(out)
    run_compile(out, target_cycles=128)
    return out


def accel_of(out) -> Description:
    return Description.load(json.loads((out / "compile" / "stage.json").read_text())["accelerator"])


def test_sim_run_is_the_golden_model_on_every_test_frame(build):
    rec = run_driver(build, "sim", throughput=True, batch_size=100, log=lambda *_: None)
    crec = json.loads((build / "compile" / "stage.json").read_text())
    assert rec["frames"] == 360 and rec["golden_mismatches"] == 0
    assert rec["accuracy"] == crec["accuracy_golden"]
    tp = rec["throughput"]
    cpf = accel_of(build).cycles_per_frame
    assert tp["batch_size"] == 100 and abs(tp["cycles_per_frame"] - cpf) <= 0.05 * cpf
    assert tp["throughput[images/s]"] == pytest.approx(100 * tp["fclk[mhz]"] * 1e6 / tp["cycles"])
    assert json.loads((build / "run" / "stage.json").read_text())["golden_mismatches"] == 0


def test_sim_run_of_a_users_npy_writes_logits(build, tmp_path):
    accel = accel_of(build)
    hw = np.random.default_rng(4).integers(0, 17, (23, 64))
    np.save(tmp_path / "x.npy", (hw / 16).astype(np.float32).reshape(23, 1, 8, 8))  # N x C x H x W
    rec = run_driver(build, "sim", tmp_path / "x.npy", tmp_path / "y.npy", log=lambda *_: None)
    y = np.load(tmp_path / "y.npy")
    assert rec["frames"] == 23 and y.dtype == np.float32
    assert np.array_equal(y, host_scores(accel, run_accelerator(accel, hw)[-1]).astype(np.float32))


def test_run_arguments_are_checked(build, tmp_path):
    with pytest.raises(SbnHwError, match="--outputs needs --inputs"):
        run_driver(build, "sim", outputs=tmp_path / "y.npy")
    with pytest.raises(SbnHwError, match="unknown --target"):
        run_driver(build, "board")
    with pytest.raises(SbnHwError, match="needs a bitstream: run `sbn-hw bitstream"):
        run_driver(build, "pynq")
    with pytest.raises(SbnHwError, match="needs the compile stage"):
        run_driver(tmp_path, "sim")
    with pytest.raises(SbnHwError, match="not a PYNQ board"):
        run_deploy(build, "ulx3s-85f")


@pytest.mark.parametrize("board", PYNQ_BOARDS)
def test_deploy_validates_against_the_twin(build, board):
    twin = write_twin(accel_of(build), build / "run" / "twin")  # the Verilator model is reused
    rec = run_deploy(build, board, log=lambda *_: None)
    d = build / "deploy"
    assert rec["board"] == board and rec["bitstream"] == "not built" and rec["test_frames"] == 360
    for f in ("validate.py", "description.json", "README.md", "test_x.npy", "test_y.npy", "sbn_runtime/driver.py",
              "deploy.json", "stage.json"):
        assert (d / f).is_file(), f
    desc = json.loads((d / "description.json").read_text())
    assert desc["input"]["shape"] == [1, 8, 8] and desc["clock_mhz"] > 0
    assert "No bitstream yet" in (d / "README.md").read_text()
    # The deployed copy of the driver, from the deploy folder, as on the board (but the sim target).
    res = subprocess.run([sys.executable, str(d / "validate.py"), "--target", "sim", "--bitfile", str(twin),
                          "--frames", "40", "--batch-size", "32"], capture_output=True, text=True, cwd=d, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    acc = float(re.search(r"accuracy ([\d.]+) on 40 frames", res.stdout).group(1))
    accel = accel_of(build)
    x, y = np.load(d / "test_x.npy")[:40], np.load(d / "test_y.npy")[:40]
    golden = host_scores(accel, run_accelerator(accel, np.rint(x.reshape(40, -1) * 16).astype(np.int64))[-1])
    assert acc == pytest.approx((golden.argmax(1) == y).mean())
    assert re.search(r"throughput [\d,]+ frames/s over a batch of 32", res.stdout)
    # On a host without a bitstream the board target says what is missing.
    res = subprocess.run([sys.executable, str(d / "validate.py")], capture_output=True, text=True, cwd=d)
    assert res.returncode != 0 and "expected one .bit file" in res.stderr
