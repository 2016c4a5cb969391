"""The resource model (compile.resources) and the folding chosen for a board's budget
(compile.pipeline.fold_for_budget, `--budget BOARD`)."""

import json

import numpy as np
import pytest

from sbn_hw import SbnHwError
from sbn_hw.compile.accel import Accelerator, LayerSpec
from sbn_hw.compile.pipeline import (BUDGET_SHARE, budget_of_board, candidate_targets, check_folding_source,
                                     choose_folding, fold_for_budget, weights_in_block_ram)
from sbn_hw.compile.resources import Estimate, accelerator_estimate, popcount_luts, ram, rom


def sfc_like(rng) -> Accelerator:
    """mnist5k SFC's shape: an int8 784x256 layer, two 256x256 xnor layers, a 256x10 output."""
    def layer(name, mw, mh, mode, lo, hi, thresholds=True):
        w = rng.integers(0, 2, (mh, mw)).astype(np.uint8)
        t = (rng.integers(-4, 5, mh).astype(np.int64), np.zeros(mh, bool)) if thresholds else (None, None)
        return LayerSpec(name, mw, mh, 1, 1, mode, lo, hi, w, *t)

    layers = (layer("MVAU_0", 784, 256, "int", -128, 127), layer("MVAU_1", 256, 256, "xnor", 0, 1),
              layer("MVAU_2", 256, 256, "xnor", 0, 1), layer("MVAU_3", 256, 10, "xnor", 0, 1, thresholds=False))
    return Accelerator(layers, "INT8", 1.0, np.ones(10), np.zeros(10))


def test_popcount_model_follows_the_measured_unit():
    # Yosys synth_xilinx of rtl/sbn_popcount.v: 20, 45 and 372 LUTs for 18, 36 and 256 lanes.
    for n, measured in ((18, 20), (36, 45), (256, 372)):
        assert abs(popcount_luts(n) - measured) <= 0.1 * measured
    assert popcount_luts(3) < popcount_luts(4) < popcount_luts(19)


def test_memories_by_style_and_depth():
    assert rom("block", 512, 32) == Estimate(bram36=0.5)  # one RAMB18 holds 512 x 36
    assert rom("logic", 1, 64) == Estimate()  # a single word is constants
    assert rom("auto", 16, 64).lut > 0 and rom("auto", 16, 64).bram36 == 0  # shallow: logic
    assert ram(64, 8).bram36 == 0 and ram(65, 8).bram36 > 0  # deeper stream buffers go to block RAM
    assert ram(1, 8) == Estimate()


def test_estimate_grows_with_the_lanes():
    accel = sfc_like(np.random.default_rng(0))
    slow = accelerator_estimate(accel.with_folding(choose_folding(accel, None, 4096)))[0]
    fast = accelerator_estimate(accel.with_folding(choose_folding(accel, None, 64)))[0]
    assert fast.lut > 4 * slow.lut
    assert Estimate(10, 1, 0).fits({"lut": 10, "bram36": 1}) and not Estimate(11, 1, 0).fits({"lut": 10})


def test_budget_folding_is_the_fastest_that_fits():
    accel = sfc_like(np.random.default_rng(0))
    budget = {"lut": 20000, "bram36": 100, "dsp": 0}
    target, folding, est, res_type = fold_for_budget(accel, budget)
    assert res_type == "lut"  # no DSP in the budget
    folded = accel.with_folding(folding)
    assert est.fits(budget) and est == accelerator_estimate(folded)[0]
    assert folded.cycles_per_frame <= target
    # Every faster candidate is over the budget.
    faster = [t for t in candidate_targets(accel) if t < target]
    assert faster, "the budget should rule out some foldings"
    for t in faster[-3:]:
        assert not accelerator_estimate(accel.with_folding(choose_folding(accel, None, t)))[0].fits(budget)
    # A larger budget is never slower.
    assert fold_for_budget(accel, {"lut": 60000, "bram36": 100})[0] <= target


def test_dsp_first_layer_counts_dsps_and_saves_luts():
    """resType "dsp": one DSP48 per two lanes of each PE, far fewer LUTs than the LUT adder trees."""
    accel = sfc_like(np.random.default_rng(0)).with_folding(choose_folding(sfc_like(np.random.default_rng(0)), None, 512))
    first = accel.layers[0]
    lut = accelerator_estimate(accel)[1][0]
    dsp = accelerator_estimate(accel.with_int_res_type("dsp"))[1][0]
    assert dsp.dsp == first.pe * -(-first.simd // 2) == accel.with_int_res_type("dsp").layers[0].dsp_count
    assert lut.dsp == 0 and dsp.lut < lut.lut / 3
    # Only integer layers of <= 8-bit inputs change.
    assert [l.res_type for l in accel.with_int_res_type("dsp").layers] == ["dsp", "lut", "lut", "lut"]


def test_budget_out_of_luts_puts_deep_weight_memories_in_block_ram():
    """At 64 cycles per frame the SFC's weight memories are 64 words deep, which "auto" leaves to
    LUTs; a budget with too few LUTs for that but block RAM to spare gets them in block RAM."""
    accel = sfc_like(np.random.default_rng(0))
    auto = choose_folding(accel, None, 64)
    moved = weights_in_block_ram(accel, auto)
    assert [f[2] for f in auto] == ["auto"] * 4
    depths = [l.weight_memory_shape[0] for l in accel.with_folding(auto).layers]
    assert [f[2] for f in moved] == ["block" if d > 32 else "auto" for d in depths] and "block" in [f[2] for f in moved]
    luts, blocks = (accelerator_estimate(accel.with_folding(f))[0] for f in (auto, moved))
    assert blocks.lut < luts.lut and blocks.bram36 > luts.bram36
    budget = {"lut": (luts.lut + blocks.lut) / 2, "bram36": 140, "dsp": 0}
    target, folding, est, _ = fold_for_budget(accel, budget)
    assert (target, folding, est) == (64, moved, blocks)
    # Without the block RAM to hold them, a slower folding.
    assert fold_for_budget(accel, {**budget, "bram36": blocks.bram36 - 1})[0] > 64


def test_budget_with_dsps_puts_the_first_layer_on_them():
    accel = sfc_like(np.random.default_rng(0))
    no_dsp = fold_for_budget(accel, {"lut": 5000, "bram36": 100, "dsp": 0})
    target, folding, est, res_type = fold_for_budget(accel, {"lut": 5000, "bram36": 100, "dsp": 220})
    assert res_type == "dsp" and 0 < est.dsp <= 220
    assert target < no_dsp[0]  # the LUTs the first layer no longer takes buy a faster folding
    assert est == accelerator_estimate(accel.with_int_res_type("dsp").with_folding(folding))[0]
    # Asked for LUTs only, the budget keeps them.
    assert fold_for_budget(accel, {"lut": 5000, "bram36": 100, "dsp": 220}, "lut")[3] == "lut"


def test_a_budget_nothing_fits_names_what_is_short():
    accel = sfc_like(np.random.default_rng(0))
    with pytest.raises(SbnHwError, match=r"no folding fits the budget: even the slowest .* needs lut .* > 100\.0 "
                                         r".*choose a larger board"):
        fold_for_budget(accel, {"lut": 100, "bram36": 100})


def test_the_built_description_is_held_to_the_same_budget():
    from sbn_hw.compile.pipeline import check_built_within_budget

    accel = sfc_like(np.random.default_rng(0))
    est = accelerator_estimate(accel)[0]
    choice = {"board": "pynq-z2", "target_cycles": 512, "allowed": {"lut": est.lut + 1, "bram36": 140}}
    assert check_built_within_budget(accel, choice)["lut"] == round(est.lut)
    choice["allowed"]["lut"] = est.lut / 2
    with pytest.raises(SbnHwError, match=r"--budget pynq-z2: the folding chosen for FINN's layout fits, but this "
                                         r"model's own encodings .* need lut .*--target-cycles instead \(e.g. 1024\)"):
        check_built_within_budget(accel, choice)


def test_board_budgets_and_exclusive_options():
    b = budget_of_board("pynq-z2")
    assert b == {"lut": 53200 * BUDGET_SHARE, "bram36": 140 * BUDGET_SHARE, "dsp": 220 * BUDGET_SHARE}
    with pytest.raises(SbnHwError, match="unknown board 'pynq-z9'"):
        budget_of_board("pynq-z9")
    with pytest.raises(SbnHwError, match="--budget needs a Xilinx board"):
        budget_of_board("ulx3s-85f")
    with pytest.raises(SbnHwError, match="give only one of --folding, --target-cycles and --budget "
                                         r"\(got --target-cycles and --budget\)"):
        check_folding_source(None, 512, "pynq-z2")


def test_compile_with_a_budget_puts_the_int8_layer_on_dsps(tmp_path):
    """compile_qonnx --budget: the choice names the resType, the description carries it, and the
    folding written back says resType "dsp" for FINN; --res-type lut keeps LUTs; a bad value is
    refused before FINN runs."""
    import torch

    from sbn_hw.compile.pipeline import compile_qonnx
    from tests.helpers import UserMLP, export_user_model, randomize_bn

    torch.manual_seed(3)
    m = UserMLP([64, 32, 16])
    randomize_bn(m, np.random.default_rng(3))
    onnx = export_user_model(m, 64, tmp_path / "user.onnx")
    # A small part (4,000 LUTs): the first layer's LUT adders would slow the folding; DSPs do not.
    from sbn_hw.paths import resource_dir

    board = json.loads((resource_dir("boards") / "pynq-z2.json").read_text())
    board.update(name="small-z7", capacity={"lut": 4000, "ff": 8000, "bram36": 140, "dsp": 220})
    (tmp_path / "small-z7.json").write_text(json.dumps(board))
    res = compile_qonnx(onnx, "UINT8", 1 / 255, budget=str(tmp_path / "small-z7.json"))
    assert res.budget_choice["res_type"] == "dsp" and 0 < res.budget_choice["estimate"]["dsp"] <= 0.85 * 220
    first = res.accel.layers[0]
    assert first.mode == "int" and first.res_type == "dsp" and res.folding_config[first.name]["resType"] == "dsp"
    assert all(l.res_type == "lut" for l in res.accel.layers[1:])
    assert accelerator_estimate(res.accel)[0].as_dict() == res.budget_choice["estimate"]  # built as estimated
    kept = compile_qonnx(onnx, "UINT8", 1 / 255, budget=str(tmp_path / "small-z7.json"), res_type="lut")
    assert kept.budget_choice["res_type"] == "lut" and kept.accel.layers[0].res_type == "lut"
    assert kept.accel.cycles_per_frame > res.accel.cycles_per_frame  # LUTs only: a slower folding fits
    with pytest.raises(SbnHwError, match="--res-type must be one of auto, lut, dsp"):
        compile_qonnx(onnx, "UINT8", 1 / 255, res_type="bram")


def test_res_type_dsp_on_a_binary_input_model_is_noted(tmp_path):
    import torch

    from sbn_hw.compile.pipeline import compile_qonnx
    from tests.helpers import UserMLP, export_user_model

    torch.manual_seed(4)
    onnx = export_user_model(UserMLP([16, 8, 4], input_quant=True), 16, tmp_path / "bipolar.onnx")
    res = compile_qonnx(onnx, "BIPOLAR", 1.0, res_type="dsp")
    assert res.accel.res_types == ["lut"] * len(res.accel.layers)
    assert res.folding_ignored == ["--res-type dsp (no layer with integer inputs of at most 8 bits: all in LUTs)"]
