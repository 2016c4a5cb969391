"""Sweep the stream plumbing (rtl/axis_fifo.v, rtl/axis_dwc.v) under Verilator, backpressure on."""

import pytest

from sbn_hw.rtlgen.generate import RTL_LIBRARY
from sbn_hw.verify.runner import SIM_DIR, build_key, run_cocotb


@pytest.mark.parametrize("width,depth", [(1, 4), (13, 16)])
def test_axis_fifo(width, depth, tmp_path):
    params = {"WIDTH": width, "DEPTH": depth}
    run_cocotb([RTL_LIBRARY / "axis_fifo.v"], "axis_fifo", "test_axis_fifo", SIM_DIR / "axis_fifo",
               tmp_path / build_key(params), params, {"SBN_WIDTH": str(width)})


@pytest.mark.parametrize("ew,in_n,out_n", [(1, 4, 16), (3, 6, 2), (1, 8, 8)])
def test_axis_dwc(ew, in_n, out_n, tmp_path):
    params = {"EW": ew, "IN_N": in_n, "OUT_N": out_n}
    run_cocotb([RTL_LIBRARY / "axis_dwc.v"], "axis_dwc", "test_axis_dwc", SIM_DIR / "axis_dwc",
               tmp_path / build_key(params), params,
               {"SBN_EW": str(ew), "SBN_IN_N": str(in_n), "SBN_OUT_N": str(out_n)})
