"""The accelerator description: memory styles, save/load, one home for the folding helpers."""

import ast
import json
import subprocess
import sys

import numpy as np
import pytest

from sbn_hw import SbnHwError
from sbn_hw.compile import accel as accel_module
from sbn_hw.compile import folding
from sbn_hw.compile.accel import Accelerator, LayerSpec


def layer(name, mw, mh, pe=1, simd=1, **styles) -> LayerSpec:
    rng = np.random.default_rng(0)
    return LayerSpec(name, mw, mh, pe, simd, "xnor", 0, 1, rng.integers(0, 2, (mh, mw)).astype(np.uint8),
                     rng.integers(0, mw, mh).astype(np.int64), np.zeros(mh, bool), **styles)


def accel(*layers) -> Accelerator:
    return Accelerator(tuple(layers), "BINARY", 1.0, np.ones(layers[-1].mh), np.zeros(layers[-1].mh))


def test_with_folding_resolves_auto_for_the_new_folding():
    a = accel(layer("MVAU_0", 64, 128), layer("MVAU_1", 128, 16))
    assert a.layers[0].ram_style == "auto"
    folded = a.with_folding([(1, 16), (1, 1)])
    # MVAU_0: weights 512 words x 16 bits -> block, thresholds 128 words x 9 bits -> distributed.
    assert folded.folding == [(1, 16, "block", "distributed"), (1, 1, "distributed", "logic")]
    again = a.with_folding([(128, 64, "auto", "auto"), (16, 128, "logic", "block")])
    assert again.folding == [(128, 64, "logic", "logic"), (16, 128, "logic", "block")]


def test_memory_styles_survive_save_and_load(tmp_path):
    a = accel(layer("MVAU_0", 64, 128, 1, 16, ram_style="distributed"), layer("MVAU_1", 128, 16))
    b = Accelerator.load(a.save(tmp_path / "a.npz"))
    # Saved descriptions say which style each layer uses: "auto" is written resolved.
    assert b.folding == [(1, 16, "distributed", "distributed"), (1, 1, "distributed", "logic")]


def test_res_type_is_saved_and_old_descriptions_load_as_lut(tmp_path):
    w = np.zeros((8, 16), np.uint8)
    a = accel(LayerSpec("MVAU_0", 16, 8, 2, 4, "int", -128, 127, w, np.zeros(8, np.int64), np.zeros(8, bool),
                        res_type="dsp"))
    path = a.save(tmp_path / "a.npz")
    assert Accelerator.load(path).layers[0].res_type == "dsp" and a.layers[0].dsp_count == 2 * 2
    with np.load(path) as z:
        arrays = dict(z)
    meta = json.loads(str(arrays.pop("meta")))
    del meta["layers"][0]["res_type"]
    np.savez(path, meta=np.array(json.dumps(meta)), **arrays)
    assert Accelerator.load(path).layers[0].res_type == "lut"


def test_descriptions_saved_before_memory_styles_load_resolved(tmp_path):
    a = accel(layer("MVAU_0", 64, 128, 1, 16), layer("MVAU_1", 128, 16))
    path = a.save(tmp_path / "a.npz")
    with np.load(path) as z:
        arrays = dict(z)
    meta = json.loads(str(arrays.pop("meta")))
    for lm in meta["layers"]:
        del lm["ram_style"], lm["ram_style_thresholds"]
    np.savez(path, meta=np.array(json.dumps(meta)), **arrays)
    assert Accelerator.load(path).folding == [(1, 16, "block", "distributed"), (1, 1, "distributed", "logic")]


def test_bad_memory_style_names_layer_key_and_choices():
    with pytest.raises(SbnHwError, match=r"layer MVAU_3: ram_style_thresholds='ultra' is not a memory style; "
                                         r"choose one of \['auto', 'block', 'distributed', 'logic'\]"):
        layer("MVAU_3", 8, 8, ram_style_thresholds="ultra")


def test_folding_helpers_have_one_home():
    """accel.py uses folding.py's divisors and stream check; folding.py does not import accel.py."""
    assert accel_module.divisors is folding.divisors
    assert accel_module.streams_compatible is folding.streams_compatible
    tree = ast.parse(open(folding.__file__).read())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not any(m and m.startswith("sbn_hw.compile") for m in imported)
    # Either module imports first in a fresh interpreter (no cycle).
    for mod in ("sbn_hw.compile.folding", "sbn_hw.compile.accel"):
        subprocess.run([sys.executable, "-c", f"import {mod}"], check=True)


def test_incompatible_streams_still_rejected():
    with pytest.raises(SbnHwError, match="stream width mismatch: MVAU_0 emits PE=2 .* MVAU_1 takes SIMD=3"):
        accel(layer("MVAU_0", 8, 6, pe=2), layer("MVAU_1", 6, 4, simd=3))


# ------------------------------------------------------------------------ threshold layers

def thresh(name="Thresholding_0", elements=8, pe=2, thresholds=((3,),), lo=0, hi=7, bias=0, **kw):
    from sbn_hw.compile.accel import ThresholdSpec

    return ThresholdSpec(name, elements, pe, lo, hi, np.asarray(thresholds, np.int64), bias, **kw)


def test_threshold_layer_stream_protocol_and_widths():
    t = thresh(elements=12, pe=3, thresholds=[[-1, 2, 4]] * 6, lo=-4, hi=3, bias=-2)
    assert (t.in_elems, t.out_elems, t.in_per_beat, t.out_per_beat, t.in_words, t.cycles) == (12, 12, 3, 3, 4, 4)
    assert (t.in_bits, t.in_signed, t.out_range, t.out_bits, t.out_signed) == (3, True, (-2, 1), 2, True)
    assert t.th_bits == 4 and t.ch_words == 2 and t.threshold_memory_shape == (2, 3 * 3 * 4)
    assert thresh(thresholds=[[3]]).ch_words == 1  # one row shared by every element


@pytest.mark.parametrize("kw,msg", [
    (dict(thresholds=[[3, 1]]), "ascend"),
    (dict(thresholds=[[9]]), r"must lie in \[0, 8\]"),
    (dict(elements=8, thresholds=[[1]] * 3), "3 threshold channels do not divide 8 elements"),
    (dict(elements=8, pe=3), r"PE=3 must divide the 8 elements; choose PE from \[1, 2, 4, 8\]"),
    (dict(elements=8, pe=4, thresholds=[[1]] * 2), r"and the 2 channels; choose PE from \[1, 2\]"),
    (dict(thresholds=np.zeros((0, 1))), "thresholds must be"),
])
def test_threshold_layer_errors_name_the_fix(kw, msg):
    with pytest.raises(SbnHwError, match=msg):
        thresh(**kw)


def test_threshold_layer_saves_loads_and_folds(tmp_path):
    a = Accelerator((thresh(elements=64, pe=1, thresholds=[[128]], lo=0, hi=255), layer("MVAU_0", 64, 16)),
                    "UINT8", 1 / 255, np.ones(16), np.zeros(16))
    folded = a.with_folding([(8, 8, "auto", "logic"), (2, 8)])
    assert folded.folding[0] == (8, 8, "auto", "logic") and folded.layers[0].pe == 8
    b = Accelerator.load(folded.save(tmp_path / "a.npz"))
    assert b.layers[0].kind == "threshold" and b.layers[0].thresholds.tolist() == [[128]]
    assert b.folding == folded.folding and b.in_features == 64 and b.cycles_per_frame == folded.cycles_per_frame


def test_chain_checks_ranges_and_widths():
    with pytest.raises(SbnHwError, match="emits 3-bit values in"):
        Accelerator((thresh(elements=8, thresholds=[[1, 2, 3, 4]]), layer("MVAU_0", 8, 4)), "UINT3", 1.0,
                    np.ones(4), np.zeros(4))


def test_lab_unit_follows_an_integer_mvau_saves_loads_and_folds(tmp_path):
    from dataclasses import replace

    from sbn_hw.compile.accel import LabSpec
    from tests.rtl.test_sbn_lab import random_unit

    mvau = replace(layer("MVAU_0", 16, 8, pe=2, simd=4, ), vectors=9, thresholds=None, threshold_le=None)
    lab = random_unit("LAB_0", 0, 16, 2, 8, 3, 3, 3, 4)
    a = Accelerator((mvau, lab, layer("MVAU_1", 72, 4, simd=8)), "BIPOLAR", 1.0, np.ones(4), np.zeros(4))
    b = Accelerator.load(a.with_folding([(2, 4), (4, 4), (1, 8)]).save(tmp_path / "a.npz"))
    got = b.layers[1]
    assert isinstance(got, LabSpec) and got.pe == 4 and got.k == 3
    assert np.array_equal(got.taps, lab.taps) and np.array_equal(got.thresholds, lab.thresholds)
    assert np.array_equal(got.threshold_le, lab.threshold_le)
    with pytest.raises(SbnHwError, match="no thresholds but is not the last layer"):  # only a LAB unit may follow
        Accelerator((mvau, layer("MVAU_1", 72, 4, simd=8)), "BIPOLAR", 1.0, np.ones(4), np.zeros(4))


@pytest.mark.parametrize("kw,msg", [(dict(k=2), "odd"), (dict(pe=3), "does not divide"),
                                    (dict(threshold_le=np.zeros(3, bool)), "threshold_le have shape")])
def test_lab_unit_checks_its_shape(kw, msg):
    from dataclasses import replace

    from tests.rtl.test_sbn_lab import random_unit

    with pytest.raises(SbnHwError, match=msg):
        replace(random_unit("LAB_0", 0, 16, 2, 8, 3, 3, 3, 4), **kw)
