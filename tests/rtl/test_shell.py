"""The accelerator shell under Verilator: rtl/sbn_axis_tlast.v and rtl/sbn_axil_ctrl.v alone, then
a generated shell around a small two-layer accelerator, driven like AXI DMA + a PYNQ driver."""

import json

import numpy as np
import pytest

from sbn_hw.compile.accel import Accelerator, LayerSpec
from sbn_hw.golden import run_accelerator
from sbn_hw.rtlgen.generate import RTL_LIBRARY
from sbn_hw.rtlgen.shell import MAGIC, REGISTERS, SHELL_NAME, VERSION, description_hash, generate_shell
from sbn_hw.verify.runner import SIM_DIR, build_key, run_cocotb
from sbn_hw.verify.streams import frames_to_words


@pytest.mark.parametrize("width,wpf", [(8, 1), (13, 5)])
def test_sbn_axis_tlast(width, wpf, tmp_path):
    params = {"WIDTH": width, "WORDS_PER_FRAME": wpf}
    run_cocotb([RTL_LIBRARY / "sbn_axis_tlast.v"], "sbn_axis_tlast", "test_sbn_axis_tlast", SIM_DIR / "sbn_axis_tlast",
               tmp_path / build_key(params), params, {"SBN_WIDTH": str(width), "SBN_WORDS_PER_FRAME": str(wpf)})


def test_sbn_axil_ctrl(tmp_path):
    params = {"ADDR_WIDTH": 6, "VERSION": VERSION, "DESC_HASH": 0xDEADBEEF, "IN_WIDTH": 128, "IN_BITS": 80,
              "OUT_WIDTH": 16, "OUT_BITS": 10, "IN_WORDS": 4, "OUT_WORDS": 10, "CYCLES": 512}
    run_cocotb([RTL_LIBRARY / "sbn_axil_ctrl.v"], "sbn_axil_ctrl", "test_sbn_axil_ctrl", SIM_DIR / "sbn_axil_ctrl",
               tmp_path / build_key(params), params, {"SBN_PARAMS": json.dumps(params)})


def small_accelerator(seed: int = 0) -> Accelerator:
    """UINT4 inputs, 6 -> 8 (int x binary, thresholds, PE 2, SIMD 3) -> 4 (xnor, integer out, PE 1,
    SIMD 4): a 12-bit input word on a 16-bit stream and a 4-bit output word on an 8-bit one."""
    rng = np.random.default_rng(seed)
    l0 = LayerSpec("L0", 6, 8, 2, 3, "int", 0, 15, rng.integers(0, 2, (8, 6)).astype(np.uint8),
                   rng.integers(-40, 40, 8).astype(np.int64), rng.integers(0, 2, 8).astype(bool))
    l1 = LayerSpec("L1", 8, 4, 1, 4, "xnor", 0, 1, rng.integers(0, 2, (4, 8)).astype(np.uint8))
    return Accelerator((l0, l1), "UINT4", 1.0, np.ones(4), np.zeros(4))


def test_sbn_accel_shell(tmp_path):
    accel = small_accelerator()
    x = np.random.default_rng(1).integers(0, 16, (12, 6))
    y = run_accelerator(accel, x)[-1]
    rtl = generate_shell(accel, tmp_path / "rtl")
    # Expected by hand from the shape above: 2 input words of 3x4 bits, 4 output words of 4 bits.
    registers = {"MAGIC": MAGIC, "VERSION": VERSION, "DESC_HASH": description_hash(accel),
                 "IN_WIDTH": 12 << 16 | 16, "OUT_WIDTH": 4 << 16 | 8, "IN_WORDS": 2, "OUT_WORDS": 4, "CYCLES": 8,
                 "FRAMES_PER_XFER": 1, "CONTROL": 0, "FRAMES_IN": 0, "FRAMES_OUT": 0}
    assert set(registers) <= set(REGISTERS)
    data = {"x_words": frames_to_words(x, 3, 4), "y_words": frames_to_words(y, 1, 4), "in_words": 2, "out_words": 4,
            "out_width": 8, "registers": registers}
    (tmp_path / "bench.json").write_text(json.dumps(data))
    run_cocotb(rtl.sources, SHELL_NAME, "test_sbn_accel_shell", SIM_DIR / "sbn_accel_shell", tmp_path / "build",
               extra_env={"SBN_BENCH_DATA": str(tmp_path / "bench.json")}, run_dir=rtl.directory)
