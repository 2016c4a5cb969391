"""Generate the HLS C++ accelerator (dataflow top, per-layer weight headers, C-simulation
testbench, Vitis HLS Tcl) from the accelerator description. The kernels themselves are the
hand-written headers in hls/; this module only writes what depends on the description."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sbn_hw import SbnHwError
from sbn_hw.compile.accel import Accelerator, Layer, LayerSpec, ThresholdSpec
from sbn_hw.paths import resource_dir
from sbn_hw.rtlgen.generate import fifo_depth, fifo_words, threshold_words, weight_words

LIBRARY_FILES = ("sbn_common.h", "sbn_dot.h", "sbn_mvau.h", "sbn_dwc.h", "sbn_tb_io.h", "sbn_thresh.h")
TOP_NAME = "sbn_accel_top"  # the same name as the RTL top, so a flow can swap one for the other
TOP_HEADER, TOP_SOURCE, TESTBENCH, TCL = f"{TOP_NAME}.h", f"{TOP_NAME}.cpp", "sbn_accel_tb.cpp", "run_vitis_hls.tcl"
# The free-running form of the same dataflow (ap_ctrl_none, one frame per start, restarted by
# itself): what sits in the Vivado shell in place of the RTL top (sbn-hw bitstream --backend hls).
KERNEL_NAME, KERNEL_TCL = "sbn_accel_kernel", "run_vitis_hls_kernel.tcl"
KERNEL_PROJECT = "sbn_accel_kernel_hls"
DEFAULT_PART = "xc7z020clg400-1"  # Pynq-Z1/Z2
HLS_MODES = {"int": "SBN_MODE_INT", "xnor": "SBN_MODE_XNOR", "and_act": "SBN_MODE_AND_ACT", "and_w": "SBN_MODE_AND_W"}
# ap_[u]int is limited to 1024 bits unless AP_INT_MAX_W is raised; Vitis HLS accepts up to 4096.
AP_DEFAULT_MAX_W, AP_LIMIT_W = 1024, 4096
# How each memory style of the description (FINN's ram_style) is asked of Vitis HLS; "auto" asks nothing.
STORAGE_PRAGMAS = {
    "block": "#pragma HLS BIND_STORAGE variable={v} type=rom_1p impl=bram",
    "distributed": "#pragma HLS BIND_STORAGE variable={v} type=rom_1p impl=lutram",
    "logic": "#pragma HLS ARRAY_PARTITION variable={v} complete dim=1",
    "auto": "",
}


@dataclass
class HlsBuild:
    directory: Path
    top: str
    sources: list[Path]  # synthesised C++ (the top and the per-layer headers it includes)
    testbench: Path
    tcl: Path  # Vitis HLS: the top (s_axilite control) exported as an IP
    kernel_tcl: Path  # Vitis HLS: the free-running kernel synthesised to Verilog for the Vivado shell


def widths(accel: Accelerator) -> list[int]:
    """Every ap_uint width the generated code uses: streams, weight words, threshold words."""
    out = []
    for i, l in enumerate(accel.layers):
        if l.kind == "threshold":
            out += [l.pe * l.in_bits, l.pe * l.out_bits]
        else:
            out += [l.simd * l.in_bits, l.pe * l.out_bits, l.pe * l.simd, l.pe * (l.th_bits + 1)]
        if i + 1 < len(accel.layers):
            out.append(accel.layers[i + 1].simd * l.out_bits)
    return out


def ap_max_width(accel: Accelerator) -> int | None:
    """The AP_INT_MAX_W the code needs (None: the default), or a clear error beyond Vitis' limit."""
    w = max(widths(accel))
    if w > AP_LIMIT_W:
        raise SbnHwError(f"the HLS backend needs {w}-bit words, above Vitis HLS's {AP_LIMIT_W}-bit ap_uint limit: "
                         "lower PE or SIMD of the widest layer (--folding / --target-cycles)")
    return None if w <= AP_DEFAULT_MAX_W else -(-w // 1024) * 1024


def ap_uint_literal(width: int, hex_digits: str) -> str:
    """An ap_uint constant from hex: the string form works for any width (a C++ literal stops at 64 bits)."""
    return f'ap_uint<{width}>("0x{hex_digits}", 16)'


def layer_constants(i: int, l: Layer) -> list[str]:
    """The layer's shape as compile-time constants and its stream types, for the top and the
    testbench. Every kind has MW / MH (elements per frame in / out), SIMD / PE (per beat)."""
    if l.kind == "threshold":
        consts = dict(MW=l.elements, MH=l.elements, PE=l.pe, SIMD=l.pe, IN_BITS=l.in_bits, CH_WORDS=l.ch_words,
                      NT=l.n_thresholds, TH_BITS=l.th_bits, OUT_BITS=l.out_bits)
        lines = [f"// layer {i} ({l.name}): {l.summary()}"]
        lines += [f"static const unsigned L{i}_{k} = {v};" for k, v in consts.items()]
        lines += [f"static const int L{i}_OUT_BIAS = {int(l.out_bias)};",
                  f"static const bool L{i}_IN_SIGNED = {str(l.in_signed).lower()};",
                  f"static const bool L{i}_OUT_SIGNED = {str(l.out_signed).lower()};",
                  f"typedef ap_uint<L{i}_SIMD * L{i}_IN_BITS> l{i}_in_t;",
                  f"typedef ap_uint<L{i}_PE * L{i}_OUT_BITS> l{i}_out_t;"]
        return lines
    consts = dict(MW=l.mw, MH=l.mh, PE=l.pe, SIMD=l.simd, IN_BITS=l.in_bits, ACC_BITS=l.acc_bits,
                  TH_BITS=l.th_bits, OUT_BITS=l.out_bits)
    lines = [f"// layer {i} ({l.name}): {l.mw} x {l.mh}, mode {l.mode}, PE={l.pe}, SIMD={l.simd}, "
             f"{l.cycles} cycles per frame, {'threshold' if l.has_thresholds else 'integer'} output"]
    lines += [f"static const unsigned L{i}_{k} = {v};" for k, v in consts.items()]
    lines += [f"static const bool L{i}_IN_SIGNED = {str(l.in_signed).lower()};",
              f"static const bool L{i}_OUT_SIGNED = {str(l.out_signed).lower()};",
              f"typedef ap_uint<L{i}_SIMD * L{i}_IN_BITS> l{i}_in_t;",
              f"typedef ap_uint<L{i}_PE * L{i}_OUT_BITS> l{i}_out_t;"]
    return lines


def top_header(accel: Accelerator) -> str:
    """Constants, stream types and declarations shared by the top and the testbench."""
    n = len(accel.layers) - 1
    max_w = ap_max_width(accel)
    h = [f"// Generated by sbn-hw from the accelerator description '{accel.name}'. Do not edit.",
         f"#ifndef SBN_ACCEL_TOP_H", f"#define SBN_ACCEL_TOP_H", ""]
    if max_w:
        h += [f"#define AP_INT_MAX_W {max_w}  // widest word of this accelerator (default limit: {AP_DEFAULT_MAX_W})"]
    h += ['#include "sbn_common.h"', ""]
    for i, l in enumerate(accel.layers):
        h += layer_constants(i, l)
        h += [f"void sbn_accel_layer{i}(hls::stream<l{i}_in_t>& in, hls::stream<l{i}_out_t>& out, unsigned frames);", ""]
    h += ["// Width converters between layer i's PE outputs and layer i+1's SIMD inputs per beat."]
    h += [f"void sbn_accel_dwc{i}(hls::stream<l{i}_out_t>& in, hls::stream<l{i + 1}_in_t>& out, unsigned frames);"
          for i in range(n)]
    h.append("")
    h += [f"// The accelerator: frames vectors of L0_MW inputs in, L{n}_MH outputs per frame out.",
          f"void {TOP_NAME}(hls::stream<l0_in_t>& s_axis, hls::stream<l{n}_out_t>& m_axis, unsigned frames);",
          "// The same, free-running (no control interface): one frame per start, restarting itself.",
          f"void {KERNEL_NAME}(hls::stream<l0_in_t>& s_axis, hls::stream<l{n}_out_t>& m_axis);",
          "", "#endif"]
    return "\n".join(h) + "\n"


def c_array(ctype: str, name: str, items: list[str]) -> list[str]:
    return [f"    static const {ctype} {name}[{len(items)}] = {{"] + [f"        {it}," for it in items] + ["    };"]


def storage_pragma(variable: str, style: str) -> list[str]:
    p = STORAGE_PRAGMAS[style].format(v=variable)
    return [p] if p else []


def threshold_layer_header(i: int, l: ThresholdSpec) -> str:
    """A threshold layer's function: its thresholds as a constant [CH_WORDS][PE][NT] array (the
    rows of sbn_thresh.v's memory words), in the description's memory style."""
    l = l.with_resolved_memory_styles()
    t = l.thresholds.astype(np.int64)
    rows = np.repeat(t, l.pe, axis=0) if l.channels == 1 else t
    rows = rows.reshape(l.ch_words, l.pe, l.n_thresholds)
    words = ["{" + ", ".join("{" + ", ".join(str(int(v)) for v in elem) + "}" for elem in word) + "}" for word in rows]
    body = [f"    static const ap_int<L{i}_TH_BITS> thresholds[L{i}_CH_WORDS][L{i}_PE][L{i}_NT] = {{"]
    body += [f"        {w}," for w in words] + ["    };"]
    body += storage_pragma("thresholds", l.ram_style)
    body.append(f"    sbn_thresh<L{i}_IN_BITS, L{i}_IN_SIGNED, L{i}_PE, L{i}_CH_WORDS, L{i}_NT, L{i}_TH_BITS, L{i}_OUT_BITS, "
                f"L{i}_OUT_BIAS>(in, out, thresholds, frames * (L{i}_MW / L{i}_PE));")
    guard = f"SBN_ACCEL_LAYER{i}_H"
    return "\n".join([
        f"// Generated by sbn-hw: layer {i} ({l.name}), a threshold unit, thresholds {l.ram_style}. Do not edit.",
        f"#ifndef {guard}", f"#define {guard}", "", f'#include "{TOP_HEADER}"', '#include "sbn_thresh.h"', "",
        f"void sbn_accel_layer{i}(hls::stream<l{i}_in_t>& in, hls::stream<l{i}_out_t>& out, unsigned frames) {{",
        "#pragma HLS INLINE off", *body, "}", "", "#endif",
    ]) + "\n"


def layer_header(i: int, l: Layer) -> str:
    """Layer i's function with its weights (and thresholds) as constant arrays: the same words as
    the RTL backend's memory images, in the memory style of the description."""
    if l.kind == "threshold":
        return threshold_layer_header(i, l)
    l = l.with_resolved_memory_styles()
    ww, tw = l.pe * l.simd, l.pe * (l.th_bits + 1)
    args = f"L{i}_MW, L{i}_MH, L{i}_PE, L{i}_SIMD, {HLS_MODES[l.mode]}, L{i}_IN_BITS, L{i}_IN_SIGNED, L{i}_ACC_BITS"
    body = c_array(f"ap_uint<{ww}>", "weights", [ap_uint_literal(ww, h) for h in weight_words(l)])
    body += storage_pragma("weights", l.ram_style)
    if l.has_thresholds:
        body += c_array(f"ap_uint<{tw}>", "thresholds", [ap_uint_literal(tw, h) for h in threshold_words(l)])
        body += storage_pragma("thresholds", l.ram_style_thresholds)
        body.append(f"    sbn_mvau_threshold<{args}, L{i}_TH_BITS>(in, out, weights, thresholds, frames);")
    else:
        body.append(f"    sbn_mvau_integer<{args}>(in, out, weights, frames);")
    guard = f"SBN_ACCEL_LAYER{i}_H"
    return "\n".join([
        f"// Generated by sbn-hw: layer {i} ({l.name}), weights {l.ram_style}, thresholds "
        f"{l.ram_style_thresholds if l.has_thresholds else '(none)'}. Do not edit.",
        f"// Weight word nf*SF+sf, bit p*SIMD+s = weight[nf*PE+p][sf*SIMD+s]; threshold word nf holds {{LE, T}} per PE.",
        f"#ifndef {guard}", f"#define {guard}", "", f'#include "{TOP_HEADER}"', '#include "sbn_mvau.h"', "",
        f"void sbn_accel_layer{i}(hls::stream<l{i}_in_t>& in, hls::stream<l{i}_out_t>& out, unsigned frames) {{",
        "#pragma HLS INLINE off", *body, "}", "", "#endif",
    ]) + "\n"


def layer_header_name(i: int) -> str:
    return f"sbn_accel_layer{i}.h"


def top_source(accel: Accelerator) -> str:
    """Width converters and the dataflow top: layer -> width converter -> FIFO -> next layer."""
    layers, n = accel.layers, len(accel.layers) - 1
    s = [f"// Generated by sbn-hw from the accelerator description '{accel.name}'. Do not edit.",
         f"// {len(layers)} layers; analytic cycles per frame: {accel.cycles_per_frame}.",
         f'#include "{TOP_HEADER}"', '#include "sbn_dwc.h"']
    s += [f'#include "{layer_header_name(i)}"' for i in range(len(layers))]
    for i in range(n):
        s += ["", f"void sbn_accel_dwc{i}(hls::stream<l{i}_out_t>& in, hls::stream<l{i + 1}_in_t>& out, unsigned frames) {{",
              "#pragma HLS INLINE off",
              f"    sbn_dwc<L{i}_OUT_BITS, L{i}_PE, L{i + 1}_SIMD>(in, out, frames * (L{i}_MH / L{i}_PE));", "}"]
    s += ["", f"void {TOP_NAME}(hls::stream<l0_in_t>& s_axis, hls::stream<l{n}_out_t>& m_axis, unsigned frames) {{",
          "#pragma HLS INTERFACE axis port=s_axis", "#pragma HLS INTERFACE axis port=m_axis",
          "#pragma HLS INTERFACE s_axilite port=frames bundle=control",
          "#pragma HLS INTERFACE s_axilite port=return bundle=control", "#pragma HLS DATAFLOW",
          *dataflow_body(accel, "frames"), "}"]
    # ap_ctrl_none: no start/done handshake, the dataflow restarts as soon as it can, so frames
    # stream through back to back like the RTL top's.
    s += ["", f"void {KERNEL_NAME}(hls::stream<l0_in_t>& s_axis, hls::stream<l{n}_out_t>& m_axis) {{",
          "#pragma HLS INTERFACE axis port=s_axis", "#pragma HLS INTERFACE axis port=m_axis",
          "#pragma HLS INTERFACE ap_ctrl_none port=return", "#pragma HLS DATAFLOW",
          *dataflow_body(accel, "1"), "}"]
    return "\n".join(s) + "\n"


def dataflow_body(accel: Accelerator, frames: str) -> list[str]:
    """The statements of a dataflow top: internal streams, then each layer and width converter
    called once on `frames` frames (a C expression)."""
    layers, n = accel.layers, len(accel.layers) - 1
    s = []
    for i in range(n):
        # As the RTL top: after the width converter, room for two vectors of the next layer's input.
        s += [f"    hls::stream<l{i}_out_t> l{i}_out(\"l{i}_out\");", f"#pragma HLS STREAM variable=l{i}_out depth=2",
              f"    hls::stream<l{i + 1}_in_t> l{i + 1}_in(\"l{i + 1}_in\");",
              f"#pragma HLS STREAM variable=l{i + 1}_in depth={fifo_depth(fifo_words(layers[i + 1]))}"]
    for i in range(len(layers)):
        src, dst = ("s_axis" if i == 0 else f"l{i}_in"), ("m_axis" if i == n else f"l{i}_out")
        s.append(f"    sbn_accel_layer{i}({src}, {dst}, {frames});")
        if i < n:
            s.append(f"    sbn_accel_dwc{i}(l{i}_out, l{i + 1}_in, {frames});")
    return s


def testbench_source(accel: Accelerator) -> str:
    """C simulation: run the dataflow top on every frame, then the layers one by one, writing the
    top's output and every layer's output (one line per frame) for comparison with the golden model."""
    n = len(accel.layers) - 1
    t = [f"// Generated by sbn-hw: C-simulation testbench for '{accel.name}'. Do not edit.",
         "// Usage: csim <frames.txt> <output dir>; writes top.txt, kernel.txt and layer<i>.txt there. Exit 1 on a malformed run.",
         f'#include "{TOP_HEADER}"', '#include "sbn_tb_io.h"', "",
         "int main(int argc, char** argv) {",
         '    if (argc != 3) { std::cerr << "usage: " << argv[0] << " <frames.txt> <output dir>\\n"; return 2; }',
         "    const std::string dir = argv[2];", "    std::vector<long long> x;",
         "    const long frames = sbn_tb_read_frames(argv[1], L0_MW, x);", "    if (frames < 0) return 2;",
         "    int errors = 0;", "    {  // the dataflow top, as Vitis HLS runs it",
         '        hls::stream<l0_in_t> in("tb_in");', f'        hls::stream<l{n}_out_t> out("tb_out");',
         "        sbn_tb_feed<L0_IN_BITS, L0_SIMD>(in, x);", f"        {TOP_NAME}(in, out, frames);",
         '        errors += sbn_tb_expect_empty(in, "top input");',
         f"        errors += sbn_tb_write_frames(dir + \"/top.txt\", sbn_tb_drain<L{n}_OUT_BITS, L{n}_PE, L{n}_OUT_SIGNED>(out), "
         f'L{n}_MH, frames, "top output");',
         "    }", "    {  // the free-running kernel: one call per frame, as its automatic restarts run it",
         '        hls::stream<l0_in_t> in("kernel_in");', f'        hls::stream<l{n}_out_t> out("kernel_out");',
         "        sbn_tb_feed<L0_IN_BITS, L0_SIMD>(in, x);",
         f"        for (long f = 0; f < frames; ++f) {KERNEL_NAME}(in, out);",
         '        errors += sbn_tb_expect_empty(in, "kernel input");',
         f"        errors += sbn_tb_write_frames(dir + \"/kernel.txt\", sbn_tb_drain<L{n}_OUT_BITS, L{n}_PE, L{n}_OUT_SIGNED>(out), "
         f'L{n}_MH, frames, "kernel output");',
         "    }", "    {  // layer by layer, so that a difference is found in the layer that makes it",
         "        std::vector<long long> v = x;", '        hls::stream<l0_in_t> l0_in("l0_in");',
         "        sbn_tb_feed<L0_IN_BITS, L0_SIMD>(l0_in, v);"]
    for i in range(n + 1):
        t += [f'        hls::stream<l{i}_out_t> l{i}_out("l{i}_out");', f"        sbn_accel_layer{i}(l{i}_in, l{i}_out, frames);",
              f'        errors += sbn_tb_expect_empty(l{i}_in, "layer {i} input");',
              f"        v = sbn_tb_drain<L{i}_OUT_BITS, L{i}_PE, L{i}_OUT_SIGNED>(l{i}_out);",
              f'        errors += sbn_tb_write_frames(dir + "/layer{i}.txt", v, L{i}_MH, frames, "layer {i} output");']
        if i < n:
            t += [f'        hls::stream<l{i}_out_t> l{i}_back("l{i}_back");', f"        sbn_tb_feed<L{i}_OUT_BITS, L{i}_PE>(l{i}_back, v);",
                  f'        hls::stream<l{i + 1}_in_t> l{i + 1}_in("l{i + 1}_in");', f"        sbn_accel_dwc{i}(l{i}_back, l{i + 1}_in, frames);",
                  f'        errors += sbn_tb_expect_empty(l{i}_back, "width converter {i} input");']
    t += ["    }", "    return errors ? 1 : 0;", "}"]
    return "\n".join(t) + "\n"


def vitis_tcl(sources: list[str], testbench: str, part: str, clock_ns: float, project: str = "sbn_accel_hls",
              top: str = TOP_NAME, export: bool = True) -> str:
    """Vitis HLS: C synthesis of `top`, then (export) its export as a Vivado IP-catalog IP. The
    part can be overridden on the command line: vitis_hls -f <script> -tclargs <part>.
    export=False stops after C synthesis: the Vivado flow takes the Verilog from
    <project>/solution1/syn/verilog/ into its own IP (the free-running kernel in the shell)."""
    if not part or any(c.isspace() or c in '{}[]$"\\;' for c in part):
        raise SbnHwError(f"'{part}' is not an FPGA part name (e.g. {DEFAULT_PART})")
    if not clock_ns > 0:
        raise SbnHwError(f"the clock period must be > 0 ns, got {clock_ns}")
    srcs = " ".join(sources)
    script = TCL if export else KERNEL_TCL
    what = "into an IP-catalog IP" if export else f"into Verilog ({project}/solution1/syn/verilog/)"
    lines = [
        f"# Generated by sbn-hw: Vitis HLS synthesis of {top} {what}.",
        f"# Run from anywhere: vitis_hls -f {script} [-tclargs <part>]   (default part {part});",
        f"# Vitis 2024.2 and later: vitis-run --mode hls --tcl {script}",
        "set here [file dirname [file normalize [info script]]]",
        f"set part {{{part}}}",
        "if {[info exists argv] && [llength $argv] > 0} { set part [lindex $argv 0] }",
        "cd $here",
        f"open_project -reset {project}",
        f"set_top {top}",
        f"foreach f {{{srcs}}} {{ add_files [file join $here $f] -cflags \"-std=c++14 -I$here\" }}",
        f"add_files -tb [file join $here {testbench}] -cflags \"-std=c++14 -I$here\"",
        "open_solution -reset solution1 -flow_target vivado",
        "set_part $part",
        f"create_clock -period {clock_ns:g} -name default",
        # Active-low reset (ap_rst_n), as the shell drives it, whatever the tool's default.
        "config_rtl -reset_level low",
        "csynth_design",
    ]
    if export:
        lines.append(f"export_design -format ip_catalog -rtl verilog -ipname {top} -version 1.0 "
                     "-description {sbn-hw binary neural network accelerator}")
    return "\n".join([*lines, "exit"]) + "\n"


def _write(path: Path, text: str) -> Path:
    """Write through a temporary name, so a file is either whole or absent."""
    tmp = path.with_name(path.name + ".partial")
    tmp.write_text(text)
    os.replace(tmp, path)
    return path


def generate_hls(accel: Accelerator, out_dir: Path, part: str = DEFAULT_PART, clock_ns: float = 10.0) -> HlsBuild:
    """Write the kernels (copied from hls/), the generated top, layer headers, testbench and Tcl."""
    conv = [l.name for l in accel.layers if l.kind in ("window", "pool") or getattr(l, "vectors", 1) > 1]
    if conv:
        raise SbnHwError(f"the HLS backend has no sliding-window or max-pool kernels yet (layers {', '.join(conv)}): "
                         "convolutional accelerators are built from the RTL (sbn-hw simulate / bitstream --backend rtl)")
    for i, (a, b) in enumerate(zip(accel.layers, accel.layers[1:])):
        if a.out_bits != b.in_bits:  # the width converter passes elements through unchanged
            raise SbnHwError(f"layer {b.name} takes {b.in_bits}-bit inputs but {a.name} emits {a.out_bits}-bit outputs")
    ap_max_width(accel)  # these two check the description and arguments before any file is written
    tcl = vitis_tcl([TOP_SOURCE], TESTBENCH, part, clock_ns)
    kernel_tcl = vitis_tcl([TOP_SOURCE], TESTBENCH, part, clock_ns, KERNEL_PROJECT, KERNEL_NAME, export=False)
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    library = resource_dir("hls")
    for f in LIBRARY_FILES:
        shutil.copyfile(library / f, out_dir / f)
    sources = [_write(out_dir / layer_header_name(i), layer_header(i, l)) for i, l in enumerate(accel.layers)]
    sources.insert(0, _write(out_dir / TOP_HEADER, top_header(accel)))
    sources.insert(0, _write(out_dir / TOP_SOURCE, top_source(accel)))
    tb = _write(out_dir / TESTBENCH, testbench_source(accel))
    _write(out_dir / KERNEL_TCL, kernel_tcl)
    return HlsBuild(out_dir, TOP_NAME, sources, tb, _write(out_dir / TCL, tcl), out_dir / KERNEL_TCL)
