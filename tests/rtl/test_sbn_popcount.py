"""Sweep rtl/sbn_popcount.v (with rtl/sbn_lut6.v and rtl/sbn_adder_tree.v) under Verilator: lane
counts around its 3-lane and 18-lane groups, XNOR and AND products, combinational and pipelined."""

import pytest

from sbn_hw.rtlgen.generate import RTL_LIBRARY
from sbn_hw.verify.runner import SIM_DIR, build_key, run_cocotb

SOURCES = [RTL_LIBRARY / f for f in ("sbn_popcount.v", "sbn_lut6.v", "sbn_adder_tree.v")]


def latency(n: int, levels: int) -> int:
    """sbn_popcount's LATENCY: the group sums registered, then ceil(log2(groups) / levels)."""
    log_groups = max(0, (-(-n // 18) - 1).bit_length())
    return 0 if levels == 0 else 1 + -(-log_groups // levels)


@pytest.mark.parametrize("n,lane_op,levels", [
    (1, 0, 0), (2, 1, 0), (17, 0, 0), (18, 1, 0), (19, 0, 0), (64, 1, 0),
    (1, 1, 1), (18, 0, 1), (37, 1, 1), (64, 0, 2), (256, 0, 2), (300, 1, 3)])
def test_sbn_popcount(n, lane_op, levels, tmp_path):
    out_w = n.bit_length()
    params = {"N": n, "LANE_OP": lane_op, "OUT_W": out_w, "STAGE_LEVELS": levels}
    run_cocotb(SOURCES, "sbn_popcount", "test_sbn_popcount", SIM_DIR / "sbn_popcount", tmp_path / build_key(params),
               params, {"SBN_N": str(n), "SBN_LANE_OP": str(lane_op), "SBN_OUT_W": str(out_w),
                        "SBN_LATENCY": str(latency(n, levels))})
