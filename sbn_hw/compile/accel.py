"""The accelerator description: one typed object that every backend reads (today the golden model,
the RTL generator and the Yosys resource estimate). All numbers in it are exact integers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from sbn_hw import SbnHwError
from sbn_hw.compile.folding import check_ram_style, divisors, resolve_ram_style, streams_compatible

# Integer input types a first layer can take: name -> (min, max). An own build picks the narrowest
# type that holds its data (digits' pixels 0..16 stream as UINT5, MNIST's as UINT8).
INPUT_DTYPES: dict[str, tuple[int, int]] = {
    "BINARY": (0, 1),
    "BIPOLAR": (0, 1),  # streamed as bits, 1 = +1
    **{f"UINT{b}": (0, (1 << b) - 1) for b in range(2, 9)},
    **{f"INT{b}": (-(1 << (b - 1)), (1 << (b - 1)) - 1) for b in range(2, 9)},
}


def check_input_type(input_dtype: str | None, input_scale: float | None) -> None:
    """The accelerator's input: integers of a known type times a positive scale (None: not given yet)."""
    if input_dtype is not None and input_dtype not in INPUT_DTYPES:
        raise SbnHwError(f"unknown input type '{input_dtype}': choose one of {', '.join(INPUT_DTYPES)}")
    if input_scale is not None and not input_scale > 0:
        raise SbnHwError(f"--input-scale must be > 0, got {input_scale}")
    if input_dtype == "BIPOLAR" and input_scale not in (None, 1.0):
        raise SbnHwError("a BIPOLAR input takes no scale: drop --input-scale")


def unsigned_dtype_for(max_value: int) -> str:
    """The narrowest UINTn holding 0..max_value (at least UINT2: a 1-bit input is BINARY)."""
    return f"UINT{max(2, int(max_value).bit_length())}"

# How a layer multiplies (see docs/ENCODINGS.md); a 1-bit value travels as one bit.
#   xnor:    bipolar act x bipolar weight: acc = popcount(XNOR(a, w))          in [0, MW]
#   int:     integer act x bipolar weight: acc = sum(w ? x : -x)               (first layers)
#   and_act: binary act {0,1} x bipolar weight: acc = 2*popcount(a AND w) - popcount(a)  (Si-BNN)
#   and_w:   bipolar act x binary weight {0,1}: acc = popcount(a AND w)        in [0, MW]  (SiMaN)
MODES = ("xnor", "int", "and_act", "and_w")
# What an integer-input layer's arithmetic is built of (FINN's MVAU resType): "lut" adder trees, or
# "dsp": two lanes per DSP48 multiplier, chained post-adders (rtl/sbn_dsp_dot.v; inputs of <= 8 bits).
RES_TYPES = ("lut", "dsp")
DSP_MAX_IN_BITS = 8
BIT_MODES = ("xnor", "and_act", "and_w")  # inputs are single bits


def bits_for_range(lo: int, hi: int) -> tuple[int, bool]:
    """Smallest (width, signed) two's-complement/unsigned encoding holding [lo, hi]."""
    if lo >= 0:
        return max(1, int(hi).bit_length()), False
    width = max(int(hi).bit_length(), int(-lo - 1).bit_length()) + 1
    return width, True


@dataclass(frozen=True)
class LayerSpec:
    """One matrix-vector-threshold layer, folded PE x SIMD.

    Accumulator per output o depends on `mode` (see MODES). With thresholds the output bit is
    (acc >= T_o), or (acc <= T_o) where threshold_le[o]; without, the output is acc itself.
    """

    name: str
    mw: int  # inputs per vector
    mh: int  # outputs per vector
    pe: int  # outputs computed in parallel; divides mh
    simd: int  # inputs consumed in parallel; divides mw
    mode: str
    in_min: int  # input element range (bits for xnor mode)
    in_max: int
    weights: np.ndarray  # (mh, mw) uint8: 1 means +1 (0 means -1), or 1/0 in and_w mode
    thresholds: np.ndarray | None = None  # (mh,) int64
    threshold_le: np.ndarray | None = field(default=None)  # (mh,) bool
    # Memory styles (folding.RAM_STYLES, FINN's ram_style / ram_style_thresholds): "auto" is resolved
    # by size when the accelerator is folded (Accelerator.with_folding) and in saved descriptions.
    ram_style: str = "auto"  # weight memory
    ram_style_thresholds: str = "auto"  # threshold memory
    vectors: int = 1  # input vectors per frame: a convolution's output pixels (OH*OW), 1 for a dense layer
    res_type: str = "lut"  # RES_TYPES: an integer layer's arithmetic in LUTs or DSP48 slices

    kind = "mvau"  # the layer kinds: LayerSpec "mvau", ThresholdSpec "threshold"

    def __post_init__(self):
        if self.mode not in MODES:
            raise SbnHwError(f"layer {self.name}: unknown mode '{self.mode}'")
        if self.weights.shape != (self.mh, self.mw):
            raise SbnHwError(f"layer {self.name}: weights have shape {self.weights.shape}, expected {(self.mh, self.mw)}")
        check_folding(self.name, self.mw, self.mh, self.pe, self.simd)
        if self.vectors < 1:
            raise SbnHwError(f"layer {self.name}: vectors per frame must be >= 1, got {self.vectors}")
        check_ram_style(self.name, "ram_style", self.ram_style)
        check_ram_style(self.name, "ram_style_thresholds", self.ram_style_thresholds)
        check_res_type(self.name, self.res_type, self.mode, self.in_bits)

    @property
    def sf(self) -> int:
        return self.mw // self.simd

    @property
    def nf(self) -> int:
        return self.mh // self.pe

    @property
    def cycles(self) -> int:
        """Cycles per frame: (MW/SIMD)*(MH/PE) per vector."""
        return self.sf * self.nf * self.vectors

    @property
    def has_thresholds(self) -> bool:
        return self.thresholds is not None

    @property
    def in_bits(self) -> int:
        return bits_for_range(self.in_min, self.in_max)[0]

    @property
    def in_signed(self) -> bool:
        return self.in_min < 0

    @property
    def acc_range(self) -> tuple[int, int]:
        if self.mode in ("xnor", "and_w"):
            return 0, self.mw
        if self.mode == "and_act":
            return -self.mw, self.mw
        m = self.mw * max(abs(self.in_min), abs(self.in_max))
        return -m, m

    @property
    def acc_bits(self) -> int:
        return bits_for_range(*self.acc_range)[0]

    # The stream protocol every layer kind has (backends and the shell read these):
    # elements per frame in/out, elements per beat in/out, beats per frame in/out.
    @property
    def in_elems(self) -> int:
        return self.mw * self.vectors

    @property
    def out_elems(self) -> int:
        return self.mh * self.vectors

    @property
    def in_per_beat(self) -> int:
        return self.simd

    @property
    def out_per_beat(self) -> int:
        return self.pe

    @property
    def in_words(self) -> int:
        return self.sf * self.vectors

    @property
    def out_words(self) -> int:
        return self.nf * self.vectors

    @property
    def out_signed(self) -> bool:
        return False if self.has_thresholds else self.acc_signed

    @property
    def out_range(self) -> tuple[int, int]:
        return (0, 1) if self.has_thresholds else self.acc_range

    @property
    def acc_signed(self) -> bool:
        return self.acc_range[0] < 0

    @property
    def th_bits(self) -> int:
        """Signed width for thresholds clamped to [acc_min - 1, acc_max + 1]."""
        lo, hi = self.acc_range
        return bits_for_range(min(lo - 1, -1), hi + 1)[0]

    @property
    def out_bits(self) -> int:
        return 1 if self.has_thresholds else self.acc_bits

    @property
    def weight_memory_shape(self) -> tuple[int, int]:
        """(words, bits per word) of the weight memory: one word per cycle of PE*SIMD weights."""
        return self.sf * self.nf, self.pe * self.simd

    @property
    def threshold_memory_shape(self) -> tuple[int, int]:
        """(words, bits per word) of the threshold memory: PE entries {le, T} per output row."""
        return self.nf, self.pe * (self.th_bits + 1)

    def summary(self) -> str:
        return (f"{self.mw}x{self.mh} {self.mode}" + (f" on {self.vectors} vectors" if self.vectors > 1 else "")
                + f", PE={self.pe} SIMD={self.simd}, {self.cycles} cycles/frame"
                + (f", {self.dsp_count} DSP48" if self.res_type == "dsp" else "")
                + (", thresholds" if self.has_thresholds else ", integer output"))

    @property
    def dsp_capable(self) -> bool:
        """resType "dsp" can build this layer: integer inputs of at most DSP_MAX_IN_BITS bits."""
        return self.mode == "int" and self.in_bits <= DSP_MAX_IN_BITS

    @property
    def dsp_count(self) -> int:
        """DSP48 slices of resType "dsp": one per two lanes of each PE."""
        return self.pe * -(-self.simd // 2) if self.res_type == "dsp" else 0

    def as_record(self) -> dict:
        return {"name": self.name, "kind": self.kind, "mw": self.mw, "mh": self.mh, "vectors": self.vectors,
                "pe": self.pe, "simd": self.simd,
                "mode": self.mode, "cycles": self.cycles, "ram_style": self.ram_style,
                "ram_style_thresholds": self.ram_style_thresholds if self.has_thresholds else None,
                "res_type": self.res_type}

    def with_resolved_memory_styles(self) -> "LayerSpec":
        """The same layer with "auto" memory styles replaced by the style chosen for its size."""
        return replace(self, ram_style=resolve_ram_style(self.ram_style, *self.weight_memory_shape),
                       ram_style_thresholds=resolve_ram_style(self.ram_style_thresholds, *self.threshold_memory_shape))


def check_res_type(name: str, res_type: str, mode: str, in_bits: int) -> None:
    """resType "dsp" builds integer-input layers only, of inputs that fit its packing."""
    if res_type not in RES_TYPES:
        raise SbnHwError(f"layer {name}: resType '{res_type}' is not one of {', '.join(RES_TYPES)}")
    if res_type == "dsp" and mode != "int":
        raise SbnHwError(f"layer {name}: resType 'dsp' builds integer-input layers only ({mode} layers are "
                         "popcounts in LUTs); use resType 'lut' for it")
    if res_type == "dsp" and in_bits > DSP_MAX_IN_BITS:
        raise SbnHwError(f"layer {name}: resType 'dsp' packs inputs of at most {DSP_MAX_IN_BITS} bits, this layer's "
                         f"are {in_bits}; use resType 'lut' for it")


def check_folding(name: str, mw: int, mh: int, pe: int, simd: int) -> None:
    if pe < 1 or mh % pe:
        raise SbnHwError(f"layer {name}: PE={pe} does not divide MH={mh} outputs; choose PE from {divisors(mh)}")
    if simd < 1 or mw % simd:
        raise SbnHwError(f"layer {name}: SIMD={simd} does not divide MW={mw} inputs; choose SIMD from {divisors(mw)}")


@dataclass(frozen=True)
class ThresholdSpec:
    """An elementwise multi-threshold unit (an input quantizer in hardware, FINN's Thresholding):
    element i of a frame, of channel c = i mod C, becomes out_bias + #{k : x_i >= T[c, k]}.
    PE elements per beat in and out; one beat per cycle."""

    name: str
    elements: int  # elements per frame
    pe: int  # elements per beat; divides elements, and C unless C == 1 (one row for every element)
    in_min: int  # input element range
    in_max: int
    thresholds: np.ndarray  # (C, T) int64, ascending per row, clamped to [in_min, in_max + 1]
    out_bias: int = 0
    ram_style: str = "auto"  # threshold memory (FINN's Thresholding ram_style)

    kind = "threshold"
    has_thresholds = True  # its output is a quantized activation, not an accumulator

    def __post_init__(self):
        t = np.asarray(self.thresholds)
        if t.ndim != 2 or t.shape[0] < 1 or t.shape[1] < 1:
            raise SbnHwError(f"layer {self.name}: thresholds must be (channels, thresholds), got shape {t.shape}")
        if np.any(np.diff(t, axis=1) < 0):
            raise SbnHwError(f"layer {self.name}: thresholds must ascend along each channel")
        if t.min() < self.in_min or t.max() > self.in_max + 1:
            raise SbnHwError(f"layer {self.name}: thresholds must lie in [{self.in_min}, {self.in_max + 1}] "
                             "(clamp_input_thresholds makes them so without changing any output)")
        c = t.shape[0]
        if self.elements % c:
            raise SbnHwError(f"layer {self.name}: {c} threshold channels do not divide {self.elements} elements")
        if self.pe < 1 or self.elements % self.pe or (c > 1 and c % self.pe):
            allowed = [d for d in divisors(self.elements) if c == 1 or c % d == 0]
            raise SbnHwError(f"layer {self.name}: PE={self.pe} must divide the {self.elements} elements"
                             + (f" and the {c} channels" if c > 1 else "") + f"; choose PE from {allowed}")
        check_ram_style(self.name, "ram_style", self.ram_style)

    @property
    def channels(self) -> int:
        return int(self.thresholds.shape[0])

    @property
    def n_thresholds(self) -> int:
        return int(self.thresholds.shape[1])

    @property
    def in_bits(self) -> int:
        return bits_for_range(self.in_min, self.in_max)[0]

    @property
    def in_signed(self) -> bool:
        return self.in_min < 0

    @property
    def out_range(self) -> tuple[int, int]:
        return int(self.out_bias), int(self.out_bias) + self.n_thresholds

    @property
    def out_bits(self) -> int:
        return bits_for_range(*self.out_range)[0]

    @property
    def out_signed(self) -> bool:
        return self.out_range[0] < 0

    @property
    def th_bits(self) -> int:
        """Signed width of thresholds clamped to [in_min, in_max + 1]."""
        return bits_for_range(min(self.in_min, -1), self.in_max + 1)[0]

    @property
    def ch_words(self) -> int:
        """Words of the threshold memory: one per beat until the channels repeat."""
        return 1 if self.channels == 1 else self.channels // self.pe

    @property
    def threshold_memory_shape(self) -> tuple[int, int]:
        return self.ch_words, self.pe * self.n_thresholds * self.th_bits

    in_elems = out_elems = property(lambda self: self.elements)
    simd = in_per_beat = out_per_beat = property(lambda self: self.pe)
    sf = nf = in_words = out_words = cycles = property(lambda self: self.elements // self.pe)

    def summary(self) -> str:
        lo, hi = self.out_range
        return (f"{self.elements} elements -> [{lo}, {hi}] by {self.n_thresholds} threshold(s) x {self.channels} "
                f"channel(s), PE={self.pe}, {self.cycles} cycles/frame")

    def as_record(self) -> dict:
        return {"name": self.name, "kind": self.kind, "elements": self.elements, "channels": self.channels,
                "thresholds": self.n_thresholds, "out_bias": int(self.out_bias), "pe": self.pe, "cycles": self.cycles,
                "ram_style": self.ram_style}

    def with_resolved_memory_styles(self) -> "ThresholdSpec":
        return replace(self, ram_style=resolve_ram_style(self.ram_style, *self.threshold_memory_shape))


def clamp_input_thresholds(t: np.ndarray, in_min: int, in_max: int) -> np.ndarray:
    """Thresholds on integers in [in_min, in_max] as integers in [in_min, in_max + 1]: x >= t is
    x >= ceil(t), always true below in_min and never above in_max, so no output changes."""
    return np.clip(np.ceil(np.asarray(t, dtype=np.float64)), in_min, in_max + 1).astype(np.int64)


@dataclass(frozen=True)
class WindowSpec:
    """A sliding-window unit (FINN's ConvolutionInputGenerator, rtl/sbn_swu.v): an NHWC image of
    ifm_h x ifm_w pixels of `channels` elements in, for each output pixel of a valid (unpadded)
    K x K convolution with `stride` its window's K*K*C elements out, in (ky, kx, c) order: the
    input vectors of the MVAU that follows. SIMD elements per beat in and out."""

    name: str
    ifm_h: int
    ifm_w: int
    channels: int
    k: int
    stride: int
    simd: int  # elements per beat; divides channels
    in_min: int  # element range (passed through)
    in_max: int

    kind = "window"
    has_thresholds = True  # passes activations on

    def __post_init__(self):
        for what, v in (("image height", self.ifm_h), ("image width", self.ifm_w), ("channels", self.channels),
                        ("kernel", self.k), ("stride", self.stride)):
            if v < 1:
                raise SbnHwError(f"layer {self.name}: {what} must be >= 1, got {v}")
        if self.k > min(self.ifm_h, self.ifm_w):
            raise SbnHwError(f"layer {self.name}: a {self.k}x{self.k} kernel does not fit the {self.ifm_h}x{self.ifm_w} "
                             "image (convolutions are unpadded)")
        if self.simd < 1 or self.channels % self.simd:
            raise SbnHwError(f"layer {self.name}: SIMD={self.simd} does not divide its {self.channels} channels; "
                             f"choose SIMD from {divisors(self.channels)}")

    @property
    def ofm(self) -> tuple[int, int]:
        return (self.ifm_h - self.k) // self.stride + 1, (self.ifm_w - self.k) // self.stride + 1

    @property
    def pe(self) -> int:
        return self.simd

    in_per_beat = out_per_beat = property(lambda self: self.simd)
    in_bits = out_bits = property(lambda self: bits_for_range(self.in_min, self.in_max)[0])
    in_signed = out_signed = property(lambda self: self.in_min < 0)
    out_range = property(lambda self: (self.in_min, self.in_max))
    in_elems = property(lambda self: self.ifm_h * self.ifm_w * self.channels)
    out_elems = property(lambda self: self.ofm[0] * self.ofm[1] * self.k * self.k * self.channels)
    in_words = property(lambda self: self.in_elems // self.simd)
    out_words = property(lambda self: self.out_elems // self.simd)

    @property
    def cycles(self) -> int:
        """One beat in or out per cycle, in and out overlapping: the larger count."""
        return max(self.in_words, self.out_words)

    def summary(self) -> str:
        oh, ow = self.ofm
        return (f"{self.k}x{self.k} windows, stride {self.stride}, over {self.ifm_h}x{self.ifm_w}x{self.channels} -> "
                f"{oh}x{ow} pixels, SIMD={self.simd}, {self.cycles} cycles/frame")

    def as_record(self) -> dict:
        return {"name": self.name, "kind": self.kind, "ifm": [self.ifm_h, self.ifm_w, self.channels], "k": self.k,
                "stride": self.stride, "simd": self.simd, "cycles": self.cycles}

    def with_resolved_memory_styles(self) -> "WindowSpec":
        return self


@dataclass(frozen=True)
class PoolSpec:
    """Streaming max-pool (rtl/sbn_maxpool.v): K x K windows with stride K over an NHWC map of
    ifm_h x ifm_w pixels of `channels` elements (trailing rows/columns that fill no window are
    dropped, as torch's MaxPool2d does). On bits (bipolar 1 = +1, or {0,1}) the max is an OR."""

    name: str
    ifm_h: int
    ifm_w: int
    channels: int
    k: int
    pe: int  # elements per beat; divides channels
    in_min: int
    in_max: int

    kind = "pool"
    has_thresholds = True

    def __post_init__(self):
        if self.k < 1 or self.k > min(self.ifm_h, self.ifm_w):
            raise SbnHwError(f"layer {self.name}: pool size {self.k} must be between 1 and the {self.ifm_h}x{self.ifm_w} map")
        if self.pe < 1 or self.channels % self.pe:
            raise SbnHwError(f"layer {self.name}: PE={self.pe} does not divide its {self.channels} channels; "
                             f"choose PE from {divisors(self.channels)}")

    @property
    def ofm(self) -> tuple[int, int]:
        return self.ifm_h // self.k, self.ifm_w // self.k

    simd = in_per_beat = out_per_beat = property(lambda self: self.pe)
    in_bits = out_bits = property(lambda self: bits_for_range(self.in_min, self.in_max)[0])
    in_signed = out_signed = property(lambda self: self.in_min < 0)
    out_range = property(lambda self: (self.in_min, self.in_max))
    in_elems = property(lambda self: self.ifm_h * self.ifm_w * self.channels)
    out_elems = property(lambda self: self.ofm[0] * self.ofm[1] * self.channels)
    in_words = property(lambda self: self.in_elems // self.pe)
    out_words = property(lambda self: self.out_elems // self.pe)
    cycles = property(lambda self: self.in_words)  # one beat in per cycle; outputs leave in between

    def summary(self) -> str:
        oh, ow = self.ofm
        return (f"max-pool {self.k}x{self.k} over {self.ifm_h}x{self.ifm_w}x{self.channels} -> {oh}x{ow}, PE={self.pe}, "
                f"{self.cycles} cycles/frame")

    def as_record(self) -> dict:
        return {"name": self.name, "kind": self.kind, "ifm": [self.ifm_h, self.ifm_w, self.channels], "k": self.k,
                "pe": self.pe, "cycles": self.cycles}

    def with_resolved_memory_styles(self) -> "PoolSpec":
        return self


@dataclass(frozen=True)
class LabSpec:
    """LAB's K x K binarizer (rtl/sbn_lab.v): the integer accumulators of the MVAU before it, an
    NHWC map of ifm_h x ifm_w pixels of `channels` elements, become one bit per element: with
    S = sum of taps[c] over the K x K window around the pixel ("same" zero padding: taps outside
    the map add nothing), the bit is S >= T or, where threshold_le[c], S <= T, T being
    thresholds[c, cy, cx] for the pixel's border classes (golden.lab.border_classes of its row and
    column: which taps are inside the map). PE elements per beat in and out."""

    name: str
    ifm_h: int
    ifm_w: int
    channels: int
    k: int  # odd kernel side
    pe: int  # elements per beat; divides channels
    in_min: int  # accumulator range of the MVAU before it
    in_max: int
    taps: np.ndarray  # (C, K, K) int64
    thresholds: np.ndarray  # (C, K, K) int64, per border class (cy, cx)
    threshold_le: np.ndarray  # (C,) bool

    kind = "lab"
    has_thresholds = True

    def __post_init__(self):
        if self.k < 1 or self.k % 2 == 0 or self.k > 15:
            raise SbnHwError(f"layer {self.name}: LAB kernel must be odd, from 1 to 15 (rtl/sbn_lab.v), got {self.k}")
        for what, v in (("map height", self.ifm_h), ("map width", self.ifm_w), ("channels", self.channels)):
            if v < 1:
                raise SbnHwError(f"layer {self.name}: {what} must be >= 1, got {v}")
        c, k = self.channels, self.k
        for what, a, shape in (("taps", self.taps, (c, k, k)), ("thresholds", self.thresholds, (c, k, k)),
                               ("threshold_le", self.threshold_le, (c,))):
            if np.shape(a) != shape:
                raise SbnHwError(f"layer {self.name}: {what} have shape {np.shape(a)}, expected {shape}")
        if self.pe < 1 or c % self.pe:
            raise SbnHwError(f"layer {self.name}: PE={self.pe} does not divide its {c} channels; "
                             f"choose PE from {divisors(c)}")
        lo, hi = self.sum_range
        if self.thresholds.min() < lo - 1 or self.thresholds.max() > hi + 1:
            raise SbnHwError(f"layer {self.name}: thresholds must lie in [{lo - 1}, {hi + 1}] (clamp them)")

    @property
    def sum_range(self) -> tuple[int, int]:
        """Bounds of S over every channel, whatever the inputs."""
        from sbn_hw.golden.lab import window_sum_bound

        m = window_sum_bound(self.taps, self.in_min, self.in_max)
        return -m, m

    @property
    def tap_bits(self) -> int:
        return max(2, bits_for_range(min(int(self.taps.min()), -1), int(self.taps.max()))[0])

    @property
    def sum_bits(self) -> int:
        lo, hi = self.sum_range
        return max(2, bits_for_range(min(lo, -1), hi)[0])

    @property
    def th_bits(self) -> int:
        lo, hi = self.sum_range
        return bits_for_range(lo - 1, hi + 1)[0]

    @property
    def ch_words(self) -> int:
        return self.channels // self.pe

    @property
    def tap_memory_shape(self) -> tuple[int, int]:
        return self.ch_words, self.pe * self.k * self.k * self.tap_bits

    @property
    def threshold_memory_shape(self) -> tuple[int, int]:
        return self.ch_words, self.pe * (self.k * self.k * self.th_bits + 1)

    simd = in_per_beat = out_per_beat = property(lambda self: self.pe)
    in_bits = property(lambda self: bits_for_range(self.in_min, self.in_max)[0])
    in_signed = property(lambda self: self.in_min < 0)
    out_bits, out_signed, out_range = 1, False, (0, 1)
    in_elems = out_elems = property(lambda self: self.ifm_h * self.ifm_w * self.channels)
    in_words = out_words = property(lambda self: self.in_elems // self.pe)

    @property
    def lag(self) -> int:
        """Beats between a beat's arrival and its output (the window's half: R rows and R pixels)."""
        r = self.k // 2
        return (r * self.ifm_w + r) * self.ch_words

    @property
    def cycles(self) -> int:
        """Frames back to back: one beat per cycle (the next frame's head finishes this one's windows)."""
        return self.in_words

    @property
    def worst_cycles(self) -> int:
        """A frame whose successor is late: `lag` empty shifts finish its last windows (rtl/sbn_lab.v)."""
        return self.in_words + self.lag

    def summary(self) -> str:
        return (f"LAB {self.k}x{self.k} over {self.ifm_h}x{self.ifm_w}x{self.channels} integers -> bits, "
                f"{self.tap_bits}-bit taps, PE={self.pe}, {self.cycles} cycles/frame")

    def as_record(self) -> dict:
        return {"name": self.name, "kind": self.kind, "ifm": [self.ifm_h, self.ifm_w, self.channels], "k": self.k,
                "pe": self.pe, "tap_bits": self.tap_bits, "cycles": self.cycles}

    def with_resolved_memory_styles(self) -> "LabSpec":
        return self


Layer = LayerSpec | ThresholdSpec | WindowSpec | PoolSpec | LabSpec
FOLDABLE_KINDS = ("mvau", "threshold")  # the kinds with memories and a folding of their own
# Fields saved per kind (arrays apart).
_WINDOW_META = ("name", "ifm_h", "ifm_w", "channels", "k", "stride", "simd", "in_min", "in_max")
_POOL_META = ("name", "ifm_h", "ifm_w", "channels", "k", "pe", "in_min", "in_max")
_LAB_META = ("name", "ifm_h", "ifm_w", "channels", "k", "pe", "in_min", "in_max")


_MVAU_META = ("name", "mw", "mh", "pe", "simd", "mode", "in_min", "in_max", "ram_style", "ram_style_thresholds",
              "vectors", "res_type")
_THRESHOLD_META = ("name", "elements", "pe", "in_min", "in_max", "out_bias", "ram_style")


@dataclass(frozen=True)
class Accelerator:
    layers: tuple[Layer, ...]
    input_dtype: str
    input_scale: float
    output_scale: np.ndarray  # host-side float affine after the last layer: acc * scale + bias
    output_bias: np.ndarray
    name: str = "sbn_accel"
    # (C, H, W) of a convolutional network's NCHW input: the host streams each image in NHWC
    # order (pixels row-major, channels innermost). None: a flat vector, streamed as it is.
    input_chw: tuple[int, int, int] | None = None

    def __post_init__(self):
        if self.input_chw is not None and int(np.prod(self.input_chw)) != self.layers[0].in_elems:
            raise SbnHwError(f"input of shape {tuple(self.input_chw)} does not hold the {self.layers[0].in_elems} "
                             f"elements layer {self.layers[0].name} takes")
        for a, b in zip(self.layers, self.layers[1:]):
            if a.out_elems != b.in_elems:
                raise SbnHwError(f"layer {b.name} takes {b.in_elems} inputs but {a.name} produces {a.out_elems}")
            if not a.has_thresholds and b.kind != "lab":
                raise SbnHwError(f"layer {a.name} has no thresholds but is not the last layer")
            lo, hi = a.out_range
            if lo < b.in_min or hi > b.in_max or a.out_bits != b.in_bits:
                raise SbnHwError(f"layer {a.name} emits {a.out_bits}-bit values in [{lo}, {hi}] but {b.name} takes "
                                 f"{b.in_bits}-bit values in [{b.in_min}, {b.in_max}]")
            if not streams_compatible(a.out_per_beat, b.in_per_beat):
                raise SbnHwError(
                    f"stream width mismatch: {a.name} emits PE={a.out_per_beat} values per beat and {b.name} takes "
                    f"SIMD={b.in_per_beat}; one must divide the other (change one of them)"
                )

    @property
    def cycles_per_frame(self) -> int:
        """Analytic initiation interval: the slowest layer's (MW/SIMD)*(MH/PE)."""
        return max(layer.cycles for layer in self.layers)

    @property
    def in_features(self) -> int:
        return self.layers[0].in_elems

    @property
    def out_features(self) -> int:
        return self.layers[-1].out_elems

    @property
    def mvau_layers(self) -> list[LayerSpec]:
        return [l for l in self.layers if l.kind == "mvau"]

    def save(self, path: Path) -> Path:
        path = Path(path)
        meta_layers = []
        arrays = {"output_scale": self.output_scale, "output_bias": self.output_bias}
        for i, l in enumerate(l.with_resolved_memory_styles() for l in self.layers):
            if l.kind in ("window", "pool"):
                meta_layers.append({"kind": l.kind, **{k: getattr(l, k) for k in
                                                       (_WINDOW_META if l.kind == "window" else _POOL_META)}})
                continue
            if l.kind == "lab":
                meta_layers.append({"kind": l.kind, **{k: getattr(l, k) for k in _LAB_META}})
                arrays.update({f"q{i}": l.taps, f"t{i}": l.thresholds, f"le{i}": l.threshold_le})
                continue
            if l.kind == "threshold":
                meta_layers.append({"kind": l.kind, **{k: getattr(l, k) for k in _THRESHOLD_META}})
                arrays[f"t{i}"] = l.thresholds
                continue
            meta_layers.append({k: getattr(l, k) for k in _MVAU_META})
            arrays[f"w{i}"] = l.weights
            if l.has_thresholds:
                arrays[f"t{i}"] = l.thresholds
                arrays[f"le{i}"] = l.threshold_le
        meta = {"name": self.name, "input_dtype": self.input_dtype, "input_scale": self.input_scale,
                "input_chw": list(self.input_chw) if self.input_chw else None, "layers": meta_layers}
        tmp = path.with_name(path.name + ".partial.npz")
        np.savez(tmp, meta=np.array(json.dumps(meta)), **arrays)
        tmp.replace(path)
        return path

    @staticmethod
    def load(path: Path) -> "Accelerator":
        path = Path(path)
        if not path.is_file():
            raise SbnHwError(f"no accelerator description at '{path}': run `sbn-hw compile` first")
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            layers = []
            for i, lm in enumerate(meta["layers"]):
                # Descriptions saved before layer kinds existed hold MVAUs only; before memory
                # styles, none: they load as "auto", resolved.
                kind = lm.pop("kind", "mvau")
                if kind in ("window", "pool"):
                    layers.append((WindowSpec if kind == "window" else PoolSpec)(**lm))
                    continue
                if kind == "lab":
                    layers.append(LabSpec(**lm, taps=z[f"q{i}"], thresholds=z[f"t{i}"], threshold_le=z[f"le{i}"]))
                    continue
                if kind == "threshold":
                    layers.append(ThresholdSpec(**lm, thresholds=z[f"t{i}"]).with_resolved_memory_styles())
                    continue
                layers.append(LayerSpec(
                    **lm,
                    weights=z[f"w{i}"],
                    thresholds=z[f"t{i}"] if f"t{i}" in z else None,
                    threshold_le=z[f"le{i}"] if f"le{i}" in z else None,
                ).with_resolved_memory_styles())
            chw = meta.get("input_chw")
            return Accelerator(tuple(layers), meta["input_dtype"], meta["input_scale"], z["output_scale"],
                               z["output_bias"], meta["name"], tuple(chw) if chw else None)

    @property
    def res_types(self) -> list[str]:
        """Each layer's resType ("lut" for the layers that have none: stream units, thresholds)."""
        return [getattr(l, "res_type", "lut") for l in self.layers]

    def with_int_res_type(self, res_type: str) -> "Accelerator":
        """Every integer-input MVAU that resType "dsp" can build set to res_type ("lut" or "dsp"; an
        input too wide for the DSP packing stays "lut")."""
        return replace(self, layers=tuple(
            replace(l, res_type=res_type) if l.kind == "mvau" and l.dsp_capable else l
            for l in self.layers))

    @property
    def folding(self) -> list[tuple[int, int, str, str]]:
        """(PE, SIMD, ram_style, ram_style_thresholds) per layer, as with_folding takes it (a
        threshold layer: (PE, PE, "auto", its memory style))."""
        return [(l.pe, l.pe, "auto", l.ram_style) if l.kind == "threshold" else
                (l.pe, l.simd, "auto", "auto") if l.kind in ("window", "pool", "lab") else
                (l.pe, l.simd, l.ram_style, l.ram_style_thresholds) for l in self.layers]

    def with_folding(self, folding: list[tuple]) -> "Accelerator":
        """Same accelerator with (PE, SIMD), or (PE, SIMD, ram_style, ram_style_thresholds[, resType]), per
        layer replaced (resType "auto" or None keeps the layer's). "auto" memory styles are then resolved for the new folding; a (PE, SIMD)
        entry keeps the layer's style, so pass "auto" to choose again for a new folding."""
        if len(folding) != len(self.layers):
            raise SbnHwError(f"folding has {len(folding)} entries for {len(self.layers)} layers")
        layers = []
        for l, f in zip(self.layers, folding):
            if l.kind == "threshold":  # PE only (elements in = out per beat); its memory is the thresholds'
                styles = dict(ram_style=f[3]) if len(f) > 2 else {}
                layers.append(replace(l, pe=f[0], **styles).with_resolved_memory_styles())
                continue
            if l.kind == "window":  # elements per beat: SIMD (FINN's ConvolutionInputGenerator)
                layers.append(replace(l, simd=f[1]))
                continue
            if l.kind in ("pool", "lab"):
                layers.append(replace(l, pe=f[0]))
                continue
            styles = dict(ram_style=f[2], ram_style_thresholds=f[3]) if len(f) > 2 else {}
            if len(f) > 4 and f[4] not in (None, "auto"):  # a folding file's resType
                styles["res_type"] = f[4]
            layers.append(replace(l, pe=f[0], simd=f[1], **styles).with_resolved_memory_styles())
        return replace(self, layers=tuple(layers))
