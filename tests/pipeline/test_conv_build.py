"""A convolutional zoo model through every stage, for every training method: train -> export ->
compile -> RTL simulation, every layer of every frame bit-exact."""

import json

import numpy as np
import pytest

from tests.pipeline.test_end_to_end import cli

# The MVAU modes each method's hardware computes: the first conv takes integer pixels; after it,
# bipolar activations (XNOR), {0,1} activations (sibnn: AND) or {0,1} weights (siman: AND).
HIDDEN_MODE = {"sbn": "xnor", "ste": "xnor", "lab": "xnor", "sibnn": "and_act", "siman": "and_w"}


@pytest.mark.parametrize("method", list(HIDDEN_MODE))
def test_every_method_builds_a_cnn_bit_exact_in_rtl(tmp_path, monkeypatch, method):
    out = tmp_path / method
    cli(["train", "--method", method, "--dataset", "digits", "--model", "digits-cnn", "--epochs", "2",
         "--out", out], monkeypatch)
    cli(["export", "--out", out], monkeypatch)
    cli(["compile", "--out", out], monkeypatch)
    cli(["simulate", "--out", out, "--max-frames", "12"], monkeypatch)
    comp = json.loads((out / "compile" / "stage.json").read_text())
    kinds = [l["kind"] for l in comp["layers"]]
    if method == "lab":  # the K x K binarizer after each conv: a LAB unit on the MVAU's accumulators
        assert kinds == ["window", "mvau", "lab", "window", "mvau", "lab", "pool", "mvau", "mvau"]
        assert [l["k"] for l in comp["layers"] if l["kind"] == "lab"] == [3, 3]
    else:
        assert kinds == ["window", "mvau", "window", "mvau", "pool", "mvau", "mvau"]
    modes = [l["mode"] for l in comp["layers"] if l["kind"] == "mvau"]
    assert modes == ["int"] + [HIDDEN_MODE[method]] * 3
    assert comp["encodings_from"] == {"sibnn": "model (binary batch norm)", "siman": "model (binary batch norm)",
                                      "lab": "model (LAB units on FINN's layout)"}.get(method, "FINN")
    exp = json.loads((out / "export" / "stage.json").read_text())
    assert comp["accuracy_golden"] == exp["accuracy_hardened"]  # the description is the hardened model
    sim = json.loads((out / "simulate" / "stage.json").read_text())
    assert sim["frames_simulated"] == 12 and sim["mismatches"] == 0
    analytic = comp["cycles_per_frame_analytic"]
    assert abs(sim["cycles_per_frame_measured"] - analytic) <= 0.05 * analytic
    if method == "lab":
        lab_units_follow_a_folding_file(out, monkeypatch)


def lab_units_follow_a_folding_file(out, monkeypatch):
    """The folding file compile writes names the LAB units too; given back with a LAB unit's PE
    changed it is honoured (and the build stays bit-exact), and a PE that does not divide the
    channels is refused naming the layer and the choices."""
    from sbn_hw import SbnHwError
    from sbn_hw.pipeline.stages import run_compile

    written = json.loads((out / "compile" / "folding.json").read_text())
    assert {"LAB_0", "LAB_1"} <= set(written) and set(written["LAB_1"]) == {"PE"}
    written["LAB_1"]["PE"] = 4
    (out / "fold.json").write_text(json.dumps(written))
    cli(["compile", "--out", out, "--folding", out / "fold.json"], monkeypatch)
    comp = json.loads((out / "compile" / "stage.json").read_text())
    assert [l["pe"] for l in comp["layers"] if l["name"] == "LAB_1"] == [4]
    cli(["simulate", "--out", out, "--max-frames", "4"], monkeypatch)
    assert json.loads((out / "simulate" / "stage.json").read_text())["mismatches"] == 0
    for layer in ("ConvolutionInputGenerator_0", "LAB_0"):  # simulate --layer: the first layer, and a LAB unit
        cli(["simulate", "--out", out, "--layer", layer, "--max-frames", "3"], monkeypatch)
        rec = json.loads((out / "simulate-layer" / "stage.json").read_text())
        assert rec["layer"] == layer and rec["mismatches"] == 0 and rec["frames_simulated"] == 3
    written["LAB_1"]["PE"] = 3
    (out / "bad.json").write_text(json.dumps(written))
    with pytest.raises(SbnHwError, match=r"LAB_1: PE=3 does not divide its 32 channels; choose PE from \[1, 2, 4"):
        run_compile(out, folding=out / "bad.json")
    assert (out / "compile" / "stage.json").is_file()  # the finished compile is left as it was


def test_a_colour_cnn_streams_its_test_set_channels_innermost(tmp_path):
    """CIFAR-10 frames are stored C, H, W; the accelerator of a conv model reads them H, W, C (the
    sliding window's order), and the driver's test set gives them back as N x C x H x W."""
    from dataclasses import asdict

    from sbn_hw.data import load_dataset
    from sbn_hw.pipeline.builddir import BuildDir
    from sbn_hw.pipeline.stages import own_flow_inputs
    from sbn_hw.runtime.deploy import input_shape, test_set
    from sbn_hw.train import TrainConfig
    from tests.data.test_files import write_cifar

    write_cifar(tmp_path / "c")
    cfg = TrainConfig(dataset="cifar10", data_dir=str(tmp_path / "c"), model="cnv")
    bd = BuildDir(tmp_path / "b")
    bd.begin("train")
    bd.finish("train", {"config": asdict(cfg)})
    data = load_dataset("cifar10", data_dir=tmp_path / "c")
    x_hw, labels, dtype, scale = own_flow_inputs(tmp_path / "b")
    img = data.x_test.reshape(-1, 3, 32, 32)
    assert x_hw.shape == (len(img), 3 * 32 * 32) and dtype == "UINT8"
    np.testing.assert_array_equal(x_hw[:, :3], img[:, :, 0, 0])  # pixel (0, 0): its 3 channels first
    np.testing.assert_array_equal(x_hw[:, 3:6], img[:, :, 0, 1])
    assert input_shape(tmp_path / "b") == [1, 3, 32, 32]
    x, y = test_set(tmp_path / "b")
    np.testing.assert_allclose(x * 255, img)
    np.testing.assert_array_equal(y, labels)
