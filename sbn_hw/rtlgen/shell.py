"""The accelerator shell: the generated accelerator top behind the interfaces a Zynq design (and a
PYNQ driver) expects: AXI-Stream in/out with byte-multiple widths and TLAST on the output (what AXI
DMA's memory channels need), and an AXI4-Lite control/status block (rtl/sbn_axil_ctrl.v).

REGISTERS is the one Python copy of the register map documented in rtl/sbn_axil_ctrl.v; the
cocotb bench reads the RTL through it, so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from sbn_hw import SbnHwError
from sbn_hw.compile.accel import Accelerator
from sbn_hw.rtlgen.generate import RTL_LIBRARY, TOP_NAME, RtlBuild, _write_lines, generate_rtl

SHELL_NAME = "sbn_accel_shell"
SHELL_LIBRARY = ("sbn_axil_ctrl.v", "sbn_axis_tlast.v")
MAGIC = 0x53424E31  # "SBN1"
VERSION = 0x0001_0000  # register-map version: major << 16 | minor
AXIL_ADDR_WIDTH = 6
# Byte offsets of the control/status registers (rtl/sbn_axil_ctrl.v documents each).
REGISTERS = {
    "MAGIC": 0x00, "VERSION": 0x04, "DESC_HASH": 0x08, "IN_WIDTH": 0x0C, "OUT_WIDTH": 0x10,
    "IN_WORDS": 0x14, "OUT_WORDS": 0x18, "CYCLES": 0x1C, "CONTROL": 0x20, "FRAMES_PER_XFER": 0x24,
    "STATUS": 0x28, "FRAMES_IN": 0x2C, "FRAMES_OUT": 0x30, "TRANSFERS_OUT": 0x34, "ACTIVE_CYCLES": 0x38,
}
CONTROL_CLEAR, CONTROL_RESET = 1 << 0, 1 << 1
STATUS_IDLE, STATUS_IN_OPEN, STATUS_OUT_OPEN, STATUS_XFER_OPEN, STATUS_RESET = (1 << i for i in range(5))
MAX_STREAM_WIDTH = 1024  # AXI DMA's widest stream


def stream_width(bits: int) -> int:
    """The AXI-Stream tdata width that carries `bits`: AXI DMA takes 8, 16, 32, ... 1024 bits."""
    width = max(8, 1 << (int(bits) - 1).bit_length())
    if width > MAX_STREAM_WIDTH:
        raise SbnHwError(f"a stream word of {bits} bits is wider than AXI DMA's {MAX_STREAM_WIDTH}-bit streams: "
                         "fold the first/last layer further (smaller SIMD / PE)")
    return width


def description_hash(accel: Accelerator) -> int:
    """32-bit hash of everything that fixes the hardware's function and stream format: input type,
    per layer the shape, folding, mode, input range, weights, thresholds and their directions.
    Memory styles and the host-side output tail do not change the bitfile's behaviour and are
    left out. Pure numpy + hashlib, so a driver on the board can compute it too."""
    h = hashlib.sha256()
    h.update(json.dumps({"input_dtype": accel.input_dtype, "layers": [
        ["threshold", l.elements, l.pe, int(l.in_min), int(l.in_max), int(l.out_bias)] if l.kind == "threshold" else
        [l.mw, l.mh, l.pe, l.simd, l.mode, int(l.in_min), int(l.in_max), l.has_thresholds] for l in accel.layers
    ]}, sort_keys=True).encode())
    for l in accel.layers:
        if l.kind == "threshold":
            h.update(np.ascontiguousarray(l.thresholds, dtype="<i8").tobytes())
            continue
        h.update(np.packbits(np.ascontiguousarray(l.weights, dtype=np.uint8)).tobytes())
        if l.has_thresholds:
            h.update(np.ascontiguousarray(l.thresholds, dtype="<i8").tobytes())
            h.update(np.ascontiguousarray(l.threshold_le, dtype=np.uint8).tobytes())
    return int.from_bytes(h.digest()[:4], "big")


@dataclass(frozen=True)
class ShellSpec:
    in_bits: int  # accelerator input word width
    out_bits: int  # accelerator output word width
    in_width: int  # s_axis tdata width (stream_width(in_bits))
    out_width: int  # m_axis tdata width
    in_words: int  # input words per frame
    out_words: int  # output words per frame
    cycles: int  # analytic cycles per frame
    desc_hash: int


def shell_spec(accel: Accelerator) -> ShellSpec:
    first, last = accel.layers[0], accel.layers[-1]
    in_bits, out_bits = first.simd * first.in_bits, last.pe * last.out_bits
    return ShellSpec(in_bits, out_bits, stream_width(in_bits), stream_width(out_bits), first.in_words, last.out_words,
                     accel.cycles_per_frame, description_hash(accel))


def _axil_ports(aw: int) -> list[str]:
    return [f"    input  wire [{aw - 1}:0] s_axi_awaddr,", "    input  wire s_axi_awvalid,", "    output wire s_axi_awready,",
            "    input  wire [31:0] s_axi_wdata,", "    input  wire [3:0] s_axi_wstrb,", "    input  wire s_axi_wvalid,",
            "    output wire s_axi_wready,", "    output wire [1:0] s_axi_bresp,", "    output wire s_axi_bvalid,",
            "    input  wire s_axi_bready,", f"    input  wire [{aw - 1}:0] s_axi_araddr,", "    input  wire s_axi_arvalid,",
            "    output wire s_axi_arready,", "    output wire [31:0] s_axi_rdata,", "    output wire [1:0] s_axi_rresp,",
            "    output wire s_axi_rvalid,", "    input  wire s_axi_rready,"]


AXIL_SIGNALS = ("awaddr", "awvalid", "awready", "wdata", "wstrb", "wvalid", "wready", "bresp", "bvalid", "bready",
                "araddr", "arvalid", "arready", "rdata", "rresp", "rvalid", "rready")


def shell_verilog(spec: ShellSpec, accel_top: str = TOP_NAME, name: str = SHELL_NAME) -> str:
    """The shell top: s_axis -> input frame counter -> accelerator -> TLAST generator -> m_axis,
    with the AXI-Lite block beside them. Clock aclk, reset aresetn (active low, synchronous, as
    a proc_sys_reset gives it); CONTROL bit1 holds the datapath in reset on top of that."""
    s = spec
    pad = s.out_width - s.out_bits
    axil = ",\n".join(f"        .s_axi_{p}(s_axi_{p})" for p in AXIL_SIGNALS)
    lines = [
        f"// Generated by sbn-hw: {accel_top} behind AXI-Stream (TLAST on the output) and AXI4-Lite control.",
        f"// Description hash 0x{s.desc_hash:08x}; {s.in_words} input words of {s.in_bits} bits (on {s.in_width}) and "
        f"{s.out_words} output words of {s.out_bits} bits (on {s.out_width}) per frame. Do not edit.",
        f"module {name} (",
        "    input  wire aclk,",
        "    input  wire aresetn,",
        *_axil_ports(AXIL_ADDR_WIDTH),
        f"    input  wire [{s.in_width - 1}:0] s_axis_tdata,",
        "    input  wire s_axis_tvalid,",
        "    output wire s_axis_tready,",
        f"    output wire [{s.out_width - 1}:0] m_axis_tdata,",
        f"    output wire [{s.out_width // 8 - 1}:0] m_axis_tkeep,",
        "    output wire m_axis_tlast,",
        "    output wire m_axis_tvalid,",
        "    input  wire m_axis_tready",
        ");",
        "    wire datapath_reset;",
        "    // One register between the reset sources and the datapath's (wide) reset fan-out.",
        "    reg rst_dp = 1'b1;",
        "    always @(posedge aclk) rst_dp <= !aresetn || datapath_reset;",
        "",
        "    wire [31:0] frames_per_transfer;",
        "    wire in_frame_done, in_frame_open, out_frame_done, out_transfer_done, out_frame_open, out_transfer_open;",
        f"    wire [{s.in_bits - 1}:0] acc_in_tdata;",
        "    wire acc_in_tvalid, acc_in_tready, in_ready;",
        f"    wire [{s.out_bits - 1}:0] acc_out_tdata, out_tdata;",
        "    wire acc_out_tvalid, acc_out_tready, out_valid;",
        "",
        "    // No word moves while the datapath is in reset.",
        "    assign s_axis_tready = in_ready && !rst_dp;",
        "    sbn_axis_tlast #(",
        f"        .WIDTH({s.in_bits}), .WORDS_PER_FRAME({s.in_words})",
        "    ) u_in_frames (",
        "        .clk(aclk), .rst(rst_dp),",
        f"        .s_axis_tdata(s_axis_tdata[{s.in_bits - 1}:0]), .s_axis_tvalid(s_axis_tvalid && !rst_dp), "
        ".s_axis_tready(in_ready),",
        "        .m_axis_tdata(acc_in_tdata), .m_axis_tvalid(acc_in_tvalid), .m_axis_tready(acc_in_tready), .m_axis_tlast(),",
        "        .frames_per_transfer(32'd1), .frame_done(in_frame_done), .transfer_done(), .frame_open(in_frame_open),",
        "        .transfer_open()",
        "    );",
        "",
        f"    {accel_top} u_accel (",
        "        .clk(aclk), .rst(rst_dp),",
        "        .s_axis_tdata(acc_in_tdata), .s_axis_tvalid(acc_in_tvalid), .s_axis_tready(acc_in_tready),",
        "        .m_axis_tdata(acc_out_tdata), .m_axis_tvalid(acc_out_tvalid), .m_axis_tready(acc_out_tready)",
        "    );",
        "",
        "    sbn_axis_tlast #(",
        f"        .WIDTH({s.out_bits}), .WORDS_PER_FRAME({s.out_words})",
        "    ) u_out_frames (",
        "        .clk(aclk), .rst(rst_dp),",
        "        .s_axis_tdata(acc_out_tdata), .s_axis_tvalid(acc_out_tvalid && !rst_dp), .s_axis_tready(acc_out_tready),",
        "        .m_axis_tdata(out_tdata), .m_axis_tvalid(out_valid), .m_axis_tready(m_axis_tready), "
        ".m_axis_tlast(m_axis_tlast),",
        "        .frames_per_transfer(frames_per_transfer), .frame_done(out_frame_done), .transfer_done(out_transfer_done),",
        "        .frame_open(out_frame_open), .transfer_open(out_transfer_open)",
        "    );",
        "    assign m_axis_tvalid = out_valid;",
        # Upper bits of a padded word are zero; the driver unpacks only the low out_bits.
        f"    assign m_axis_tdata = {{{{{pad}{{1'b0}}}}, out_tdata}};" if pad else "    assign m_axis_tdata = out_tdata;",
        f"    assign m_axis_tkeep = {{{s.out_width // 8}{{1'b1}}}};",
        "",
        "    sbn_axil_ctrl #(",
        f"        .ADDR_WIDTH({AXIL_ADDR_WIDTH}), .VERSION(32'h{VERSION:08x}), .DESC_HASH(32'h{s.desc_hash:08x}),",
        f"        .IN_WIDTH({s.in_width}), .IN_BITS({s.in_bits}), .OUT_WIDTH({s.out_width}), .OUT_BITS({s.out_bits}),",
        f"        .IN_WORDS({s.in_words}), .OUT_WORDS({s.out_words}), .CYCLES({s.cycles})",
        "    ) u_ctrl (",
        "        .clk(aclk), .rst(!aresetn),",
        f"{axil},",
        "        .in_frame_done(in_frame_done), .out_frame_done(out_frame_done), .out_transfer_done(out_transfer_done),",
        "        .in_frame_open(in_frame_open), .out_frame_open(out_frame_open), .out_transfer_open(out_transfer_open),",
        "        .frames_per_transfer(frames_per_transfer), .datapath_reset(datapath_reset)",
        "    );",
        "endmodule",
    ]
    return "\n".join(lines) + "\n"


_PORT = re.compile(r"\b(input|output|inout)\s+(?:wire\s+|reg\s+)?(?:signed\s+)?(?:\[\s*(\d+)\s*:\s*(\d+)\s*\]\s*)?(\w+)")


def verilog_ports(text: str, module: str) -> dict[str, tuple[str, int]]:
    """Ports of `module` in ANSI-style Verilog: {name: (direction, width)}, in declaration order.
    Widths must be literal [msb:lsb] ranges (as the generators write them)."""
    m = re.search(rf"\bmodule\s+{re.escape(module)}\s*(?:#\s*\(.*?\)\s*)?\((.*?)\);", text, re.S)
    if not m:
        raise SbnHwError(f"module {module} not found")
    header = re.sub(r"//[^\n]*", "", m.group(1))
    return {name: (d, abs(int(msb) - int(lsb)) + 1 if msb else 1) for d, msb, lsb, name in _PORT.findall(header)}


BACKENDS = ("rtl", "hls")  # what sits inside the shell: the generated RTL, or the Vitis HLS kernel


def generate_shell(accel: Accelerator, out_dir: Path, backend: str = "rtl") -> RtlBuild:
    """The accelerator plus the shell library and the shell top in out_dir; shell.json records the
    widths, words per frame, hash and register map for drivers. backend "rtl": the generated RTL
    (generate_rtl); "hls": an adapter with the RTL top's ports around the Vitis HLS kernel, whose
    Verilog Vitis HLS writes later (rtlgen.hls_adapter)."""
    if backend not in BACKENDS:
        raise SbnHwError(f"unknown backend '{backend}': choose one of {', '.join(BACKENDS)}")
    spec = shell_spec(accel)
    if backend == "rtl":
        rtl = generate_rtl(accel, out_dir)
    else:
        from sbn_hw.rtlgen.hls_adapter import hls_adapter_verilog

        directory = Path(out_dir).resolve()
        directory.mkdir(parents=True, exist_ok=True)
        adapter = directory / f"{TOP_NAME}.v"
        _write_lines(adapter, hls_adapter_verilog(spec).splitlines())
        rtl = RtlBuild(directory, TOP_NAME, [adapter])
    sources = list(rtl.sources)
    for f in SHELL_LIBRARY:
        shutil.copyfile(RTL_LIBRARY / f, rtl.directory / f)
        sources.insert(0, rtl.directory / f)
    top = rtl.directory / f"{SHELL_NAME}.v"
    _write_lines(top, shell_verilog(spec, rtl.top).splitlines())
    sources.append(top)
    info = {"top": SHELL_NAME, "accelerator_top": rtl.top, "backend": backend, "magic": MAGIC, "version": VERSION,
            **asdict(spec), "registers": REGISTERS}
    _write_lines(rtl.directory / "shell.json", json.dumps(info, indent=2).splitlines())
    return RtlBuild(rtl.directory, SHELL_NAME, sources)
