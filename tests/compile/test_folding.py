import json
from pathlib import Path

import numpy as np
import pytest

from sbn_hw import SbnHwError
from sbn_hw.compile.accel import Accelerator, LayerSpec, check_folding
from sbn_hw.compile.folding import (
    RAM_STYLES,
    auto_folding,
    auto_ram_style,
    bram18_count,
    canonical_layer_name,
    folding_json,
    read_folding_json,
    resolve_ram_style,
    streams_compatible,
)
from sbn_hw.compile.pipeline import choose_folding


@pytest.mark.parametrize("target", [1, 64, 512, 4096, 10**6])
def test_auto_folding_meets_target_and_stays_compatible(target):
    shapes = [(784, 256), (256, 256), (256, 256), (256, 10)]
    fold = auto_folding(shapes, target)
    prev = None
    for (mw, mh), (pe, simd) in zip(shapes, fold):
        check_folding("l", mw, mh, pe, simd)
        assert (mw // simd) * (mh // pe) <= max(target, 1)
        if prev:
            assert streams_compatible(prev, simd)
        prev = pe


def test_auto_folding_is_cheapest():
    # 64x64 at 512 cycles needs 8 lanes; any cheaper folding would miss the target.
    (pe, simd), = auto_folding([(64, 64)], 512)
    assert pe * simd == 8


def entry(pe=None, simd=None, ram_style=None, ram_style_thresholds=None, res_type=None):
    return {"PE": pe, "SIMD": simd, "ram_style": ram_style, "ram_style_thresholds": ram_style_thresholds,
            "resType": res_type}


def write(tmp_path, cfg) -> object:
    p = tmp_path / "f.json"
    p.write_text(json.dumps(cfg))
    return p


def test_folding_json_reads_pe_simd_and_memory_styles(tmp_path):
    p = write(tmp_path, {"Defaults": {}, "MVAU_0": {"PE": 4, "SIMD": 8, "ram_style": "block", "mem_mode": "internal_decoupled"}})
    assert read_folding_json(p, ["MVAU_0", "MVAU_1"]) == {"MVAU_0": entry(4, 8, "block"), "MVAU_1": entry()}


def test_folding_json_defaults_apply_unless_the_layer_overrides(tmp_path):
    # FINN's ApplyConfig form: [value, op types] with "all" or a list naming the op type.
    p = write(tmp_path, {
        "Defaults": {"PE": [2, ["MVAU"]], "SIMD": [4, "all"], "ram_style": ["block", ["MVAU_hls"]],
                     "ram_style_thresholds": ["distributed", ["Thresholding"]], "mem_mode": ["external", ["MVAU"]]},
        "MVAU_1": {"PE": 8, "ram_style": "logic"},
    })
    assert read_folding_json(p, ["MVAU_0", "MVAU_1"]) == {
        "MVAU_0": entry(2, 4, "block"),  # thresholds default names another op type only
        "MVAU_1": entry(8, 4, "logic"),
    }


def test_folding_json_defaults_take_bare_values_and_pairs_for_several_op_types(tmp_path):
    p = write(tmp_path, {"Defaults": {"ram_style": "distributed", "PE": [3, ["Thresholding"], 2, ["MVAU"]]}})
    assert read_folding_json(p, ["MVAU_0"]) == {"MVAU_0": entry(2, None, "distributed")}


def test_defaults_reach_the_chosen_folding(tmp_path):
    layers = tuple(LayerSpec(f"MVAU_{i}", 8, 8, 1, 1, "xnor", 0, 1, np.zeros((8, 8), np.uint8),
                             np.zeros(8, np.int64), np.zeros(8, bool)) for i in range(2))
    accel = Accelerator(layers, "BINARY", 1.0, np.ones(8), np.zeros(8))
    p = write(tmp_path, {"Defaults": {"PE": [2, ["MVAU"]], "SIMD": [2, ["MVAU"]], "ram_style": ["block", "all"]},
                         "MVAU_1": {"SIMD": 4, "ram_style_thresholds": "logic"}})
    fold = choose_folding(accel, p, None)
    assert fold == [(2, 2, "block", "auto", "auto"), (2, 4, "block", "logic", "auto")]
    folded = accel.with_folding(fold)
    assert [(l.pe, l.simd, l.ram_style, l.ram_style_thresholds) for l in folded.layers] == [
        (2, 2, "block", "logic"), (2, 4, "block", "logic")]  # 4-word thresholds: auto -> logic
    assert folding_json(["MVAU_0", "MVAU_1"], folded.folding)["MVAU_1"] == {
        "PE": 2, "SIMD": 4, "ram_style": "block", "ram_style_thresholds": "logic"}
    # Without a file every style is "auto", resolved when folded.
    assert all(f[2:] == ("auto", "auto") for f in choose_folding(accel, None, 8))


@pytest.mark.parametrize("cfg,msg", [
    ({"MVAU_0": {"ram_style": "ultra"}}, r"layer MVAU_0: ram_style='ultra' is not a memory style; choose one of "
                                         r"\['auto', 'block', 'distributed', 'logic'\]"),
    ({"MVAU_0": {"ram_style_thresholds": "bram"}}, r"layer MVAU_0: ram_style_thresholds='bram' is not a memory style"),
    ({"Defaults": {"ram_style": ["registers", "all"]}}, r"layer MVAU_0: ram_style='registers'"),
    ({"MVAU_0": {"PE": "4"}}, r"layer MVAU_0: PE='4' must be a positive integer"),
    ({"MVAU_0": {"SIMD": 0}}, r"layer MVAU_0: SIMD=0 must be a positive integer"),
    ({"Defaults": {"PE": [2]}}, r"Defaults PE must be \[value, op types, \.\.\.\] pairs"),
    ({"Defaults": [1]}, r"Defaults must be an object"),
])
def test_folding_json_bad_values_name_layer_key_and_choices(tmp_path, cfg, msg):
    with pytest.raises(SbnHwError, match=msg):
        read_folding_json(write(tmp_path, cfg), ["MVAU_0"])


@pytest.mark.parametrize("depth,width,style", [
    (8, 16, "logic"), (32, 512, "logic"),  # every bit column fits one LUT5
    (64, 64, "distributed"), (128, 16, "distributed"), (320, 4, "distributed"), (512, 4, "distributed"),
    (512, 16, "block"), (512, 32, "block"), (256, 16, "block"), (1024, 4, "block"), (128, 64, "block"),
])
def test_auto_ram_style_by_size(depth, width, style):
    assert auto_ram_style(depth, width) == style
    assert resolve_ram_style("auto", depth, width) == style
    assert all(resolve_ram_style(s, depth, width) == s for s in RAM_STYLES if s != "auto")


def test_bram18_count_picks_the_best_aspect_ratio():
    assert bram18_count(512, 36) == 1 and bram18_count(513, 36) == 2
    assert bram18_count(16384, 1) == 1 and bram18_count(2048, 9) == 1 and bram18_count(32, 64) == 2


@pytest.mark.parametrize("content,msg", [
    ("{not json", "not valid JSON"),
    ('{"MVAU_9": {"PE": 2}}', "unknown layers"),
    ("[1, 2]", "JSON object"),
])
def test_folding_json_errors(tmp_path, content, msg):
    p = tmp_path / "f.json"
    p.write_text(content)
    with pytest.raises(SbnHwError, match=msg):
        read_folding_json(p, ["MVAU_0"])


def test_folding_that_does_not_divide_names_layer_and_choices():
    with pytest.raises(SbnHwError, match=r"layer MVAU_1: SIMD=5 does not divide MW=64 inputs; choose SIMD from \[1, 2, 4, 8, 16, 32, 64\]"):
        check_folding("MVAU_1", 64, 10, 1, 5)
    with pytest.raises(SbnHwError, match="PE=3 does not divide MH=10"):
        check_folding("MVAU_1", 64, 10, 3, 1)


FINN_EXAMPLES = Path(__file__).parent / "fixtures" / "finn-examples"


def test_finn_examples_tfc_folding_loads_unchanged():
    """finn-examples' tfc-w1a1 file names FINN's nodes (MVAU_hls_0, Thresholding_hls_0) and a
    LabelSelect that has no counterpart here: read as our layers, the rest listed as ignored."""
    names = ["Thresholding_0", "MVAU_0", "MVAU_1", "MVAU_2", "MVAU_3"]
    ignored = []
    cfg = read_folding_json(FINN_EXAMPLES / "tfc-w1a1_folding_config.json", names,
                            kinds=["threshold", "mvau", "mvau", "mvau", "mvau"], ignored=ignored)
    assert cfg["Thresholding_0"] == entry(49, None, "distributed", "distributed")
    assert cfg["MVAU_0"] == entry(16, 49, "block") and cfg["MVAU_3"] == entry(10, 8, "distributed")
    assert ignored == ["LabelSelect_hls_0 (no such layer in an sbn-hw accelerator)"]


def test_finn_examples_cnv_folding_loads_unchanged():
    """finn-examples' cnv-w1a1 file against CNV's layers as sbn-hw names them (its sliding windows
    counted over the convolutions, as FINN's CNV build counted them): every entry lands."""
    mvaus = [f"MVAU_{i}" for i in range(9)]
    windows = [f"ConvolutionInputGenerator_{i}" for i in range(6)]
    names = ["Thresholding_0", *windows, *mvaus, "StreamingMaxPool_0", "StreamingMaxPool_1"]
    kinds = ["threshold"] + ["window"] * 6 + ["mvau"] * 9 + ["pool"] * 2
    ignored = []
    cfg = read_folding_json(FINN_EXAMPLES / "cnv-w1a1_folding_config.json", names, kinds, ignored)
    assert cfg["ConvolutionInputGenerator_0"]["SIMD"] == 3 and cfg["ConvolutionInputGenerator_5"]["SIMD"] == 32
    assert cfg["MVAU_1"] == entry(32, 32, "auto", res_type="lut") and cfg["MVAU_8"] == entry(5, 1, "auto", res_type="lut")
    assert cfg["Thresholding_0"] == entry(1, None, "distributed", "distributed")
    assert cfg["StreamingMaxPool_0"] == entry()  # not in the file: FINN's defaults
    assert "LabelSelect_hls_0 (no such layer in an sbn-hw accelerator)" in ignored
    assert not any("resType" in note for note in ignored)  # FINN's MVAU resType is read
    mapped = {k: canonical_layer_name(k) for k in json.loads((FINN_EXAMPLES / "cnv-w1a1_folding_config.json").read_text())
              if k != "Defaults"}
    assert mapped["ConvolutionInputGenerator_hls_5"] == ("ConvolutionInputGenerator_5", "ConvolutionInputGenerator")


@pytest.mark.parametrize("key,want", [
    ("MVAU_hls_0", ("MVAU_0", "MVAU")), ("MVAU_rtl_12", ("MVAU_12", "MVAU")),
    ("MatrixVectorActivation_3", ("MVAU_3", "MatrixVectorActivation")),
    ("Thresholding_Batch_0", ("Thresholding_0", "Thresholding_Batch")), ("Thresholding_rtl_1", ("Thresholding_1", "Thresholding")),
    ("StreamingFIFO_rtl_4", (None, "StreamingFIFO")), ("StreamingMaxPool_Batch_1", ("StreamingMaxPool_1", "StreamingMaxPool_Batch")), ("Dense_0", (None, None)), ("not a name", (None, None)),
])
def test_canonical_layer_names(key, want):
    assert canonical_layer_name(key) == want


def test_two_entries_for_one_layer_are_refused(tmp_path):
    p = write(tmp_path, {"MVAU_0": {"PE": 2}, "MVAU_hls_0": {"PE": 4}})
    with pytest.raises(SbnHwError, match="both name layer MVAU_0"):
        read_folding_json(p, ["MVAU_0"])


def test_without_a_target_no_mvau_is_folded_faster_than_the_windows_can_feed_it():
    from dataclasses import replace

    from sbn_hw.compile.pipeline import DEFAULT_TARGET_CYCLES, stream_units_floor
    from tests.verify.test_accelerator import conv_accel

    accel, _ = conv_accel(np.random.default_rng(0))  # 10x10x2 images: the first 3x3 window moves 8*8*9 pixels
    floor = stream_units_floor(accel)
    assert floor == 8 * 8 * 9 > DEFAULT_TARGET_CYCLES

    def mvau_cycles(target):
        fold = choose_folding(accel, None, target)
        return [replace(l, pe=f[0], simd=f[1]).cycles for l, f in zip(accel.layers, fold) if l.kind == "mvau"]

    default = mvau_cycles(None)
    assert max(default) <= floor and max(default) > DEFAULT_TARGET_CYCLES  # folded to the windows' pace
    assert max(mvau_cycles(DEFAULT_TARGET_CYCLES)) <= DEFAULT_TARGET_CYCLES  # an explicit target is honoured


def test_a_window_between_mvaus_gets_the_lanes_the_target_needs():
    """CNV's second conv: MVAUs folded one by one (PE 16 before the window, SIMD 48 after) left the
    window 16 lanes and 28,224 cycles for a 10,923 target; the MVAU after it now widens its SIMD so
    the window meets the target, and every stream stays compatible."""
    from sbn_hw.compile.accel import WindowSpec
    from sbn_hw.compile.folding import streams_compatible

    def mvau(name, mw, mh, vectors, mode):
        rng = np.random.default_rng(0)
        return LayerSpec(name, mw, mh, 1, 1, mode, 0, 255 if mode == "int" else 1,
                         rng.integers(0, 2, (mh, mw)).astype(np.uint8), np.zeros(mh, np.int64), np.zeros(mh, bool),
                         vectors=vectors)

    layers = (WindowSpec("ConvolutionInputGenerator_0", 32, 32, 3, 3, 1, 1, 0, 255), mvau("MVAU_0", 27, 64, 900, "int"),
              WindowSpec("ConvolutionInputGenerator_1", 30, 30, 64, 3, 1, 1, 0, 1), mvau("MVAU_1", 576, 64, 784, "xnor"))
    accel = Accelerator(layers, "UINT8", 1.0, np.ones(64), np.zeros(64), input_chw=(3, 32, 32))
    folded = accel.with_folding(choose_folding(accel, None, 10923))
    assert max(l.cycles for l in folded.layers[1:]) <= 10923, [l.summary() for l in folded.layers]
    for a, b in zip(folded.layers, folded.layers[1:]):
        assert streams_compatible(a.out_per_beat, b.in_per_beat)


def test_folding_file_res_type_puts_integer_layers_on_dsps(tmp_path):
    """FINN's MVAU resType: "dsp" builds an integer layer on DSP48s and is written back; on a binary
    layer (a popcount here) it is noted as ignored; a value FINN does not know is refused."""
    w = np.zeros((8, 8), np.uint8)
    layers = (LayerSpec("MVAU_0", 8, 8, 1, 1, "int", 0, 255, w, np.zeros(8, np.int64), np.zeros(8, bool)),
              LayerSpec("MVAU_1", 8, 8, 1, 1, "xnor", 0, 1, w, np.zeros(8, np.int64), np.zeros(8, bool)))
    accel = Accelerator(layers, "UINT8", 1.0, np.ones(8), np.zeros(8))
    p = write(tmp_path, {"Defaults": {"resType": ["dsp", ["MVAU"]]}, "MVAU_0": {"PE": 2, "SIMD": 4}})
    ignored = []
    folded = accel.with_folding(choose_folding(accel, p, None, ignored))
    assert [l.res_type for l in folded.layers] == ["dsp", "lut"]
    assert ignored == ['MVAU_1.resType="dsp" (a xnor layer is a popcount in LUTs)']
    cfg = folding_json([l.name for l in folded.layers], folded.folding, None, [l.res_type for l in folded.layers])
    assert cfg["MVAU_0"]["resType"] == "dsp" and "resType" not in cfg["MVAU_1"]
    wide = Accelerator((LayerSpec("MVAU_0", 8, 8, 1, 1, "int", 0, 511, w, np.zeros(8, np.int64), np.zeros(8, bool)),),
                       "UINT9", 1.0, np.ones(8), np.zeros(8))
    ignored = []
    assert wide.with_folding(choose_folding(wide, p, None, ignored)).layers[0].res_type == "lut"
    assert ignored == ['MVAU_0.resType="dsp" (its 9-bit inputs are wider than the DSP packing\'s 8: LUTs)']
    bad = write(tmp_path, {"MVAU_0": {"resType": "bram"}})
    with pytest.raises(SbnHwError, match=r"resType='bram' must be one of auto, lut, dsp"):
        choose_folding(accel, bad, None)
