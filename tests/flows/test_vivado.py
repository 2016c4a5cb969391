"""The Vivado flow for the PYNQ boards, tested without Vivado: the generated scripts run in plain
tclsh against stand-ins for Vivado's commands (tests/flows/vivado_stubs.tcl) that record every
call, so a Tcl error, a wrong part/board_part/PS/port, or a port list that differs from the
generated Verilog fails here. The report parsers read realistic excerpts of Vivado reports."""

import json
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from sbn_hw import SbnHwError
from sbn_hw.boards import load_board
from sbn_hw.flows.vivado import (dma_memory_width, parse_hierarchical_utilization, parse_timing_summary,
                                 parse_utilization, tcl_word, vivado_command, write_vivado_project)
from sbn_hw.pipeline.bitstream_stage import run_bitstream_vivado
from sbn_hw.rtlgen.generate import TOP_NAME
from sbn_hw.rtlgen.shell import SHELL_NAME, shell_spec, shell_verilog, verilog_ports
from tests.helpers import compiled_only_build
from tests.rtl.test_shell import small_accelerator

HERE = Path(__file__).parent
STUBS = HERE / "vivado_stubs.tcl"
FIXTURES = HERE / "fixtures" / "vivado"
PYNQ = {"pynq-z1": ("xc7z020clg400-1", "www.digilentinc.com:pynq-z1:part0:1.0", "processing_system7", "S_AXI_HP0", "M_AXI_GP0"),
        "pynq-z2": ("xc7z020clg400-1", "tul.com.tw:pynq-z2:part0:1.0", "processing_system7", "S_AXI_HP0", "M_AXI_GP0"),
        "ultra96-v2": ("xczu3eg-sbva484-1-i", "avnet.com:ultra96v2:part0:1.2", "zynq_ultra_ps_e", "S_AXI_HP0_FPD", "M_AXI_HPM0_FPD"),
        "zcu104": ("xczu7ev-ffvc1156-2-e", "xilinx.com:zcu104:part0:1.1", "zynq_ultra_ps_e", "S_AXI_HP0_FPD", "M_AXI_HPM0_FPD"),
        "kv260": ("xck26-sfvc784-2LV-c", "xilinx.com:kv260_som:part0:1.3", "zynq_ultra_ps_e", "S_AXI_HP0_FPD", "M_AXI_HPM0_FPD")}
needs_tclsh = pytest.mark.skipif(shutil.which("tclsh") is None, reason="tclsh not installed")


def run_in_tclsh(vivado_dir: Path, ip_ports: list[str], tmp: Path, env: dict | None = None) -> list[list[str]]:
    """Source build.tcl with the stubs; returns the recorded calls [[command, arg, ...], ...]."""
    log = tmp / "calls.log"
    log.unlink(missing_ok=True)
    wrapper = tmp / "run.tcl"
    wrapper.write_text(f"set stub_log {{{log}}}\nset stub_ip_ports {{{' '.join(ip_ports)}}}\n"
                       f"source {{{STUBS}}}\nsource {{{vivado_dir / 'build.tcl'}}}\n")
    proc = subprocess.run(["tclsh", str(wrapper)], capture_output=True, text=True, cwd=tmp, env=env)
    if proc.returncode != 0:
        raise AssertionError(f"tclsh failed:\n{proc.stdout}\n{proc.stderr}")
    return [line.split("\t") for line in log.read_text().splitlines()]


def calls_of(calls, cmd):
    return [c[1:] for c in calls if c[0] == cmd]


def config_of(calls, cell: str) -> dict[str, str]:
    """Every CONFIG.x value set with set_property -dict on [get_bd_cells cell]."""
    cfg = {}
    for args in calls_of(calls, "set_property"):
        if args[0] == "-dict" and args[-1] == cell:
            items = args[1].split()
            cfg.update(zip(items[::2], items[1::2]))
    return cfg


@pytest.fixture(scope="module")
def accel():
    return small_accelerator()


@needs_tclsh
@pytest.mark.parametrize("board_name", sorted(PYNQ))
def test_scripts_run_in_tclsh_and_name_the_board(board_name, accel, tmp_path):
    part, board_part, ps_ip, hp, gp = PYNQ[board_name]
    board = load_board(board_name)
    written = write_vivado_project(tmp_path, board, "sbn_accel", accel)
    vdir = Path(written["vivado_dir"])
    ports = list(verilog_ports((vdir / "ip_src" / f"{SHELL_NAME}.v").read_text(), SHELL_NAME))
    calls = run_in_tclsh(vdir, ports, tmp_path)

    projects = calls_of(calls, "create_project")
    assert [p[-1] for p in projects] == [part, part]  # the IP project and the board project
    assert ["board_part", board_part, "stub_project"] in calls_of(calls, "set_property")
    assert [board_part] == [a[-1] for a in calls_of(calls, "get_board_parts")]
    ps_cells = [a for a in calls_of(calls, "create_bd_cell") if a[-1] == "ps"]
    assert ps_cells and ps_cells[0][3] == f"xilinx.com:ip:{ps_ip}:9.9"
    rule = calls_of(calls, "apply_bd_automation")[0]
    assert rule[1] == f"xilinx.com:bd_rule:{ps_ip}" and 'apply_board_preset "1"' in rule[3]
    # The HP port carries the DMA's data, the general port the control; both are switched on.
    intf = calls_of(calls, "connect_bd_intf_net")
    assert ["axi_smc/M00_AXI", f"ps/{hp}"] in intf
    assert [f"ps/{gp}", "axi_ctrl/S00_AXI"] in intf
    assert ["axi_dma/M_AXIS_MM2S", "sbn_accel/s_axis"] in intf and ["sbn_accel/m_axis", "axi_dma/S_AXIS_S2MM"] in intf
    ps_cfg = config_of(calls, "ps")
    enabled = {k for k, v in ps_cfg.items() if k.startswith(("CONFIG.PCW_USE_", "CONFIG.PSU__USE__")) and v == "1"}
    assert len(enabled) == 2, enabled
    clock_key = "CONFIG.PCW_FPGA0_PERIPHERAL_FREQMHZ" if ps_ip == "processing_system7" else "CONFIG.PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ"
    assert float(ps_cfg[clock_key]) == board.clock_mhz
    # DMA: simple mode, stream widths of the shell.
    dma = config_of(calls, "axi_dma")
    s_w, m_w = written["ip_ports"]["s_axis_tdata"][1], written["ip_ports"]["m_axis_tdata"][1]
    assert (dma["CONFIG.c_include_sg"], dma["CONFIG.c_m_axis_mm2s_tdata_width"], dma["CONFIG.c_s_axis_s2mm_tdata_width"]) == ("0", str(s_w), str(m_w))
    assert int(dma["CONFIG.c_m_axi_mm2s_data_width"]) >= max(s_w, board.data_port_width)
    for step in ("assign_bd_address", "validate_bd_design", "make_wrapper", "report_utilization", "report_timing_summary"):
        assert calls_of(calls, step), f"{step} never called"
    assert ["impl_1", "-to_step", "write_bitstream", "-jobs", "4"] in calls_of(calls, "launch_runs")
    # PYNQ's Overlay wants <name>.bit and <name>.hwh side by side.
    assert (tmp_path / "bitstream" / "sbn_accel.bit").read_text() == "stub-bitstream\n"
    assert (tmp_path / "bitstream" / "sbn_accel.hwh").read_text() == "stub-hwh\n"


@needs_tclsh
def test_ip_packaging_refuses_ports_that_differ_from_the_shell(accel, tmp_path):
    written = write_vivado_project(tmp_path, load_board("pynq-z2"), "sbn_accel", accel)
    ports = list(written["ip_ports"])[:-1]  # a packaged IP that lost a port
    with pytest.raises(AssertionError, match="packaged IP ports"):
        run_in_tclsh(Path(written["vivado_dir"]), ports, tmp_path)


def test_packaged_ports_match_the_generated_tops(accel, tmp_path):
    """settings.tcl's port list is the shell's; the shell carries every stream port of the
    accelerator top (same directions, widths padded to AXI DMA's), and connects all of them."""
    written = write_vivado_project(tmp_path, load_board("zcu104"), "sbn_accel", accel)
    src = Path(written["vivado_dir"]) / "ip_src"
    shell = verilog_ports((src / f"{SHELL_NAME}.v").read_text(), SHELL_NAME)
    top = verilog_ports((src / f"{TOP_NAME}.v").read_text(), TOP_NAME)
    settings = (Path(written["vivado_dir"]) / "settings.tcl").read_text()
    for name, (direction, width) in shell.items():
        assert f"{name} {{{direction} {width}}}" in settings
    for name, (direction, width) in top.items():
        if name in ("clk", "rst"):
            continue
        assert shell[name][0] == direction
        if name.endswith("tdata"):  # AXI DMA's widths: 8, 16, 32, ... bits
            w = shell[name][1]
            assert w >= width and w % 8 == 0 and w & (w - 1) == 0
        else:
            assert shell[name][1] == width
    assert {"aclk", "aresetn", "m_axis_tlast", "s_axi_awaddr", "s_axi_rdata"} <= set(shell)
    inst = (src / f"{SHELL_NAME}.v").read_text().split(f"{TOP_NAME} u_accel (")[1].split(");")[0]
    for name in top:
        assert f".{name}(" in inst, f"accelerator port {name} not connected in the shell"
    # .mem images travel with the IP sources.
    assert sorted(p.name for p in src.glob("*.mem")) == sorted(
        f"layer{i}_{k}.mem" for i in range(len(accel.layers)) for k in ("weights", "thresh"))


def test_settings_are_board_specific(accel, tmp_path):
    a = write_vivado_project(tmp_path / "a", load_board("pynq-z2"), "net", accel)["settings"]
    b = write_vivado_project(tmp_path / "b", load_board("kv260"), "net", accel, clock_mhz=187.5)["settings"]
    assert (a["ps_script"], b["ps_script"]) == ("ps_zynq7000.tcl", "ps_zynqmp.tcl")
    assert (a["clock_mhz"], b["clock_mhz"]) == (100, 187.5)
    assert a["ip_vlnv"] == "sbn-hw:user:net:1.0" and a["project"] == "net_pynq-z2"


def test_small_helpers():
    assert dma_memory_width(8, 64) == 64 and dma_memory_width(256, 128) == 256 and dma_memory_width(8, 32) == 32
    assert tcl_word("xc7z020clg400-1") == "xc7z020clg400-1" and tcl_word("a b") == "{a b}"
    with pytest.raises(SbnHwError):
        tcl_word("a}b")
    assert vivado_command(Path("/x/y")) == "cd /x/y && vivado -mode batch -source build.tcl -log vivado.log -journal vivado.jou"


def test_ecp5_board_is_refused_by_the_vivado_flow(accel, tmp_path):
    with pytest.raises(SbnHwError, match="open flow"):
        write_vivado_project(tmp_path, load_board("ulx3s-85f"), "x", accel)


# --------------------------------------------------------------------------------- parsers

def test_parse_utilization_7series():
    u = parse_utilization((FIXTURES / "utilization_7series.rpt").read_text())
    assert u == {"lut": 4127, "ff": 5012, "bram36": 4.5, "dsp": 0}


def test_parse_utilization_ultrascale_without_prohibited_column():
    u = parse_utilization((FIXTURES / "utilization_zynqmp.rpt").read_text())
    assert u == {"lut": 6433, "ff": 8120, "bram36": 7.0, "dsp": 2, "uram": 1}


def test_parse_utilization_rejects_other_text():
    with pytest.raises(SbnHwError, match="lacks lut"):
        parse_utilization((FIXTURES / "timing_summary_met.rpt").read_text())


def test_parse_hierarchical_utilization_finds_the_accelerator():
    text = (FIXTURES / "utilization_hierarchical.rpt").read_text()
    assert parse_hierarchical_utilization(text, "sbn_accel") == {"lut": 1128, "ff": 612, "bram36": 2.5, "dsp": 0}
    assert parse_hierarchical_utilization(text, "axi_dma")["lut"] == 1690
    assert parse_hierarchical_utilization(text, "missing") is None


def test_parse_timing_met():
    t = parse_timing_summary((FIXTURES / "timing_summary_met.rpt").read_text(), "clk_fpga_0")
    assert (t["wns_ns"], t["tns_ns"], t["whs_ns"], t["period_ns"], t["met"]) == (1.843, 0.0, 0.021, 10.0, True)
    assert t["achieved_mhz"] == round(1000 / (10.0 - 1.843), 3) and t["target_mhz"] == 100.0


def test_parse_timing_failing():
    t = parse_timing_summary((FIXTURES / "timing_summary_failing.rpt").read_text())
    assert t["clock"] == "clk_pl_0" and t["wns_ns"] == -1.25 and not t["met"]
    assert t["achieved_mhz"] == round(1000 / (6.666 + 1.25), 3)
    with pytest.raises(SbnHwError, match="clk_fpga_0"):
        parse_timing_summary((FIXTURES / "timing_summary_failing.rpt").read_text(), "clk_fpga_0")


# ------------------------------------------------------------------------------ the stage

def compiled_build(tmp_path: Path, accel) -> Path:
    return compiled_only_build(tmp_path / "build", accel)


def test_stage_without_vivado_writes_scripts_and_says_not_run(accel, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    out = compiled_build(tmp_path, accel)
    (out / "bitstream").mkdir()
    (out / "bitstream" / "sbn_accel.bit").write_text("old")  # an earlier run's result must go
    lines = []
    rec = run_bitstream_vivado(out, "ultra96-v2", log=lines.append)
    assert rec["vivado"] == "not run" and rec["part"] == "xczu3eg-sbva484-1-i"
    assert rec["command"].endswith("vivado -mode batch -source build.tcl -log vivado.log -journal vivado.jou")
    assert rec["command"] in lines[0]
    assert json.loads((out / "bitstream" / "stage.json").read_text()) == rec
    assert not (out / "bitstream" / "sbn_accel.bit").exists()
    assert (out / "bitstream" / "vivado" / "build.tcl").is_file()


def test_stage_needs_a_compiled_build_and_a_vivado_board(accel, tmp_path):
    with pytest.raises(SbnHwError, match="compile"):
        run_bitstream_vivado(tmp_path / "nothing", "pynq-z2")
    out = compiled_build(tmp_path, accel)
    with pytest.raises(SbnHwError, match="not Vivado"):
        run_bitstream_vivado(out, "ulx3s-85f")
    with pytest.raises(SbnHwError, match="unknown board"):
        run_bitstream_vivado(out, "pynq-z3")


@needs_tclsh
def test_stage_with_vivado_parses_its_reports(accel, tmp_path):
    """A stand-in `vivado` runs the real scripts in tclsh (stubs) and leaves reports as Vivado
    would; the stage must find the .bit/.hwh and parse utilisation and timing."""
    out = compiled_build(tmp_path, accel)
    fake = tmp_path / "vivado"
    ports = " ".join(verilog_ports(shell_verilog(shell_spec(accel)), SHELL_NAME))
    fake.write_text(f"""#!/bin/sh
printf 'set stub_log calls.log\\nset stub_ip_ports {{{ports}}}\\nsource {{{STUBS}}}\\nsource build.tcl\\n' > run.tcl
tclsh run.tcl || exit 1
cp {FIXTURES}/utilization_7series.rpt ../reports/utilization.rpt
cp {FIXTURES}/utilization_hierarchical.rpt ../reports/utilization_hierarchical.rpt
cp {FIXTURES}/timing_summary_met.rpt ../reports/timing_summary.rpt
""")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    (out / "bitstream" / "reports").mkdir(parents=True)
    rec = run_bitstream_vivado(out, "pynq-z2", vivado=str(fake), log=lambda s: None)
    assert rec["vivado"] == "run"
    assert rec["utilization"]["lut"] == 4127 and rec["accelerator_utilization"]["lut"] == 1128
    assert rec["timing"]["clock"] == "clk_fpga_0" and rec["timing"]["met"]
    assert Path(rec["bitfile"]).read_text() == "stub-bitstream\n" and Path(rec["hwh"]).name == "sbn_accel.hwh"


# ------------------------------------------------------------------------ --backend hls

def fake_vitis_hls(bin_dir: Path, kernel_verilog: str) -> dict:
    """A stand-in `vitis_hls -f <script>` that, like Vitis HLS, writes the kernel's Verilog and a
    ROM image into <script dir>/<project>/solution1/syn/verilog/. Returns an env with it on PATH."""
    import os

    from sbn_hw.hlsgen.generate import KERNEL_NAME, KERNEL_PROJECT

    bin_dir.mkdir(parents=True, exist_ok=True)
    (bin_dir / "kernel.v").write_text(kernel_verilog)
    exe = bin_dir / "vitis_hls"
    exe.write_text(f"""#!/bin/sh
[ "$1" = "-f" ] || exit 2
d="$(dirname "$2")/{KERNEL_PROJECT}/solution1/syn/verilog"
mkdir -p "$d"
cp {bin_dir}/kernel.v "$d/{KERNEL_NAME}.v"
echo 0123 > "$d/{KERNEL_NAME}_weights_ROM_AUTO_1R.dat"
echo "fake Vitis HLS ran $2"
""")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    return {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}


def hls_project(tmp_path, accel, board="pynq-z2"):
    written = write_vivado_project(tmp_path, load_board(board), "sbn_accel", accel, backend="hls")
    return written, Path(written["vivado_dir"])


@needs_tclsh
@pytest.mark.parametrize("board", ["pynq-z2", "kv260"])
def test_hls_backend_synthesises_the_kernel_into_the_same_shell(board, accel, tmp_path):
    """build.tcl runs Vitis HLS on the generated kernel first, checks its ports, and packages its
    Verilog and ROM images with the shell (same ports as the RTL backend's, so the same driver)."""
    from sbn_hw.hlsgen.generate import KERNEL_NAME, KERNEL_TCL
    from sbn_hw.rtlgen.hls_adapter import kernel_port_stub

    written, vdir = hls_project(tmp_path, accel, board)
    rtl_ports = write_vivado_project(tmp_path / "rtl", load_board(board), "sbn_accel", accel)["ip_ports"]
    assert written["ip_ports"] == rtl_ports
    assert (vdir / "hls_src" / KERNEL_TCL).is_file() and "hls_synth.tcl" in written["scripts"]
    kernel_tcl = (vdir / "hls_src" / KERNEL_TCL).read_text()
    b = load_board(board)
    assert f"set_top {KERNEL_NAME}" in kernel_tcl and f"{{{b.part}}}" in kernel_tcl  # the board's part
    assert f"create_clock -period {round(1000 / b.clock_mhz, 3):g} " in kernel_tcl  # the board's PL clock
    env = fake_vitis_hls(tmp_path / "bin", kernel_port_stub(shell_spec(accel)))
    calls = run_in_tclsh(vdir, list(written["ip_ports"]), tmp_path, env)
    assert (vdir / "ip_src" / f"{KERNEL_NAME}.v").is_file()
    added = " ".join(" ".join(a) for a in calls_of(calls, "add_files"))
    assert f"{KERNEL_NAME}.v" in added and f"{KERNEL_NAME}_weights_ROM_AUTO_1R.dat" in added
    assert not list((vdir / "ip_src").glob("layer*_weights.mem"))  # no RTL accelerator in this IP
    assert (tmp_path / "bitstream" / "sbn_accel.bit").is_file()


@needs_tclsh
def test_hls_backend_refuses_a_kernel_whose_ports_differ(accel, tmp_path):
    from sbn_hw.rtlgen.hls_adapter import kernel_port_stub

    written, vdir = hls_project(tmp_path, accel)
    wrong = kernel_port_stub(shell_spec(accel)).replace("ap_rst_n", "ap_rst")  # an active-high reset
    env = fake_vitis_hls(tmp_path / "bin", wrong)
    with pytest.raises(AssertionError, match="has no port 'input .1 bits. ap_rst_n'"):
        run_in_tclsh(vdir, list(written["ip_ports"]), tmp_path, env)


@needs_tclsh
def test_hls_backend_without_vitis_names_the_fix(accel, tmp_path):
    import os

    written, vdir = hls_project(tmp_path, accel)
    env = {**os.environ, "PATH": "/usr/bin:/bin"}
    with pytest.raises(AssertionError, match="needs Vitis HLS: put vitis_hls"):
        run_in_tclsh(vdir, list(written["ip_ports"]), tmp_path, env)


def test_hls_adapter_connects_the_kernel_the_shell_expects(accel, tmp_path):
    """The shell with the adapter and a module that has exactly the kernel's expected ports
    elaborates in Verilator (a missing/misnamed port is an error); the adapter alone is lint-clean."""
    import os

    from sbn_hw.rtlgen.hls_adapter import hls_kernel_ports, kernel_port_stub
    from sbn_hw.rtlgen.shell import generate_shell
    from sbn_hw.verify.tools import verilator_env

    spec = shell_spec(accel)
    assert hls_kernel_ports(spec)["s_axis_TDATA"] == ("input", 16) and spec.in_bits == 12  # padded to bytes
    build = generate_shell(accel, tmp_path / "src", "hls")
    stub = tmp_path / "kernel_stub.v"
    env = {**os.environ, **verilator_env()}

    def lint(top, files, *flags):
        return subprocess.run(["verilator", "--lint-only", *flags, "--top-module", top, *map(str, files)],
                              capture_output=True, text=True, env=env, cwd=tmp_path)

    stub.write_text(kernel_port_stub(spec))
    adapter = build.directory / f"{TOP_NAME}.v"
    r = lint(TOP_NAME, [adapter, stub], "-Wall", "-Wno-DECLFILENAME", "-Wno-UNUSEDSIGNAL")
    assert r.returncode == 0, r.stderr
    r = lint(SHELL_NAME, [*build.sources, stub], "-Wno-fatal")
    assert r.returncode == 0, r.stderr
    stub.write_text(kernel_port_stub(spec).replace("m_axis_TVALID", "m_axis_TVALID_0"))
    r = lint(SHELL_NAME, [*build.sources, stub], "-Wno-fatal")
    assert r.returncode != 0 and "m_axis_TVALID" in r.stderr


def test_hls_stage_needs_vitis_when_vivado_runs(accel, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.delenv("SBN_VITIS_HLS", raising=False)
    out = compiled_build(tmp_path, accel)
    with pytest.raises(SbnHwError, match="neither vitis_hls nor vitis-run"):
        run_bitstream_vivado(out, "pynq-z2", vivado="/opt/vivado/bin/vivado", backend="hls")
    assert not (out / "bitstream").exists()  # refused before anything was written
    rec = run_bitstream_vivado(out, "pynq-z2", backend="hls", log=lambda s: None)  # no Vivado: scripts only
    assert rec["backend"] == "hls" and rec["vivado"] == "not run"
    assert (out / "bitstream" / "vivado" / "hls_synth.tcl").is_file()
    with pytest.raises(SbnHwError, match="unknown backend"):
        run_bitstream_vivado(out, "pynq-z2", backend="chisel")
