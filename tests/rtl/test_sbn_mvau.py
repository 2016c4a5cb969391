"""Sweep rtl/sbn_mvau.v over modes, widths and folding under Verilator, backpressure on."""

import json
from dataclasses import replace
import zlib

import numpy as np
import pytest

from sbn_hw import SbnHwError
from sbn_hw.compile.accel import LayerSpec
from sbn_hw.golden import run_layer
from sbn_hw.rtlgen import layer_params
from sbn_hw.rtlgen.generate import rtl_threshold_words, rtl_weight_words
from sbn_hw.verify.runner import SIM_DIR, build_key, run_cocotb
from sbn_hw.rtlgen.generate import RTL_LIBRARY

# (mode, MW, MH, PE, SIMD, in_min, in_max, thresholds)
SWEEP = [
    ("xnor", 16, 8, 1, 1, 0, 1, True),
    ("xnor", 32, 12, 4, 8, 0, 1, True),
    ("xnor", 24, 6, 3, 24, 0, 1, False),
    ("int", 12, 8, 2, 4, 0, 255, True),
    ("int", 8, 4, 4, 2, -128, 127, False),
    ("and_act", 20, 6, 2, 5, 0, 1, True),
    ("and_act", 16, 4, 4, 16, 0, 1, False),
    ("and_w", 18, 9, 3, 6, 0, 1, True),
    ("and_w", 8, 4, 1, 8, 0, 1, False),
    # SIMD past sbn_popcount's 18-lane group: several groups and their adder tree, a partial group
    ("xnor", 80, 8, 2, 40, 0, 1, True),
    ("and_act", 74, 4, 1, 74, 0, 1, True),  # SF = 1: every beat ends a row
    # Thresholded integer layers with PE >= 2 use the shared group sums (INT_SHARED): signed and
    # unsigned inputs, whole groups, a last group of one lane, SIMD = 1 (two padded lanes), SF = NF = 1;
    # with one PE the plain adder tree.
    ("int", 98, 12, 3, 49, -128, 127, True),
    ("int", 18, 12, 2, 9, 0, 255, True),
    ("int", 6, 8, 4, 1, 0, 15, True),
    ("int", 12, 6, 6, 12, -2, 1, True),
    ("int", 10, 4, 1, 5, 0, 255, True),
]
# (case, WEIGHT_RAM_STYLE, THRESH_RAM_STYLE): every sbn_mvau_rom branch behaves the same. The SWEEP
# above runs the styles "auto" resolves to (logic for its small memories).
STYLE_SWEEP = [
    (("xnor", 32, 12, 4, 8, 0, 1, True), "block", "block"),
    (("int", 12, 8, 2, 4, 0, 255, True), "distributed", "distributed"),
    (("and_act", 20, 6, 2, 5, 0, 1, True), "auto", "block"),
    (("and_w", 8, 4, 1, 8, 0, 1, False), "block", "logic"),
]
# (case, READ_REG, PROD_REG, TREE_LEVELS, CMP_REG): pipeline depths from the unpipelined unit
# (0, 0, 0, 0) to a register after every adder-tree level; the SWEEP above runs the generator's
# choice (pipeline_params). PROD_REG acts on integer layers only. SF = 1 cases put a row end on
# every beat, so the output queue's credit count is what keeps the unit full.
PIPELINE_SWEEP = [
    (("xnor", 32, 12, 4, 8, 0, 1, True), 0, 0, 0, 0),
    (("xnor", 32, 12, 4, 8, 0, 1, True), 1, 0, 1, 1),
    (("xnor", 24, 6, 3, 24, 0, 1, False), 0, 0, 3, 1),
    (("int", 12, 8, 2, 4, 0, 255, True), 1, 1, 1, 0),
    (("int", 12, 8, 2, 4, 0, 255, True), 0, 0, 0, 0),
    (("int", 8, 4, 4, 2, -128, 127, False), 0, 1, 0, 1),
    (("and_act", 16, 4, 4, 16, 0, 1, False), 1, 0, 1, 1),
    (("and_act", 20, 6, 2, 5, 0, 1, True), 0, 0, 2, 0),
    (("and_w", 18, 9, 3, 6, 0, 1, True), 1, 0, 3, 1),
    (("xnor", 16, 8, 2, 16, 0, 1, True), 1, 0, 1, 1),  # SF = 1
    (("int", 4, 6, 6, 4, 0, 15, False), 0, 1, 1, 0),  # SF = 1, NF = 1
    (("int", 98, 12, 3, 49, -128, 127, True), 0, 0, 0, 0),  # shared sums, unpipelined
    (("int", 98, 12, 3, 49, -128, 127, True), 1, 1, 1, 1),  # shared sums, a register per tree level
    (("and_w", 80, 4, 2, 80, 0, 1, True), 1, 0, 1, 1),  # five popcount groups, a register per tree level
    (("xnor", 80, 8, 2, 40, 0, 1, False), 0, 0, 0, 0),
    # READ_REG=2 (the generator's choice for block RAM): SF = 1, shared sums, SF = 1 with the compare
    # in the accumulate stage, SF = NF = 1 (no input buffer: the stream delayed to the reads)
    (("xnor", 16, 8, 2, 16, 0, 1, True), 2, 0, 1, 1),
    (("int", 98, 12, 3, 49, -128, 127, True), 2, 1, 2, 1),
    (("and_act", 74, 4, 1, 74, 0, 1, True), 2, 0, 2, 0),
    (("int", 4, 6, 6, 4, 0, 15, False), 2, 1, 1, 1),
]
# (case, DSP_CHAIN, levels per pipeline stage): integer layers with resType "dsp" (rtl/sbn_dsp_dot.v):
# one short chain, a chain of one pair, several chains with a short last one and an odd SIMD, the
# unpipelined unit, and SF = 1 with NF = 1 (every beat a row of its own, no input buffer).
DSP_SWEEP = [
    (("int", 12, 8, 2, 4, 0, 255, True), 8, 2),
    (("int", 8, 4, 4, 2, -128, 127, False), 1, 2),
    (("int", 98, 6, 3, 49, -128, 127, True), 8, 2),
    (("int", 98, 6, 3, 49, -128, 127, True), 3, 1),
    (("int", 12, 8, 2, 4, 0, 255, True), 8, 0),
    (("int", 4, 6, 6, 4, 0, 15, False), 2, 2),
]


def random_layer(mode, mw, mh, pe, simd, lo, hi, thresholds, rng) -> LayerSpec:
    w = rng.integers(0, 2, (mh, mw)).astype(np.uint8)
    spec = LayerSpec("dut", mw, mh, pe, simd, mode, lo, hi, w)
    if not thresholds:
        return spec
    a_lo, a_hi = spec.acc_range
    # Cover both compare directions and the clamp ends (always on / always off).
    t = rng.integers(-200, 200, mh) * (hi - lo + 1) // 64 if mode == "int" else rng.integers(a_lo - 1, a_hi + 2, mh)
    t[0], t[-1] = a_lo - 1, a_hi + 1
    le = rng.integers(0, 2, mh).astype(bool)
    return LayerSpec("dut", mw, mh, pe, simd, mode, lo, hi, w, t.astype(np.int64), le)


def thresholds_at_the_sums(layer: LayerSpec, x: np.ndarray, rng) -> np.ndarray:
    """An integer layer's thresholds at (or one off) the accumulator of one of the frames, so that an
    accumulator off by one anywhere flips output bits; the first and last keep the clamp ends."""
    acc = x.astype(np.int64) @ (2 * layer.weights.astype(np.int64) - 1).T  # (frames, MH)
    t = acc[rng.integers(0, len(x), layer.mh), np.arange(layer.mh)] + rng.integers(-1, 2, layer.mh)
    t[0], t[-1] = layer.thresholds[0], layer.thresholds[-1]
    return t


def case_seed(case) -> int:
    return zlib.crc32(repr(case).encode())


@pytest.mark.parametrize("case", SWEEP, ids=lambda c: "-".join(map(str, c)))
def test_sbn_mvau(case, tmp_path_factory):
    check_mvau(case, tmp_path_factory)


@pytest.mark.parametrize("case,w_style,t_style", STYLE_SWEEP, ids=lambda c: "-".join(map(str, c)) if isinstance(c, tuple) else c)
def test_sbn_mvau_memory_styles(case, w_style, t_style, tmp_path_factory):
    """Each style with the pipeline the generator gives it (block RAM: two read registers)."""
    from sbn_hw.rtlgen.generate import pipeline_params

    layer = replace(random_layer(*case, np.random.default_rng(0)), ram_style=w_style, ram_style_thresholds=t_style)
    check_mvau(case, tmp_path_factory, {"WEIGHT_RAM_STYLE": f'"{w_style}"', "THRESH_RAM_STYLE": f'"{t_style}"',
                                        **pipeline_params(layer)})


@pytest.mark.parametrize("case,read_reg,prod_reg,levels,cmp_reg", PIPELINE_SWEEP,
                         ids=lambda c: "-".join(map(str, c)) if isinstance(c, tuple) else str(c))
def test_sbn_mvau_pipeline_depths(case, read_reg, prod_reg, levels, cmp_reg, tmp_path_factory):
    check_mvau(case, tmp_path_factory,
               {"READ_REG": read_reg, "PROD_REG": prod_reg, "TREE_LEVELS": levels, "CMP_REG": cmp_reg})


# Integer layers of SWEEP and PIPELINE_SWEEP again with SBN_FAST_SIM, the form the whole-accelerator
# simulation runs (a shared-sum PE as one sum of looked-up group sums and a delay line; sbn_adder_tree
# as a loop and a delay line): both forms pass the same checks.
FAST_SIM_SWEEP = [
    (("int", 98, 12, 3, 49, -128, 127, True), None),
    (("int", 18, 12, 2, 9, 0, 255, True), None),
    (("int", 6, 8, 4, 1, 0, 15, True), None),  # one group: no tree
    (("int", 12, 6, 6, 12, -2, 1, True), None),
    (("int", 98, 12, 3, 49, -128, 127, True), (0, 0, 0, 0)),  # no leaf register, combinational tree
    (("int", 98, 12, 3, 49, -128, 127, True), (2, 1, 2, 1)),
    (("int", 98, 12, 3, 49, -128, 127, True), (1, 1, 1, 0)),  # a register after every tree level
    (("int", 8, 4, 4, 2, -128, 127, False), None),  # products and sbn_adder_tree (no shared sums)
    (("int", 4, 6, 6, 4, 0, 15, False), (0, 1, 1, 0)),
]


@pytest.mark.parametrize("case,pipeline", FAST_SIM_SWEEP,
                         ids=lambda c: "-".join(map(str, c)) if isinstance(c, tuple) else str(c))
def test_sbn_mvau_fast_sim_model(case, pipeline, tmp_path_factory):
    from sbn_hw.verify.accelerator import FAST_SIM_DEFINE

    params = None if pipeline is None else dict(zip(("READ_REG", "PROD_REG", "TREE_LEVELS", "CMP_REG"), pipeline))
    check_mvau(case, tmp_path_factory, params, defines={FAST_SIM_DEFINE: 1})


@pytest.mark.parametrize("case,chain,levels", [DSP_SWEEP[2], DSP_SWEEP[5]],
                         ids=lambda c: "-".join(map(str, c)) if isinstance(c, tuple) else str(c))
def test_sbn_mvau_dsp_fast_sim_model(case, chain, levels, tmp_path_factory):
    """sbn_dsp_dot's tree over its chains (sbn_adder_tree) in the simulation model."""
    from sbn_hw.rtlgen.generate import pipeline_params
    from sbn_hw.verify.accelerator import FAST_SIM_DEFINE

    layer = random_layer(*case, np.random.default_rng(0))
    check_mvau(case, tmp_path_factory, {**pipeline_params(layer, levels), "INT_DSP": 1, "DSP_CHAIN": chain},
               res_type="dsp", defines={FAST_SIM_DEFINE: 1})


@pytest.mark.parametrize("case,chain,levels", DSP_SWEEP, ids=lambda c: "-".join(map(str, c)) if isinstance(c, tuple) else str(c))
def test_sbn_mvau_dsp(case, chain, levels, tmp_path_factory):
    from sbn_hw.rtlgen.generate import pipeline_params

    layer = random_layer(*case, np.random.default_rng(0))
    check_mvau(case, tmp_path_factory, {**pipeline_params(layer, levels), "INT_DSP": 1, "DSP_CHAIN": chain}, res_type="dsp")


def test_dsp_layers_build_with_dsp_chains():
    """resType "dsp" sets sbn_mvau's INT_DSP; the latency follows its chains and tree; other modes
    and wider inputs are refused with the fix named."""

    from sbn_hw.rtlgen.generate import DSP_CHAIN, pipeline_latency

    layer = replace(random_layer("int", 98, 6, 3, 49, -128, 127, True, np.random.default_rng(0)), res_type="dsp")
    p = layer_params(layer, "w.mem", "t.mem")
    assert (p["INT_DSP"], p["DSP_CHAIN"]) == (1, DSP_CHAIN)
    assert layer.dsp_count == 3 * 25
    # late buffer write, address, read, read register, 25 pairs in chains of 8 (8 + 1) then 4 chains
    # (2 levels), compare
    assert pipeline_latency(layer, p) == 1 + 2 + 1 + (8 + 1 + 1) + 1
    assert "INT_DSP" not in layer_params(replace(layer, res_type="lut"), "w.mem", "t.mem")
    with pytest.raises(SbnHwError, match="integer-input layers only"):
        LayerSpec("x", 16, 8, 1, 1, "xnor", 0, 1, np.zeros((8, 16), np.uint8), res_type="dsp")
    with pytest.raises(SbnHwError, match="at most 8 bits"):
        LayerSpec("x", 4, 4, 1, 1, "int", 0, 511, np.zeros((4, 4), np.uint8), res_type="dsp")
    with pytest.raises(SbnHwError, match="not one of lut, dsp"):
        LayerSpec("x", 4, 4, 1, 1, "int", 0, 255, np.zeros((4, 4), np.uint8), res_type="bram")


def test_generator_pipelines_every_layer():
    """The generator's choice registers the reads, the tree every PIPELINE_LEVELS_PER_STAGE levels
    and the compare; latency follows sbn_mvau's CMP_POS."""
    from sbn_hw.rtlgen.generate import PIPELINE_LEVELS_PER_STAGE, pipeline_latency, pipeline_params

    layer = random_layer("xnor", 32, 12, 4, 8, 0, 1, True, np.random.default_rng(0))
    p = layer_params(layer, "w.mem", "t.mem")
    assert (p["READ_REG"], p["PROD_REG"], p["TREE_LEVELS"], p["CMP_REG"]) == (1, 0, PIPELINE_LEVELS_PER_STAGE, 1)
    int_layer = random_layer("int", 12, 8, 2, 4, 0, 255, True, np.random.default_rng(0))
    assert layer_params(int_layer, "w.mem", "t.mem")["PROD_REG"] == 1  # the negation gets its own stage
    # late buffer write, address, read, read register, products, adder tree (SIMD 4: 2 levels), compare
    assert pipeline_latency(int_layer, pipeline_params(int_layer, 2)) == 1 + 2 + 1 + 1 + 1 + 1
    assert pipeline_params(int_layer, 0) == {"READ_REG": 0, "PROD_REG": 0, "TREE_LEVELS": 0, "CMP_REG": 0}
    assert pipeline_latency(layer, pipeline_params(layer, 0)) == 2  # the unpipelined unit: address, read
    # SIMD 8: one popcount group, its triples' counts and its sum registered, no tree
    assert pipeline_latency(layer, pipeline_params(layer, 1)) == 1 + 2 + 1 + 2 + 1
    assert pipeline_latency(layer, pipeline_params(layer, 2)) == 1 + 2 + 1 + 2 + 1
    wide = random_layer("xnor", 128, 4, 1, 64, 0, 1, True, np.random.default_rng(0))  # 4 groups: 2 tree levels
    assert pipeline_latency(wide, pipeline_params(wide, 1)) == 1 + 2 + 1 + (2 + 2) + 1
    assert pipeline_latency(wide, pipeline_params(wide, 2)) == 1 + 2 + 1 + (2 + 1) + 1
    # A block RAM read gets two registers (weights or thresholds in block RAM), one more cycle.
    for styles in (("block", "logic"), ("distributed", "block")):
        blk = replace(layer, ram_style=styles[0], ram_style_thresholds=styles[1])
        assert pipeline_params(blk, 2)["READ_REG"] == 2
        assert pipeline_latency(blk, pipeline_params(blk, 2)) == 1 + 2 + 2 + 2 + 1
    assert pipeline_params(replace(layer, ram_style="block"), 0)["READ_REG"] == 0
    with pytest.raises(SbnHwError, match="levels per pipeline stage"):
        pipeline_params(layer, -1)


def test_top_takes_its_input_straight_into_a_pipelined_first_mvau(tmp_path):
    """A pipelined MVAU registers its input word (without an enable) and its ready, so the top
    has no input slice in front of it (whose load enables would reach every bit of a wide word);
    the unpipelined MVAU gets the slice. The reset gates the port's handshake either way."""
    from sbn_hw.compile.accel import Accelerator
    from sbn_hw.rtlgen.generate import TOP_NAME, generate_rtl

    layer = random_layer("int", 12, 8, 2, 4, 0, 255, True, np.random.default_rng(0))
    accel = Accelerator((layer,), "UINT8", 1.0, np.ones(8), np.zeros(8))
    piped = (generate_rtl(accel, tmp_path / "piped").directory / f"{TOP_NAME}.v").read_text()
    assert "u_slice_in0" not in piped and "u_slice_out0" in piped
    assert "assign s_axis_tready = l0_in_tready && !rst;" in piped
    assert "assign l0_in_tvalid = s_axis_tvalid;" in piped  # the MVAU takes nothing in reset (ready_q)
    flat = (generate_rtl(accel, tmp_path / "flat", levels_per_stage=0).directory / f"{TOP_NAME}.v").read_text()
    assert "u_slice_in0" in flat and "assign s_axis_tready = in_slice_tready && !rst;" in flat


def check_mvau(case, tmp_path_factory, style_params: dict | None = None, res_type: str = "lut",
               defines: dict | None = None):
    # A seed from the case's text (not Python's per-process hash()), so a failure reproduces.
    seed = case_seed(case)
    rng = np.random.default_rng(seed)
    layer = replace(random_layer(*case, rng), res_type=res_type)
    x = rng.integers(layer.in_min, layer.in_max + 1, (12, layer.mw))
    if layer.mode == "int" and layer.has_thresholds:
        layer = replace(layer, thresholds=thresholds_at_the_sums(layer, x, rng))
    y = run_layer(layer, x)
    d = tmp_path_factory.mktemp("mvau")
    (d / "w.mem").write_text("\n".join(rtl_weight_words(layer)) + "\n")
    (d / "t.mem").write_text("\n".join(rtl_threshold_words(layer) if layer.has_thresholds else ["0"]) + "\n")
    meta = dict(simd=layer.simd, pe=layer.pe, sf=layer.sf, nf=layer.nf, in_bits=layer.in_bits,
                out_bits=layer.out_bits, out_signed=bool(not layer.has_thresholds and layer.acc_signed), seed=seed)
    np.savez(d / "data.npz", meta=np.array(json.dumps(meta)), x=x, y=y)
    params = {**layer_params(layer, str(d / "w.mem"), str(d / "t.mem")), **(style_params or {})}
    try:
        run_cocotb(
            [RTL_LIBRARY / "sbn_mvau.v", RTL_LIBRARY / "sbn_popcount.v", RTL_LIBRARY / "sbn_lut6.v", RTL_LIBRARY / "sbn_adder_tree.v", RTL_LIBRARY / "sbn_dsp_dot.v",
             RTL_LIBRARY / "axis_fifo.v"], "sbn_mvau", "test_sbn_mvau", SIM_DIR / "sbn_mvau",
            d / f"build_{build_key({**params, **(defines or {})})}", params, {"SBN_TEST_DATA": str(d / "data.npz")},
            defines=defines,
        )
    except SbnHwError as e:
        raise AssertionError(f"case {case}, seed {seed} (reproduce with the same case): {e}") from None


def test_case_seeds_do_not_depend_on_the_process():
    """Seeds come from the case's text: the same in every process (hash() is salted per process)."""
    import subprocess
    import sys

    code = "import zlib; print(zlib.crc32(repr(%r).encode()))" % (SWEEP[0],)
    runs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
            for _ in range(2)}
    assert runs == {str(case_seed(SWEEP[0]))}


@pytest.mark.parametrize("simd,lo,hi", [(1, 0, 15), (9, 0, 255), (49, -128, 127), (5, -2, 1)])
def test_shared_sum_codes_reproduce_the_layer(simd, lo, hi):
    """A numpy model of sbn_mvau's INT_SHARED arithmetic on the generator's codes and shifted
    thresholds: lanes centred if unsigned, every group's selected sum, ones' complement where
    negated, add up to the accumulator less the row's offset, and every output bit equals the
    golden model's."""
    from sbn_hw.rtlgen.generate import rtl_thresholds, shared_sum_codes, shared_sum_offsets, uses_shared_sums

    rng = np.random.default_rng(simd)
    mw, pe = simd * 4, 3
    layer = random_layer("int", mw, 6, pe, simd, lo, hi, True, rng)
    x = rng.integers(lo, hi + 1, (20, mw))
    layer = replace(layer, thresholds=thresholds_at_the_sums(layer, x, rng))
    assert uses_shared_sums(layer)
    codes = shared_sum_codes(layer).astype(np.int64)  # (MH, SF, G, 3)
    groups = codes.shape[2]
    centre = 0 if lo < 0 else 1 << (layer.in_bits - 1)
    xg = (x.astype(np.int64) - centre).reshape(len(x), layer.sf, simd)
    xg = np.concatenate([xg, np.zeros((len(x), layer.sf, 3 * groups - simd), np.int64)], axis=2)
    xg = xg.reshape(len(x), 1, layer.sf, groups, 3)
    m0, m1, neg = codes[..., 0], codes[..., 1], codes[..., 2]
    v = xg[..., 0] + (1 - 2 * m0) * xg[..., 1] + (1 - 2 * m1) * xg[..., 2]  # (frames, MH, SF, G)
    acc_rtl = np.where(neg == 1, -v - 1, v).sum(axis=(2, 3))
    acc = x.astype(np.int64) @ (2 * layer.weights.astype(np.int64) - 1).T
    np.testing.assert_array_equal(acc_rtl, acc - shared_sum_offsets(layer))
    t, th_bits = rtl_thresholds(layer)
    assert -(1 << (th_bits - 1)) <= t.min() and t.max() < (1 << (th_bits - 1))  # fits TH_BITS
    rtl_bits = np.where(layer.threshold_le, acc_rtl <= t, acc_rtl >= t)
    np.testing.assert_array_equal(rtl_bits, run_layer(layer, x))


def test_shared_sums_are_chosen_for_thresholded_integer_layers_in_luts_with_several_pes():
    from sbn_hw.rtlgen.generate import pipeline_latency, uses_shared_sums

    rng = np.random.default_rng(0)
    layer = random_layer("int", 98, 6, 3, 49, -128, 127, True, rng)
    p = layer_params(layer, "w.mem", "t.mem")
    assert p["INT_SHARED"] == 1 and p["PROD_REG"] == 1
    # late buffer write, address, read, read register; the group sums in two registered steps and
    # the selected sums registered; 17 group leaves: 5 levels, a register every 2; compare
    assert pipeline_latency(layer, p) == 1 + 2 + 1 + 2 + 1 + 3 + 1
    for other in (replace(layer, pe=1), replace(layer, res_type="dsp"),
                  random_layer("int", 98, 6, 3, 49, -128, 127, False, rng),
                  random_layer("xnor", 98, 6, 3, 49, 0, 1, True, rng)):
        assert not uses_shared_sums(other)
        assert "INT_SHARED" not in layer_params(other, "w.mem", "t.mem")
