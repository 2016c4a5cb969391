"""Yosys resource estimates: LUTs as logic / as memory, and how each memory was built."""

import numpy as np
import pytest

from sbn_hw.compile.accel import Accelerator, LayerSpec
from sbn_hw.flows.yosys import Resources, cells_to_resources, memory_mapping, synthesize
from sbn_hw.rtlgen import generate_rtl


def test_luts_split_into_logic_and_memory():
    r = cells_to_resources({"LUT1": 1, "LUT6": 5, "$paramod\\LUT3": 0, "RAM32M": 2, "RAM64X1D": 1, "SRLC32E": 3,
                            "FDRE": 7, "RAMB18E1": 1, "RAMB36E1": 1, "DSP48E1": 2, "MUXF7": 4, "CARRY4": 2})
    assert (r.lut_logic, r.lut_memory, r.ff, r.bram, r.dsp) == (6, 4 * 2 + 2 + 3, 7, 1.5, 2)
    assert r.lut == r.lut_logic + r.lut_memory == 19


def test_resources_dict_keeps_the_lut_total():
    a, b = Resources(lut_logic=10, lut_memory=4, ff=3, bram=0.5), Resources(lut_logic=1, lut_memory=2, dsp=1)
    assert (a + b).as_dict() == {"lut": 17, "lut_logic": 11, "lut_memory": 6, "ff": 3, "bram": 0.5, "dsp": 1}
    assert (a - b).lut == 11
    assert Resources(memories={"weights": "block"}).as_dict()["memories"] == {"weights": "block"}


def test_memory_mapping_read_from_the_log():
    log = """7.34. Executing MEMORY_LIBMAP pass (mapping memories to cells).
mapping memory top.u_fifo0.mem via $__XILINX_LUTRAM_SDP_
mapping memory top_layer0.u_mvau.ibuf via $__XILINX_LUTRAM_SP_
Extracted data FF from read port 0 of top_layer0.u_mvau.ibuf: $\\u_mvau.ibuf$rdreg[0]
found attribute 'ram_style = block' on memory top_layer0.u_mvau.u_wmem.g_block.mem, forced mapping to block RAM
mapping memory top_layer0.u_mvau.u_wmem.g_block.mem via $__XILINX_BLOCKRAM_TDP_
using FF mapping for memory top_layer0.u_mvau.g_tmem.u_tmem.genblk1.g_distributed.mem
using FF mapping for memory top_layer1.u_mvau.u_wmem.genblk1.genblk1.genblk1.g_auto.mem
"""
    assert memory_mapping(log, "top") == {
        0: {"input_buffer": "distributed", "weights": "block", "thresholds": "logic"},
        1: {"weights": "logic"},
    }


def one_layer(style: str) -> Accelerator:
    """The digits layer-0 weight memory shape: 512 words of 16 bits (64 x 128, SIMD 16)."""
    rng = np.random.default_rng(1)
    spec = LayerSpec("MVAU_0", 64, 128, 1, 16, "xnor", 0, 1, rng.integers(0, 2, (128, 64)).astype(np.uint8),
                     rng.integers(0, 65, 128).astype(np.int64), np.zeros(128, bool), ram_style=style,
                     ram_style_thresholds="logic")
    return Accelerator((spec,), "BINARY", 1.0, np.ones(128), np.zeros(128))


@pytest.mark.parametrize("style,bram,mapped", [("block", 0.5, "block"), ("logic", 0.0, "logic"),
                                                ("distributed", 0.0, "logic"), ("auto", 0.5, "block")])
def test_memory_style_decides_block_ram(style, bram, mapped, tmp_path):
    """The block style (and auto, which resolves to block for this shape) puts the weight memory
    in a RAMB18; logic / distributed keep it in LUTs."""
    rtl = generate_rtl(one_layer(style), tmp_path / "rtl")
    r = synthesize(rtl, tmp_path, 1)
    layer = r["layers"][0]
    assert layer.bram == bram
    assert layer.memories == {"weights": mapped, "thresholds": "logic", "input_buffer": "distributed"}
    assert layer.lut_memory > 0  # the input buffer is LUT RAM
    # 8,192 ROM bits as LUT logic take at least 128 LUT6s (64 bits each) beside the unit itself;
    # in block RAM the whole unit takes fewer than that.
    if style == "logic":
        assert layer.lut_logic > 128 + 80, layer
    if style == "block":
        assert layer.lut_logic < 128, layer
