"""The HLS C++ compiled with g++ and C-simulated: every layer and the dataflow top bit-exact with
the golden model, for each encoding mode and several PE/SIMD foldings."""

import numpy as np
import pytest

from sbn_hw import SbnHwError
from sbn_hw.golden.executor import GoldenMismatch
from sbn_hw.hlsgen import generate as gen
from sbn_hw.hlsgen import headers, run_csim
from tests.hlsgen.accels import random_accel

# Per mode: the first layer's input type and a folding with up-, down- and same-width conversions.
MODE_CASES = {
    "int": ("INT4", [(4, 5), (2, 12), (3, 8)]),  # signed integer pixels; 4 -> 12 and 2 -> 8 widen
    "xnor": ("BINARY", [(12, 20), (8, 4), (6, 8)]),  # fully parallel layers; 12 -> 4 narrows
    "and_act": ("BINARY", [(1, 1), (1, 1), (1, 1)]),  # fully folded: one input and one output per cycle
    "and_w": ("BINARY", [(6, 2), (4, 3), (2, 2)]),  # 6 -> 3 and 4 -> 2 narrow
}


def check_layers_are_not_trivial(result):
    for out in result.layer_outputs[:-1]:  # thresholds inside the accumulators' range: both bits occur
        assert 0 < out.mean() < 1
    assert len(np.unique(result.outputs)) > 2


@pytest.mark.parametrize("mode", sorted(MODE_CASES))
def test_each_mode_is_bit_exact(mode, tmp_path):
    dtype, folding = MODE_CASES[mode]
    accel, x = random_accel(np.random.default_rng(len(mode)), [20, 12, 8, 6], [mode] * 3, folding, dtype)
    r = run_csim(accel, x, tmp_path)
    assert r.frames == len(x) == 100
    for got, want in zip(r.layer_outputs, r.golden):  # run_csim checked this; the test holds it too
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(r.outputs, r.golden[-1])
    assert r.mismatch_count == 0
    check_layers_are_not_trivial(r)
    if mode in ("int", "and_act"):  # signed integer outputs come back signed
        assert r.outputs.min() < 0


@pytest.mark.parametrize("folding", [
    [(1, 1), (1, 1), (1, 1), (1, 1), (1, 1)],  # everything folded
    [(8, 16), (4, 4), (2, 2), (5, 2), (10, 5)],  # every converter equal-width or narrowing
    [(2, 4), (4, 8), (5, 8), (1, 1), (2, 10)],  # widening 2 -> 8, 4 -> 8, 1 -> 10; narrowing 5 -> 1
])
def test_mixed_modes_and_foldings(folding, tmp_path):
    """One chain through all four modes, as a Si-BNN/SiMaN/XNOR mix never built by training."""
    accel, x = random_accel(np.random.default_rng(7), [16, 16, 8, 10, 10, 10],
                            ["int", "xnor", "and_act", "and_w", "xnor"], folding, "UINT5", frames=120)
    r = run_csim(accel, x, tmp_path)
    np.testing.assert_array_equal(r.outputs, r.golden[-1])
    check_layers_are_not_trivial(r)


def test_words_wider_than_1024_bits(tmp_path):
    """A fully parallel 64 x 32 layer reads 2048-bit weight words: AP_INT_MAX_W is raised for it."""
    accel, x = random_accel(np.random.default_rng(3), [64, 32, 10], ["xnor", "xnor"], [(32, 64), (10, 32)], "BINARY")
    r = run_csim(accel, x, tmp_path)
    assert "#define AP_INT_MAX_W 2048" in (tmp_path / gen.TOP_HEADER).read_text()
    np.testing.assert_array_equal(r.outputs, r.golden[-1])


def test_words_beyond_the_vitis_limit_are_refused(tmp_path):
    accel, _ = random_accel(np.random.default_rng(3), [128, 40, 4], ["xnor", "xnor"], [(40, 128), (4, 40)],
                            "BINARY", frames=4)
    with pytest.raises(SbnHwError, match="lower PE or SIMD"):
        gen.generate_hls(accel, tmp_path / "hls")
    assert not (tmp_path / "hls").exists()


def test_corrupted_weight_is_a_mismatch_naming_layer_and_frame(tmp_path, monkeypatch):
    """One flipped weight bit in layer 1's generated memory: the C simulation must catch it."""
    accel, x = random_accel(np.random.default_rng(11), [20, 12, 8, 6], ["int", "xnor", "xnor"],
                            [(4, 5), (2, 12), (3, 8)], "UINT5")
    real = gen.weight_words

    def corrupt(layer):
        words = real(layer)
        if layer.name == accel.layers[1].name:
            words[0] = format(int(words[0], 16) ^ 1, f"0{len(words[0])}x")
        return words

    monkeypatch.setattr(gen, "weight_words", corrupt)
    with pytest.raises(GoldenMismatch, match=r"layer L1_xnor: \d+ mismatches; first at frame \d+, output \d+"):
        run_csim(accel, x, tmp_path)


def test_missing_headers_name_the_fix(tmp_path, monkeypatch):
    accel, x = random_accel(np.random.default_rng(1), [8, 4, 2], ["xnor", "xnor"], [(1, 1), (1, 1)], "BINARY", frames=4)
    monkeypatch.setattr(headers, "package_dirs", lambda package="hls4ml": [])
    with pytest.raises(SbnHwError, match=r"pip install --no-deps hls4ml==1\.3\.0"):
        run_csim(accel, x, tmp_path / "w")
    assert not (tmp_path / "w").exists()  # nothing written that could look like a result


def test_header_dir_without_hls_stream_is_refused(tmp_path):
    d = tmp_path / "hls4ml" / headers.SUBDIR
    d.mkdir(parents=True)
    (d / "ap_int.h").write_text("")
    with pytest.raises(SbnHwError, match="hls_stream.h"):
        headers.hls_include_dir([tmp_path / "hls4ml"])
    (d / "hls_stream.h").write_text("")
    assert headers.hls_include_dir([tmp_path / "hls4ml"]) == d


def test_installed_headers_are_found_without_importing_hls4ml():
    import sys

    d = headers.hls_include_dir()
    assert (d / "ap_int.h").is_file() and (d / "hls_stream.h").is_file()
    assert "hls4ml" not in sys.modules


def test_missing_compiler_names_the_fix(tmp_path, monkeypatch):
    accel, x = random_accel(np.random.default_rng(1), [8, 4, 2], ["xnor", "xnor"], [(1, 1), (1, 1)], "BINARY", frames=4)
    monkeypatch.setenv("CXX", "no-such-compiler++")
    with pytest.raises(SbnHwError, match="install g\\+\\+"):
        run_csim(accel, x, tmp_path / "w")
    assert not (tmp_path / "w").exists()


@pytest.mark.parametrize("bipolar", [True, False])
def test_input_threshold_layer_is_bit_exact(bipolar, tmp_path):
    """A bnn_pynq-style input quantizer in hardware: 1-bit into xnor, or 2-bit signed into int."""
    from tests.hlsgen.accels import thresholded_input_accel

    accel, x = thresholded_input_accel(np.random.default_rng(11), bipolar)
    r = run_csim(accel, x, tmp_path)
    np.testing.assert_array_equal(r.layer_outputs[0], r.golden[0])
    np.testing.assert_array_equal(r.outputs, r.golden[-1])
    assert len(np.unique(r.layer_outputs[0])) == (2 if bipolar else 4)  # every level occurs
