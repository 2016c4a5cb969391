"""Generate the accelerator top and memory images from the accelerator description."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sbn_hw import SbnHwError
from sbn_hw.compile.accel import (Accelerator, LabSpec, Layer, LayerSpec, PoolSpec, ThresholdSpec, WindowSpec,
                                  bits_for_range)
from sbn_hw.paths import resource_dir

RTL_LIBRARY = resource_dir("rtl")
LIBRARY_FILES = ("sbn_mvau.v", "sbn_popcount.v", "sbn_lut6.v", "sbn_adder_tree.v", "sbn_dsp_dot.v", "axis_fifo.v", "axis_dwc.v", "axis_skid.v", "sbn_thresh.v")
# Library modules only some accelerators instantiate (by layer kind).
KIND_LIBRARY_FILES = {"window": ("sbn_swu.v",), "pool": ("sbn_maxpool.v",), "lab": ("sbn_lab.v",)}
KIND_MODULES = {"mvau": "sbn_mvau", "threshold": "sbn_thresh", "window": "sbn_swu", "pool": "sbn_maxpool",
                "lab": "sbn_lab"}
TOP_NAME = "sbn_accel_top"
RTL_MODES = {"int": 0, "xnor": 1, "and_act": 2, "and_w": 3}  # sbn_mvau's MODE parameter


def _hex_words(bit_rows: np.ndarray) -> list[str]:
    """(words, width) 0/1 with bit j of a word at column j -> hex strings, MSB first."""
    width = bit_rows.shape[1]
    digits = max(1, -(-width // 4))
    padded = np.zeros((bit_rows.shape[0], digits * 4), dtype=np.uint8)
    padded[:, :width] = bit_rows
    packed = np.packbits(padded, axis=1, bitorder="little")
    return [int.from_bytes(row.tobytes(), "little").__format__(f"0{digits}x") for row in packed]


def _beat_words(layer: LayerSpec, per_beat: np.ndarray) -> list[str]:
    """(MH, SF, K) bits per output row and input beat -> one word per cycle: word nf*SF+sf holds
    row nf*PE+p's K bits of beat sf at bits [p*K +: K]."""
    k = per_beat.shape[2]
    w = per_beat.reshape(layer.nf, layer.pe, layer.sf, k)
    return _hex_words(w.transpose(0, 2, 1, 3).reshape(layer.nf * layer.sf, layer.pe * k))


def weight_words(layer: LayerSpec) -> list[str]:
    """Word nf*SF+sf holds bit (p*SIMD+s) = weight[nf*PE+p][sf*SIMD+s]."""
    return _beat_words(layer, layer.weights.reshape(layer.mh, layer.sf, layer.simd))


def threshold_words(layer: LayerSpec) -> list[str]:
    """Word nf holds, per PE p, {le, T} at bits [p*(TH_BITS+1) +: TH_BITS+1]."""
    return _threshold_entry_words(layer, layer.thresholds, layer.th_bits)


def _threshold_entry_words(layer: LayerSpec, thresholds: np.ndarray, tb: int) -> list[str]:
    t = (thresholds.astype(np.int64) & ((1 << tb) - 1)).astype(np.uint64)
    bits = (t[:, None] >> np.arange(tb, dtype=np.uint64)) & np.uint64(1)
    entry = np.concatenate([bits.astype(np.uint8), layer.threshold_le.astype(np.uint8)[:, None]], axis=1)
    return _hex_words(entry.reshape(layer.nf, layer.pe * (tb + 1)))


# An integer layer in LUTs with thresholds sums its lanes in groups of three through partial sums
# that all its PEs share (rtl/sbn_mvau.v, INT_SHARED): about 11 LUTs per lane instead of 21 once
# the shared sums are spread over a few PEs (Yosys, 784x256 int8; benchmarks/mvau.py). With one PE
# nothing is shared and the plain adder tree is smaller.
SHARED_SUMS_MIN_PE = 2


def uses_shared_sums(layer: LayerSpec) -> bool:
    """Whether the RTL builds this MVAU with shared group sums (INT_SHARED)."""
    return (layer.mode == "int" and layer.res_type == "lut" and layer.has_thresholds
            and layer.pe >= SHARED_SUMS_MIN_PE)


def shared_sum_codes(layer: LayerSpec) -> np.ndarray:
    """(MH, SF, G, 3) uint8: per output, beat and group of three lanes, the code sbn_mvau's
    INT_SHARED form selects with: m0 = (w1 != w0), m1 = (w2 != w0), neg = (w0 == 0); the group's
    product is then (-1)^neg * (x0 + (-1)^m0 x1 + (-1)^m1 x2). Lanes padded past SIMD carry x = 0."""
    groups = -(-layer.simd // 3)
    w = layer.weights.reshape(layer.mh, layer.sf, layer.simd).astype(np.uint8)
    pad = np.ones((layer.mh, layer.sf, 3 * groups - layer.simd), dtype=np.uint8)
    w = np.concatenate([w, pad], axis=2).reshape(layer.mh, layer.sf, groups, 3)
    w0, w1, w2 = w[..., 0], w[..., 1], w[..., 2]
    return np.stack([w1 != w0, w2 != w0, w0 == 0], axis=-1).astype(np.uint8)


def rtl_weight_words(layer: LayerSpec) -> list[str]:
    """sbn_mvau's WEIGHT_FILE: the weight bits (weight_words), or with shared sums word nf*SF+sf
    holding, per PE p and group g, the code {neg, m1, m0} at bits [(p*G + g)*3 +: 3]."""
    if not uses_shared_sums(layer):
        return weight_words(layer)
    codes = shared_sum_codes(layer)
    return _beat_words(layer, codes.reshape(layer.mh, layer.sf, -1))


def shared_sum_offsets(layer: LayerSpec) -> np.ndarray:
    """(MH,) int64: how far sbn_mvau's INT_SHARED accumulator lies below the layer's, the same for
    every input: one per negated group (its ones' complement), and for unsigned inputs, which enter
    centred as x - 2^(B-1), 2^(B-1) * sum(w) over the row (w = +-1)."""
    offset = shared_sum_codes(layer)[..., 2].sum(axis=(1, 2)).astype(np.int64)
    if not layer.in_signed:
        offset += (1 << (layer.in_bits - 1)) * (2 * layer.weights.astype(np.int64) - 1).sum(axis=1)
    return offset


def rtl_thresholds(layer: LayerSpec) -> tuple[np.ndarray, int]:
    """(thresholds, TH_BITS) as sbn_mvau compares them. With shared sums the accumulator lies below
    the layer's by a constant per row (shared_sum_offsets), so each threshold moves down by it:
    acc >= T <=> acc - n >= T - n (and <=)."""
    t = layer.thresholds.astype(np.int64)
    if not uses_shared_sums(layer):
        return t, layer.th_bits
    t = t - shared_sum_offsets(layer)
    return t, max(layer.th_bits, bits_for_range(min(int(t.min()), -1), max(int(t.max()), 0))[0])


def rtl_threshold_words(layer: LayerSpec) -> list[str]:
    """sbn_mvau's THRESH_FILE (threshold_words, with rtl_thresholds' shift for shared sums)."""
    return _threshold_entry_words(layer, *rtl_thresholds(layer))


def input_threshold_words(layer: ThresholdSpec) -> list[str]:
    """sbn_thresh's memory: word w holds, for element j of a beat and threshold k, T[channel][k] at
    bits [(j*NT + k)*TH_BITS +: TH_BITS] (channel w*PE + j, or 0 for one shared row)."""
    tb, pe, nt = layer.th_bits, layer.pe, layer.n_thresholds
    t = layer.thresholds.astype(np.int64)
    rows = np.repeat(t, pe, axis=0) if layer.channels == 1 else t  # (ch_words * pe, NT)
    u = (rows & ((1 << tb) - 1)).astype(np.uint64)
    bits = ((u[:, :, None] >> np.arange(tb, dtype=np.uint64)) & np.uint64(1)).astype(np.uint8)
    return _hex_words(bits.reshape(layer.ch_words, pe * nt * tb))


def _twos_bits(values: np.ndarray, width: int) -> np.ndarray:
    """(..., n) integers -> (..., n, width) 0/1, bit b of each value's two's complement at column b."""
    u = (np.asarray(values, dtype=np.int64) & ((1 << width) - 1)).astype(np.uint64)
    return ((u[..., None] >> np.arange(width, dtype=np.uint64)) & np.uint64(1)).astype(np.uint8)


def lab_tap_words(layer: LabSpec) -> list[str]:
    """sbn_lab's TAPS_FILE: word g holds, for element j and tap t = ky*K + kx, taps[g*PE + j] at
    bits [(j*K*K + t)*TAP_BITS +: TAP_BITS]."""
    q = layer.taps.reshape(layer.ch_words, layer.pe * layer.k * layer.k)
    return _hex_words(_twos_bits(q, layer.tap_bits).reshape(layer.ch_words, -1))


def lab_threshold_words(layer: LabSpec) -> list[str]:
    """sbn_lab's THRESH_FILE: word g holds per element j an entry of K*K*TH_BITS + 1 bits: the
    threshold of border class cy*K + cx at [k*TH_BITS +: TH_BITS], then le."""
    kk, tb = layer.k * layer.k, layer.th_bits
    t = _twos_bits(layer.thresholds.reshape(layer.channels, kk), tb).reshape(layer.channels, kk * tb)
    entry = np.concatenate([t, layer.threshold_le.astype(np.uint8)[:, None]], axis=1)
    return _hex_words(entry.reshape(layer.ch_words, -1))


def lab_unit_params(layer: LabSpec, taps_file: str, thresh_file: str) -> dict[str, object]:
    return {"IN_BITS": layer.in_bits, "IN_SIGNED": int(layer.in_signed), "PE": layer.pe, "C": layer.channels,
            "IFM_H": layer.ifm_h, "IFM_W": layer.ifm_w, "K": layer.k, "TAP_BITS": layer.tap_bits,
            "SUM_BITS": layer.sum_bits, "TH_BITS": layer.th_bits, "TAPS_FILE": f'"{taps_file}"',
            "THRESH_FILE": f'"{thresh_file}"'}


def threshold_unit_params(layer: ThresholdSpec, thresh_file: str) -> dict[str, object]:
    layer = layer.with_resolved_memory_styles()
    return {"IN_BITS": layer.in_bits, "IN_SIGNED": int(layer.in_signed), "PE": layer.pe, "CH_WORDS": layer.ch_words,
            "NT": layer.n_thresholds, "TH_BITS": layer.th_bits, "OUT_BITS": layer.out_bits,
            "OUT_BIAS": int(layer.out_bias), "THRESH_FILE": f'"{thresh_file}"', "RAM_STYLE": f'"{layer.ram_style}"'}


def window_unit_params(layer: WindowSpec) -> dict[str, object]:
    return {"EW": layer.in_bits, "C": layer.channels, "SIMD": layer.simd, "IFM_H": layer.ifm_h, "IFM_W": layer.ifm_w,
            "K": layer.k, "STRIDE": layer.stride}


def pool_unit_params(layer: PoolSpec) -> dict[str, object]:
    return {"EW": layer.in_bits, "PE": layer.pe, "C": layer.channels, "IFM_H": layer.ifm_h, "IFM_W": layer.ifm_w,
            "K": layer.k, "SIGNED_ELEMS": int(layer.in_signed)}


def fifo_words(layer: Layer) -> int:
    """Words a layer's input FIFO should hold (fifo_depth doubles it): an MVAU's one input vector
    (so it can read a vector at one word per cycle however slowly it was made); for the
    streaming units, which buffer what they need themselves, one image row, at most a vector's worth."""
    if layer.kind == "mvau":
        return layer.sf
    if layer.kind in ("window", "pool", "lab"):
        return min(layer.ifm_w * layer.channels // layer.in_per_beat, 256)
    return min(layer.in_words, 256)


# How deep sbn_mvau's pipeline is (its READ_REG / TREE_LEVELS / CMP_REG parameters). Measured on
# ECP5-85F (speed 6, nextpnr-ecp5; benchmarks/timing.py): a block RAM read costs ~5.6 ns
# clock-to-out on its own, so the read gets a register of its own (two for block RAM, the first
# placed beside it: pipeline_params); two adder-tree levels (two short
# carry chains and their routing) fit in the same ~6.5 ns, and so does the accumulator's add or
# the threshold compare, but not both. An integer layer's products (w ? x : -x, a negation's
# carry chain) get a register before the tree.
PIPELINE_LEVELS_PER_STAGE = 2


def pipeline_params(layer: LayerSpec, levels_per_stage: int = PIPELINE_LEVELS_PER_STAGE) -> dict[str, int]:
    """sbn_mvau's pipeline parameters for a layer: levels_per_stage adder-tree levels per
    register (0: the unpipelined unit, one cycle from memory read to result; a resType "dsp"
    layer keeps its DSP chains' M and P registers). Pipelining adds latency only: cycles per
    vector stay SF * NF."""
    if levels_per_stage < 0:
        raise SbnHwError(f"adder-tree levels per pipeline stage must be >= 0, got {levels_per_stage}")
    on = int(levels_per_stage > 0)
    # The DSP chains register their products; in LUTs the products (or the shared group sums) get a stage.
    prod_reg = on and layer.mode == "int" and layer.res_type == "lut"
    # A block RAM read gets two registers: the first then drives only the second and is placed beside
    # the block RAM (ECP5: its 5.8 ns clock-to-out, which Yosys never registers inside the EBR).
    styles = layer.with_resolved_memory_styles()  # "auto" as the size resolves it
    in_block = "block" in (styles.ram_style, styles.ram_style_thresholds if layer.has_thresholds else None)
    read_reg = on * (2 if in_block else 1)
    return {"READ_REG": read_reg, "PROD_REG": int(prod_reg), "TREE_LEVELS": levels_per_stage, "CMP_REG": on}


# Multiplier pairs per DSP post-adder chain (rtl/sbn_dsp_dot.v's CHAIN). Yosys synth_xilinx of
# 784x256 int8 at 8x49 (benchmarks/mvau.py): chains of 8 take 956 logic LUTs and 4,564 FFs, chains
# of 16 702 LUTs and 8,553 FFs (stage k's operands wait k cycles in flip-flops, so the skew grows
# with the square of the chain while the tree over the chains shrinks); chains of 1 take 2,868
# LUTs. 200 DSP48E1 in each case.
DSP_CHAIN = 8


def dsp_dot_latency(n: int, chain: int, levels_per_stage: int) -> int:
    """rtl/sbn_dsp_dot.v's LATENCY: its chains (pairs per chain + 1), then the tree over them."""
    pairs = -(-n // 2)
    cl = min(chain, pairs)
    log_chains = max(0, int(-(-pairs // cl) - 1).bit_length())
    return cl + 1 + (0 if levels_per_stage == 0 or log_chains == 0 else -(-log_chains // levels_per_stage))


def pipeline_latency(layer: LayerSpec, params: dict[str, int]) -> int:
    """Cycles from issuing a row's last beat to its result entering sbn_mvau's output queue
    (CMP_POS in rtl/sbn_mvau.v)."""
    k = params["TREE_LEVELS"]
    # The reads registered READ_REG times, and with any read register the buffer written a cycle late (BUF_LAT).
    reads = params["READ_REG"] + int(params["READ_REG"] > 0)
    if layer.mode == "int" and params.get("INT_DSP", 0):  # DSP chains, then a tree over them
        return 2 + reads + dsp_dot_latency(layer.simd, params["DSP_CHAIN"], k) + params["CMP_REG"]
    if layer.mode == "int":  # sbn_adder_tree over SIMD leaves, or over the groups of three with INT_SHARED
        leaves = -(-layer.simd // 3) if params.get("INT_SHARED", 0) else layer.simd
        log_leaves = max(0, int(leaves - 1).bit_length())
        tree = 0 if k == 0 or log_leaves == 0 else -(-log_leaves // k)
    else:  # sbn_popcount: its triples' counts and 18-lane group sums registered, then a tree over the groups
        log_groups = max(0, int(-(-layer.simd // 18) - 1).bit_length())
        tree = 0 if k == 0 else 2 + -(-log_groups // k)
    prod = params.get("PROD_REG", 0) if layer.mode == "int" else 0
    # With INT_SHARED the group sums take two registered steps and the selected sums a register too.
    shared = 2 * prod if params.get("INT_SHARED", 0) else 0
    return 2 + reads + prod + shared + tree + params["CMP_REG"]


def layer_params(layer: LayerSpec, weight_file: str, thresh_file: str,
                 levels_per_stage: int = PIPELINE_LEVELS_PER_STAGE) -> dict[str, object]:
    layer = layer.with_resolved_memory_styles()  # "auto" -> the style chosen for the memory's size
    return {
        "MW": layer.mw,
        "MH": layer.mh,
        "PE": layer.pe,
        "SIMD": layer.simd,
        "MODE": RTL_MODES[layer.mode],
        "IN_BITS": layer.in_bits,
        "IN_SIGNED": int(layer.in_signed),
        "ACC_BITS": layer.acc_bits,
        "HAS_THRESH": int(layer.has_thresholds),
        "TH_BITS": rtl_thresholds(layer)[1] if layer.has_thresholds else layer.th_bits,
        "WEIGHT_FILE": f'"{weight_file}"',
        "THRESH_FILE": f'"{thresh_file}"',
        "WEIGHT_RAM_STYLE": f'"{layer.ram_style}"',
        "THRESH_RAM_STYLE": f'"{layer.ram_style_thresholds}"',
        **pipeline_params(layer, levels_per_stage),
        **({"INT_DSP": 1, "DSP_CHAIN": DSP_CHAIN} if layer.res_type == "dsp" else {}),
        **({"INT_SHARED": 1} if uses_shared_sums(layer) else {}),
    }


def fifo_depth(words_per_frame: int) -> int:
    """Two frames of slack between layers, as a power of two (so a slow consumer never starves
    a producer that runs ahead by one frame)."""
    return max(4, 1 << int(np.ceil(np.log2(2 * words_per_frame))))


FIFO_LUTRAM_MAX_BITS = 4096  # a FIFO of at most this many bits is LUT RAM (a quarter of an 18-kbit block RAM)


def fifo_ram_style(width: int, depth: int) -> str:
    """axis_fifo's RAM_STYLE: LUT RAM for a small FIFO, whose bits would waste a block RAM and
    whose read would pay the block RAM's clock-to-out (5.8 ns on ECP5 in nextpnr's model: the
    critical path of mnist5k's 512-word x 1-bit FIFO); the tool's choice otherwise."""
    return "distributed" if width * depth <= FIFO_LUTRAM_MAX_BITS else "auto"


@dataclass
class RtlBuild:
    directory: Path
    top: str
    sources: list[Path]


def _write_lines(path: Path, lines: list[str]) -> None:
    tmp = path.with_name(path.name + ".partial")
    tmp.write_text("\n".join(lines) + "\n")
    os.replace(tmp, path)


def _stream(name: str, width: int) -> str:
    return (f"    wire [{width - 1}:0] {name}_tdata;\n    wire {name}_tvalid;\n    wire {name}_tready;\n")


def _connect(port: str, net: str) -> str:
    return (f"        .{port}_tdata({net}_tdata), .{port}_tvalid({net}_tvalid), .{port}_tready({net}_tready)")


def _layer_wrapper(i: int, l: Layer, plist: str) -> str:
    """One named module per layer, so synthesis reports resources per layer."""
    in_w, out_w = l.simd * l.in_bits, l.pe * l.out_bits
    module = KIND_MODULES[l.kind]
    inst = "u_" + module.removeprefix("sbn_")
    return (
        f"\n// {l.name} as its own module (per-layer resource reports).\n"
        f"(* keep_hierarchy *)\nmodule {TOP_NAME}_layer{i} (\n    input wire clk, input wire rst,\n"
        f"    input wire [{in_w - 1}:0] s_axis_tdata, input wire s_axis_tvalid, output wire s_axis_tready,\n"
        f"    output wire [{out_w - 1}:0] m_axis_tdata, output wire m_axis_tvalid, input wire m_axis_tready\n);\n"
        f"    {module} #(\n{plist}\n    ) {inst} (\n        .clk(clk), .rst(rst),\n"
        f"{_connect('s_axis', 's_axis')},\n{_connect('m_axis', 'm_axis')}\n    );\nendmodule"
    )


def input_registered_by_layer(layer, params: dict[str, object]) -> bool:
    """Whether the unit takes its input stream into registers of its own: an MVAU with READ_REG
    writes every beat into a register without an enable (the late buffer write, or the stream's
    delay line) and drives s_axis_tready from a flip-flop, so it needs no slice in front."""
    return layer.kind == "mvau" and int(params.get("READ_REG", 0)) > 0


def top_verilog(accel: Accelerator, params: list[dict[str, object]]) -> str:
    """The generated top: input slice -> layer 0 -> ... layer i -> slice -> width converter -> FIFO ->
    slice -> layer i+1 ... -> output slice (axis_skid register slices). Every layer's output
    stream is a named wire (l<i>_out_*) so testbenches can check each layer against the golden model."""
    layers = accel.layers
    wrappers: list[str] = []
    in_w = layers[0].simd * layers[0].in_bits
    out_w = layers[-1].pe * layers[-1].out_bits
    v = [
        f"// Generated by sbn-hw from the accelerator description '{accel.name}'. Do not edit.",
        f"// {len(layers)} layers; analytic cycles per frame: {accel.cycles_per_frame}.",
        f"module {TOP_NAME} (",
        "    input  wire clk,",
        "    input  wire rst,",
        f"    input  wire [{in_w - 1}:0] s_axis_tdata,",
        "    input  wire s_axis_tvalid,",
        "    output wire s_axis_tready,",
        f"    output wire [{out_w - 1}:0] m_axis_tdata,",
        "    output wire m_axis_tvalid,",
        "    input  wire m_axis_tready",
        ");",
    ]
    for i, l in enumerate(layers):
        v.append(_stream(f"l{i}_in", l.simd * l.in_bits) + _stream(f"l{i}_out", l.pe * l.out_bits))
    # The top's own ports are registered too, so timing at its boundary does not depend on what
    # drives it (a DMA, the UART bridge, the timing harness's I/O): by an axis_skid slice, or by
    # layer 0 itself where it registers its input (input_registered_by_layer). A word handed
    # between units inside during reset is dropped by both sides (they reset together); at the
    # input port the reset gates the handshake, so a source outside the reset loses no word.
    if input_registered_by_layer(layers[0], params[0]):
        v.append("    // Layer 0 registers its input word and its ready (no slice: its load enables would reach\n"
                 "    // every bit of the word, spread wherever layer 0 uses it).")
        v.append("    assign l0_in_tdata = s_axis_tdata;\n    assign l0_in_tvalid = s_axis_tvalid;\n"
                 "    assign s_axis_tready = l0_in_tready && !rst;")
    else:
        v.append("    wire in_slice_tready;\n    assign s_axis_tready = in_slice_tready && !rst;")
        v.append(f"    axis_skid #(.WIDTH({in_w})) u_slice_in0 (\n        .clk(clk), .rst(rst),\n"
                 f"        .s_axis_tdata(s_axis_tdata), .s_axis_tvalid(s_axis_tvalid && !rst), .s_axis_tready(in_slice_tready),\n"
                 f"{_connect('m_axis', 'l0_in')}\n    );")
    for i, (l, p) in enumerate(zip(layers, params)):
        plist = ",\n".join(f"        .{k}({val})" for k, val in p.items())
        if l.kind == "threshold":
            v.append(f"    // {l.name}: thresholds on {l.elements} elements ({l.channels} channel(s) x {l.n_thresholds}), "
                     f"PE={l.pe}, {l.cycles} cycles per frame, memory {p['RAM_STYLE']}")
        elif l.kind in ("window", "pool", "lab"):
            v.append(f"    // {l.name}: {l.summary()}")
        else:
            v.append(f"    // {l.name}: {l.mw}x{l.mh}, PE={l.pe}, SIMD={l.simd}, {l.cycles} cycles per frame, "
                     f"memories {p['WEIGHT_RAM_STYLE']} / {p['THRESH_RAM_STYLE']} (weights / thresholds), "
                     f"pipeline latency {pipeline_latency(l, p)} cycles")
        v.append(f"    {TOP_NAME}_layer{i} u_layer{i} (\n        .clk(clk), .rst(rst),\n"
                 f"{_connect('s_axis', f'l{i}_in')},\n{_connect('m_axis', f'l{i}_out')}\n    );")
        wrappers.append(_layer_wrapper(i, l, plist))
        if i + 1 < len(layers):
            # Convert width first, then buffer: the FIFO holds whole words of the next layer, so
            # that layer can read its first row at one word per cycle however slowly it was made.
            # Registered slices (axis_skid) on both sides of the converter and FIFO: no combinational
            # ready path runs from one layer's control into another's.
            nxt = layers[i + 1]
            width = nxt.simd * l.out_bits
            v.append(_stream(f"l{i}_slice", l.pe * l.out_bits) + _stream(f"l{i}_dwc", width)
                     + _stream(f"l{i}_fifo", width))
            v.append(f"    axis_skid #(.WIDTH({l.pe * l.out_bits})) u_slice_out{i} (\n        .clk(clk), .rst(rst),\n"
                     f"{_connect('s_axis', f'l{i}_out')},\n{_connect('m_axis', f'l{i}_slice')}\n    );")
            v.append(f"    axis_dwc #(.EW({l.out_bits}), .IN_N({l.pe}), .OUT_N({nxt.simd})) u_dwc{i} (\n        .clk(clk), .rst(rst),\n"
                     f"{_connect('s_axis', f'l{i}_slice')},\n{_connect('m_axis', f'l{i}_dwc')}\n    );")
            # OUT_REG=1: a deep FIFO is block RAM, whose slow read must not feed the next layer's logic.
            # A small one is LUT RAM (fifo_ram_style).
            depth = fifo_depth(fifo_words(nxt))
            v.append(f"    axis_fifo #(.WIDTH({width}), .DEPTH({depth}), .OUT_REG(1), .RAM_STYLE(\"{fifo_ram_style(width, depth)}\")) "
                     f"u_fifo{i} (\n        .clk(clk), .rst(rst),\n"
                     f"{_connect('s_axis', f'l{i}_dwc')},\n{_connect('m_axis', f'l{i}_fifo')}\n    );")
            v.append(f"    axis_skid #(.WIDTH({width})) u_slice_in{i + 1} (\n        .clk(clk), .rst(rst),\n"
                     f"{_connect('s_axis', f'l{i}_fifo')},\n{_connect('m_axis', f'l{i + 1}_in')}\n    );")
    last = len(layers) - 1
    v.append(f"    axis_skid #(.WIDTH({out_w})) u_slice_out{last} (\n        .clk(clk), .rst(rst),\n"
             f"{_connect('s_axis', f'l{last}_out')},\n"
             f"        .m_axis_tdata(m_axis_tdata), .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(m_axis_tready)\n    );")
    v.append("endmodule")
    return "\n".join(v + wrappers) + "\n"


def generate_rtl(accel: Accelerator, out_dir: Path, levels_per_stage: int = PIPELINE_LEVELS_PER_STAGE) -> RtlBuild:
    """Write memory images, the generated top and a copy of the library into out_dir.
    levels_per_stage: adder-tree levels per pipeline register in every MVAU (pipeline_params)."""
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    params = []
    for i, l in enumerate(accel.layers):
        if l.kind in ("window", "pool"):
            params.append(window_unit_params(l) if l.kind == "window" else pool_unit_params(l))
            continue
        if l.kind == "lab":
            qf, tf = out_dir / f"layer{i}_taps.mem", out_dir / f"layer{i}_thresh.mem"
            _write_lines(qf, lab_tap_words(l))
            _write_lines(tf, lab_threshold_words(l))
            params.append(lab_unit_params(l, qf.name, tf.name))
            continue
        if l.kind == "threshold":
            tf = out_dir / f"layer{i}_thresh.mem"
            _write_lines(tf, input_threshold_words(l))
            params.append(threshold_unit_params(l, tf.name))
            continue
        wf, tf = out_dir / f"layer{i}_weights.mem", out_dir / f"layer{i}_thresh.mem"
        _write_lines(wf, rtl_weight_words(l))
        _write_lines(tf, rtl_threshold_words(l) if l.has_thresholds else ["0"])
        # Relative names: simulators and Yosys (sandboxed to its working directory) run in out_dir.
        params.append(layer_params(l, wf.name, tf.name, levels_per_stage))
    sources = []
    kinds = {l.kind for l in accel.layers}
    for f in LIBRARY_FILES + tuple(f for k in sorted(kinds) for f in KIND_LIBRARY_FILES.get(k, ())):
        shutil.copyfile(RTL_LIBRARY / f, out_dir / f)
        sources.append(out_dir / f)
    top = out_dir / f"{TOP_NAME}.v"
    _write_lines(top, top_verilog(accel, params).splitlines())
    sources.append(top)
    return RtlBuild(out_dir, TOP_NAME, sources)
