"""A resource model of the generated RTL (LUT, BRAM36, DSP on 7-series), calibrated against Yosys
synth_xilinx, for choosing a folding before any synthesis (fold_for_budget).

Each layer kind has a small formula in its own function: the arithmetic that scales with the
lanes, the per-output-lane accumulators, and the memories (sized as the RTL sizes them, styled as
"auto" resolves them). The coefficients are Yosys measurements (benchmarks/mvau.py for the MVAU,
benchmarks/cnv.py's per-layer figures for the stream units); benchmarks/cnv.py prints the model
beside Yosys for every build, so the calibration stays visible.
"""

from __future__ import annotations

from dataclasses import dataclass

from sbn_hw.compile.folding import bram18_count, resolve_ram_style, rom_lut_estimate

# --- coefficients (Yosys synth_xilinx, xc7z020) ---------------------------------------------------
# sbn_popcount: two LUT6 per 3 lanes; per 18-lane group six 6:3-counter LUT6 and about three LUTs
# of its low + 2*high add; about four LUTs per adder of the tree over the groups (N = 18, 36, 256:
# 20, 45, 372 measured; 21, 46, 363 modelled).
POPCOUNT_GROUP_LUTS = 9
POPCOUNT_TREE_LUTS = 4
# Integer lanes: each product w ? x : -x and each adder of the tree costs about a LUT per bit
# (the plain adder tree, which layers without shared sums keep; 784x256 int8 at 8x49 built with it:
# 8,318 LUTs measured, 8,436 modelled).
# Accumulator, compare and the row's control per output lane: a base and a part per accumulator
# bit (8x32 .. 1x256 xnor layers: 25..30 LUTs per PE at 10 bits).
PE_LUTS = 12
PE_LUTS_PER_ACC_BIT = 1.6
MVAU_CONTROL_LUTS = 25  # counters, credit count, output queue
# resType "dsp" (rtl/sbn_dsp_dot.v): per DSP about 1.3 LUTs of weight inverters (B = {~w_a, w_b, ~w_b..})
# besides the tree over the chains; the chains' skew registers are flip-flops (784x256 int8 at 8x49,
# chains of 8: 956 logic LUTs measured, 926 modelled; with memories 1,235 measured, 1,597 modelled:
# ram() counts the 16-word input buffer as RAM64M, Yosys packs it in RAM32M, about 250 fewer).
DSP_PAIR_LUTS = 1.3
# Shared group sums (rtl/sbn_mvau.v INT_SHARED, thresholded integer layers in LUTs with PE >= 2): per
# group of three lanes and bit of its sum, about 5 LUTs for the four shared sums and 1.7 per PE for
# the 4:1 mux and the first adder level, plus the tree over the groups (784x256 int8 at 4x49, 8x49,
# 32x49, logic and memory: 3,289 / 5,447 / 18,144 LUTs measured, 3,580 / 5,763 / 18,594 modelled).
SHARED_SUM_LUTS_PER_BIT = 5
SHARED_LEAF_LUTS_PER_BIT = 1.7
LUTRAM_BITS_PER_LUT = 64 * 3 / 4  # RAM64M: 3 bits x 64 words in 4 LUTs (the FIFOs, input buffers)
LUTRAM_MAX_DEPTH = 64  # deeper stream buffers become block RAM (what Yosys chose in the CNV builds)
SHALLOW_ROM_LUTS_PER_BIT = 0.75  # a ROM of 2..32 words as logic: at most one LUT5 per bit, shared or constant ones fewer
ROM64_LUTS_PER_BIT = 1.0  # 33..64 words: one LUT6 per bit (Yosys, 64 x 3,264 random bits: 3,264 LUT6)


@dataclass(frozen=True)
class Estimate:
    lut: float = 0.0  # LUTs as logic and as memory (what must fit the part's LUTs)
    bram36: float = 0.0  # RAMB36 units (a RAMB18 is 0.5)
    dsp: int = 0

    def __add__(self, other: "Estimate") -> "Estimate":
        return Estimate(self.lut + other.lut, self.bram36 + other.bram36, self.dsp + other.dsp)

    def fits(self, budget: dict[str, float]) -> bool:
        """Within {lut, bram36, dsp} (a missing key is no limit)."""
        return all(getattr(self, k) <= budget[k] for k in ("lut", "bram36", "dsp") if k in budget)

    def as_dict(self) -> dict:
        return {"lut": round(self.lut), "bram36": self.bram36, "dsp": self.dsp}


def popcount_luts(n: int) -> float:
    """LUTs of rtl/sbn_popcount.v over n lanes."""
    groups = -(-n // 18)
    return 2 * -(-n // 3) + POPCOUNT_GROUP_LUTS * groups + POPCOUNT_TREE_LUTS * (groups - 1)


def rom(style: str, depth: int, width: int) -> Estimate:
    """A read-only memory (sbn_mvau_rom) in its resolved style: block RAM, or LUTs. A column (one
    bit of every word) of at most 64 words is at most one LUT6, and columns with the same contents
    are one: a ROM of d words has at most 2**d different columns (CNV's 6-word weight ROMs of 6,144
    columns cost Yosys about 64 LUTs); a constant one (depth 1) costs nothing."""
    style = resolve_ram_style(style, depth, width)
    if style == "block":
        return Estimate(bram36=bram18_count(depth, width) / 2)
    if depth <= 1:
        return Estimate()
    if depth <= 64:
        per_bit = SHALLOW_ROM_LUTS_PER_BIT if depth <= 32 else ROM64_LUTS_PER_BIT
        return Estimate(lut=per_bit * min(width, 2 ** depth))
    return Estimate(lut=rom_lut_estimate(depth, width))


def ram(depth: int, width: int) -> Estimate:
    """A buffer written and read by the stream (input buffers, FIFOs, line buffers): LUT RAM while
    small, block RAM once deeper than LUTRAM_MAX_DEPTH."""
    if depth <= 1:
        return Estimate()
    if depth > LUTRAM_MAX_DEPTH:
        return Estimate(bram36=bram18_count(depth, width) / 2)
    return Estimate(lut=width * -(-depth // 64) * 64 / LUTRAM_BITS_PER_LUT)


def dsp_dot(l) -> Estimate:
    """rtl/sbn_dsp_dot.v for an MVAU of resType "dsp": PE dot products over SIMD lanes, two lanes per
    DSP48, chains of DSP_CHAIN pairs, a tree over the chains (its skew registers are flip-flops)."""
    from sbn_hw.rtlgen.generate import DSP_CHAIN

    pairs = -(-l.simd // 2)
    cl = min(DSP_CHAIN, pairs)
    chains = -(-pairs // cl)
    mid_w = l.in_bits + 1 + (2 * cl - 1).bit_length()
    tree = (chains - 1) * (mid_w + (chains - 1).bit_length() / 2)
    return Estimate(lut=l.pe * (tree + DSP_PAIR_LUTS * pairs), dsp=l.dsp_count)


def shared_sums(l) -> float:
    """LUTs of an integer MVAU's lanes summed through shared group sums (INT_SHARED): the sums once,
    then per PE a 4:1 mux per bit of each group and a tree over the groups."""
    groups, width = -(-l.simd // 3), l.in_bits + 2
    tree = (groups - 1) * (width + (groups - 1).bit_length() / 2)
    return SHARED_SUM_LUTS_PER_BIT * groups * width + l.pe * (SHARED_LEAF_LUTS_PER_BIT * groups * width + tree)


def mvau(l) -> Estimate:
    from sbn_hw.rtlgen.generate import uses_shared_sums

    acc_w = l.acc_bits + 1
    dsp = Estimate()
    if l.mode == "int" and l.res_type == "dsp":
        dsp = dsp_dot(l)
        arith = 0.0
    elif uses_shared_sums(l):
        arith = shared_sums(l)
    elif l.mode == "int":
        width = l.in_bits + 1  # a product, sign included
        tree = (l.simd - 1) * (width + (l.simd - 1).bit_length() / 2)  # adders widen by a bit a level
        arith = l.pe * (l.simd * width + tree)
    else:
        arith = l.pe * popcount_luts(l.simd) + (popcount_luts(l.simd) if l.mode == "and_act" else 0)
    est = dsp + Estimate(lut=arith + l.pe * (PE_LUTS + PE_LUTS_PER_ACC_BIT * acc_w) + MVAU_CONTROL_LUTS)
    est += rom(l.ram_style, l.sf * l.nf, l.pe * l.simd)
    if l.has_thresholds:
        est += rom(l.ram_style_thresholds, l.nf, l.pe * (l.th_bits + 1))
    if l.nf > 1:
        est += ram(l.sf, l.simd * l.in_bits)
    return est


def swu_buffer_words(l) -> int:
    """rtl/sbn_swu.v's BUF_DEPTH for a WindowSpec (its comment explains each term)."""
    cf = l.channels // l.simd
    oh, ow = l.ofm
    span = ((l.k - 1) * l.ifm_w + l.k) * cf
    in_words, out_words = l.ifm_h * l.ifm_w * cf, oh * ow * l.k * l.k * cf
    dp = l.stride * cf if ow > 1 else 0
    dr = (l.stride * l.ifm_w - (ow - 1) * l.stride) * cf if oh > 1 else 0
    df = in_words - ((oh - 1) * l.stride * l.ifm_w + (ow - 1) * l.stride) * cf
    return span + max(l.k * l.k * cf, dp, dr, df - max(in_words, out_words) // 32)


def window(l) -> Estimate:
    return ram(swu_buffer_words(l), l.simd * l.in_bits) + Estimate(lut=60 + 0.75 * l.simd * l.in_bits)


def pool(l) -> Estimate:
    cf = l.channels // l.pe
    return ram(l.ofm[1] * cf, l.pe * l.in_bits) + Estimate(lut=40 + 2 * l.pe * l.in_bits)


def threshold(l) -> Estimate:
    depth, width = l.threshold_memory_shape
    return rom(l.ram_style, depth, width) + Estimate(lut=30 + 2 * l.pe * l.n_thresholds)


def lab(l) -> Estimate:
    cf = l.channels // l.pe
    kk = l.k * l.k
    chain = Estimate(lut=(2 * (l.k // 2 * l.ifm_w + l.k // 2) * cf + 1) * l.pe * l.in_bits / 32)  # SRL shift chain
    mac = Estimate(lut=l.pe * kk * (l.in_bits + 4) * 2)
    return chain + mac + rom("auto", cf, l.pe * kk * 4) + rom("auto", cf, l.pe * (kk * (l.in_bits + 6) + 1))


ESTIMATORS = {"mvau": mvau, "window": window, "pool": pool, "threshold": threshold, "lab": lab}


def fifo(words: int, width: int) -> Estimate:
    """An axis_fifo of `words` words in LUT RAM and its control (the generated inter-layer FIFOs
    read synchronously, OUT_REG=1, so a tool may put a deep one in block RAM instead)."""
    return Estimate(lut=width * -(-words // 64) * 64 / LUTRAM_BITS_PER_LUT + 12)


SKID_GROUP_BITS = 64  # rtl/axis_skid.v GROUP_BITS: bits per copy of the slice's control


def skid(width: int) -> Estimate:
    """An axis_skid register slice: a 2:1 mux per bit in front of its main register, and two LUTs
    of control per GROUP_BITS-bit group (each group has its own copy)."""
    return Estimate(lut=width + 2 * -(-width // SKID_GROUP_BITS))


def layer_estimate(layer) -> Estimate:
    return ESTIMATORS[layer.kind](layer)


def accelerator_estimate(accel) -> tuple[Estimate, list[Estimate]]:
    """(total, per layer) for a folded Accelerator: the layers, and the width converters and FIFOs
    between them as the generator sizes them."""
    from sbn_hw.rtlgen.generate import fifo_depth, fifo_words, input_registered_by_layer, pipeline_params

    layers = [layer_estimate(l) for l in accel.layers]
    first, last = accel.layers[0], accel.layers[-1]
    # The top's input slice, unless layer 0 registers its input itself (generate.top_verilog).
    no_in_slice = first.kind == "mvau" and input_registered_by_layer(first, pipeline_params(first))
    total = (sum(layers, Estimate()) + (Estimate() if no_in_slice else skid(first.simd * first.in_bits))
             + skid(last.pe * last.out_bits))
    for a, b in zip(accel.layers, accel.layers[1:]):
        width = b.simd * a.out_bits
        total += fifo(fifo_depth(fifo_words(b)), width) + Estimate(lut=max(a.pe, b.simd) * a.out_bits / 2)
        total += skid(a.pe * a.out_bits) + skid(width)
    return total, layers
