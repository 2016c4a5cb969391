"""The UART host link under Verilator: rtl/sbn_uart_rx.v, rtl/sbn_uart_tx.v, and the bridge top
(rtl/sbn_uart_bridge.v + a generated accelerator, sbn_hw.flows.ecp5.uart_top_verilog): bytes in ->
every frame bit-exact against the golden model -> bytes out, with random gaps between bytes."""

import json

import numpy as np
import pytest

from sbn_hw.flows.ecp5 import BRIDGE_FILES, UART_TOP, uart_top_verilog
from sbn_hw.golden import run_accelerator
from sbn_hw.rtlgen import generate_rtl
from sbn_hw.rtlgen.generate import RTL_LIBRARY
from sbn_hw.verify.runner import SIM_DIR, build_key, run_cocotb
from tests.hlsgen.accels import random_accel


@pytest.mark.parametrize("cpb", [4, 16])
def test_sbn_uart_rx(cpb, tmp_path):
    params = {"CLKS_PER_BIT": cpb}
    run_cocotb([RTL_LIBRARY / "sbn_uart_rx.v"], "sbn_uart_rx", "test_sbn_uart_rx", SIM_DIR / "sbn_uart_rx",
               tmp_path / build_key(params), params, {"SBN_CLKS_PER_BIT": str(cpb)})


@pytest.mark.parametrize("cpb", [4, 7])
def test_sbn_uart_tx(cpb, tmp_path):
    params = {"CLKS_PER_BIT": cpb}
    run_cocotb([RTL_LIBRARY / "sbn_uart_tx.v"], "sbn_uart_tx", "test_sbn_uart_tx", SIM_DIR / "sbn_uart_tx",
               tmp_path / build_key(params), params, {"SBN_CLKS_PER_BIT": str(cpb)})


# (sizes, modes, folding, input type): input words of 12 bits (2 bytes, 4 bits unused) and of
# 24 bits (3 bytes); integer outputs of 15 bits (2 bytes) and 8 bits (1 byte) per word.
BRIDGE_CASES = [
    ([12, 8, 6], ["int", "int"], [(2, 3), (3, 4)], "UINT4"),
    ([16, 12, 10], ["int", "xnor"], [(4, 8), (2, 4)], "UINT3"),
]


@pytest.mark.parametrize("case", range(len(BRIDGE_CASES)))
def test_uart_bridge_top(case, tmp_path):
    sizes, modes, folding, dtype = BRIDGE_CASES[case]
    rng = np.random.default_rng(case)
    accel, x = random_accel(rng, sizes, modes, folding, dtype, frames=12)
    y = run_accelerator(accel, x)[-1]
    first, last = accel.layers[0], accel.layers[-1]
    in_w, out_w = first.simd * first.in_bits, last.pe * last.out_bits
    cpb = 4
    rtl = generate_rtl(accel, tmp_path / "rtl")
    top = tmp_path / "rtl" / f"{UART_TOP}.v"
    top.write_text(uart_top_verilog(in_w, out_w, cpb, 8))
    sources = rtl.sources + [RTL_LIBRARY / f for f in BRIDGE_FILES] + [top]
    meta = dict(cpb=cpb, in_w=in_w, out_w=out_w, simd=first.simd, in_bits=first.in_bits, pe=last.pe,
                out_bits=last.out_bits, out_signed=bool(last.acc_signed), nf=last.nf, seed=case)
    np.savez(tmp_path / "data.npz", meta=np.array(json.dumps(meta)), x=x, y=y)
    run_cocotb(sources, UART_TOP, "test_sbn_uart_top", SIM_DIR / "sbn_uart_top", tmp_path / "build", {},
               {"SBN_TEST_DATA": str(tmp_path / "data.npz")}, run_dir=rtl.directory)
