"""Sweep rtl/sbn_dsp_dot.v (with rtl/sbn_adder_tree.v) under Verilator: odd and even lane counts,
one chain and several (a short last chain included), one PE and several, signed and unsigned
inputs of 1..8 bits, the chain's longest allowed length, and the tree combinational or pipelined."""

import pytest

from sbn_hw.rtlgen.generate import RTL_LIBRARY, dsp_dot_latency
from sbn_hw.verify.runner import SIM_DIR, build_key, run_cocotb

SOURCES = [RTL_LIBRARY / f for f in ("sbn_dsp_dot.v", "sbn_adder_tree.v")]


@pytest.mark.parametrize("n,pe,bits,signed,chain,levels", [
    (1, 1, 8, 1, 8, 2), (2, 2, 8, 0, 8, 2), (7, 1, 8, 1, 2, 0), (49, 3, 8, 1, 8, 2),
    (49, 2, 8, 0, 4, 1), (64, 1, 8, 0, 16, 2), (33, 2, 2, 1, 1, 2), (20, 1, 5, 0, 3, 3),
    (5, 2, 1, 0, 2, 2), (9, 1, 1, 1, 4, 0)])
def test_sbn_dsp_dot(n, pe, bits, signed, chain, levels, tmp_path):
    out_w = bits + 1 + max(1, (n - 1).bit_length()) + 1
    params = {"N": n, "PE": pe, "IN_BITS": bits, "IN_SIGNED": signed, "OUT_W": out_w, "CHAIN": chain,
              "STAGE_LEVELS": levels}
    run_cocotb(SOURCES, "sbn_dsp_dot", "test_sbn_dsp_dot", SIM_DIR / "sbn_dsp_dot", tmp_path / build_key(params),
               params, {"SBN_N": str(n), "SBN_PE": str(pe), "SBN_IN_BITS": str(bits), "SBN_SIGNED": str(signed),
                        "SBN_OUT_W": str(out_w), "SBN_LATENCY": str(dsp_dot_latency(n, chain, levels))})
