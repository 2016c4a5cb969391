import json

import pytest

from sbn_hw import SbnHwError
from sbn_hw.compile.accel import check_folding
from sbn_hw.compile.folding import auto_folding, read_folding_json, streams_compatible


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


def test_folding_json_roundtrip(tmp_path):
    p = tmp_path / "f.json"
    p.write_text(json.dumps({"Defaults": {}, "MVAU_0": {"PE": 4, "SIMD": 8, "ram_style": "block"}}))
    assert read_folding_json(p, ["MVAU_0", "MVAU_1"]) == {"MVAU_0": (4, 8), "MVAU_1": (None, None)}


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
