"""Choosing PE (parallel outputs), SIMD (parallel inputs) and the memory styles per layer, and
reading / writing them as FINN's folding JSON."""

from __future__ import annotations

import json
import re
from pathlib import Path

from sbn_hw import SbnHwError


MAX_PREFERRED_SIMD = 64

# How a layer's weight and threshold memories are built: FINN's `ram_style` values plus "logic"
# (FINN's "ultra", UltraRAM, has no 7-series part). rtl/sbn_mvau.v (sbn_mvau_rom) turns each into
# synthesis attributes; "auto" is resolved by size at compile time (auto_ram_style).
RAM_STYLES = ("auto", "block", "distributed", "logic")
# The folding-JSON keys this flow reads; FINN's other keys (mem_mode, ...) are ignored.
FOLDING_KEYS = ("PE", "SIMD", "ram_style", "ram_style_thresholds", "resType")
# FINN MVAU resType values: "auto" leaves the choice to compile (LUTs, or --budget's pick).
RES_TYPE_VALUES = ("auto", "lut", "dsp")
# FINN op types each of our layer kinds is (a "Defaults" value applies to a layer when it names
# one of its kind's, or "all"). FINN names nodes <op type>_<index>, the index counting per op type
# (our sliding windows count the convolutions' only, pools theirs: as finn-examples' CNV files do);
# the op type carries the backend since FINN v0.10 (MVAU_hls_0, Thresholding_rtl_0), and older
# configs use the long names (MatrixVectorActivation_0, Thresholding_Batch_0).
KIND_OP_TYPES = {
    "mvau": ("MVAU", "MVAU_hls", "MVAU_rtl", "MatrixVectorActivation"),
    "threshold": ("Thresholding", "Thresholding_hls", "Thresholding_rtl", "Thresholding_Batch"),
    "window": ("ConvolutionInputGenerator", "ConvolutionInputGenerator_hls", "ConvolutionInputGenerator_rtl"),
    "pool": ("StreamingMaxPool", "StreamingMaxPool_hls", "StreamingMaxPool_rtl", "StreamingMaxPool_Batch"),
    "lab": ("LAB",),  # sbn-hw's own LAB unit (FINN has none): LAB_0, LAB_1, ... with a PE
}
LAYER_OP_TYPES = KIND_OP_TYPES["mvau"]
# Our layer names per kind (MVAU_0, Thresholding_0, ...): the canonical FINN op type.
KIND_PREFIX = {"mvau": "MVAU", "threshold": "Thresholding", "window": "ConvolutionInputGenerator",
               "pool": "StreamingMaxPool", "lab": "LAB"}
# FINN layers that have no counterpart in an sbn-hw accelerator (their entries are listed, not used):
# the host takes the argmax (LabelSelect), and FIFOs / width converters are sized by the generator.
FINN_ONLY_OP_TYPES = ("LabelSelect", "StreamingFIFO", "StreamingDataWidthConverter", "TLastMarker", "IODMA",
                      "AddStreams", "DuplicateStreams", "ChannelwiseOp", "GlobalAccPool", "LabelSelect_Batch",
                      "StreamingDataWidthConverter_Batch", "Pool", "Pool_Batch", "FMPadding", "FMPadding_Batch",
                      "VectorVectorActivation", "VVAU", "StreamingEltwise", "UpsampleNearestNeighbour", "Lookup",
                      "ConvolutionInputGenerator1D", "DownSampler", "StreamingConcat", "StreamingSplit")

# auto_ram_style's thresholds, from Yosys synth_xilinx of sbn_mvau layers (xnor, SIMD = width,
# 64..2048 words of 4..64 bits, each memory as logic and as block RAM; see auto_ram_style).
LOGIC_MAX_DEPTH = 32  # each stored bit column fits in one LUT5: no RAM can save anything
ROM_LUT_FACTOR = 5  # Yosys LUTs per ideal LUT6 (64 bits) of a deeper ROM beside its counter (measured 3.8-6.4)
LUTS_PER_BRAM18 = 190  # xc7z020 (PYNQ-Z2): 53,200 LUTs / 280 RAMB18: a RAMB18 is worth ~190 LUTs of the part


def divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def streams_compatible(prev_pe: int, simd: int) -> bool:
    """A width converter joins two layers when one width divides the other."""
    return simd % prev_pe == 0 or prev_pe % simd == 0


def check_ram_style(layer: str, key: str, value) -> str:
    if value not in RAM_STYLES:
        raise SbnHwError(f"layer {layer}: {key}={value!r} is not a memory style; choose one of {list(RAM_STYLES)}")
    return value


def bram18_count(depth: int, width: int) -> int:
    """RAMB18s holding a depth x width ROM, at the best 7-series aspect ratio (16K x 1 ... 512 x 36)."""
    shapes = ((16384, 1), (8192, 2), (4096, 4), (2048, 9), (1024, 18), (512, 36))
    return min(-(-depth // d) * -(-width // w) for d, w in shapes)


def rom_lut_estimate(depth: int, width: int) -> int:
    """LUTs a depth x width ROM (deeper than LOGIC_MAX_DEPTH) takes as LUTs in a layer, as Yosys
    builds it: ROM_LUT_FACTOR x the ideal one LUT6 per 64 words per bit (the address counter folds
    into the decode; 512 x 16 in a layer: 730 LUTs more than in block RAM, ideal 128)."""
    return ROM_LUT_FACTOR * width * -(-depth // 64)


def auto_ram_style(depth: int, width: int) -> str:
    """The memory style "auto" stands for, by the memory's size (depth words of width bits).

    logic       depth <= LOGIC_MAX_DEPTH (32): every bit column is one LUT5, nothing for a RAM to
                save; logic lets the tool fold constant columns (e.g. thresholds' sign bits).
    block       the LUTs it would take (rom_lut_estimate) reach LUTS_PER_BRAM18 (190) for each RAMB18
                it needs (bram18_count): deep memories, and wide ones with enough words to fill them.
    distributed the rest: memories that would leave block RAM mostly empty (LUTs holding the bits).

    Measured (Yosys, extra LUTs as logic over block RAM, per RAMB18): 128 x 64: 344 -> block;
    256 x 16: 346 -> block; 512 x 16: 730 -> block; 1024 x 4: 324 -> block; 512 x 4: 187 ->
    distributed; 128 x 16: 202 -> distributed (estimate 160; in a real layer, whose thresholds
    share bits, block RAM saved 92); 256 x 4: 101 and 64 x 64: 146 -> distributed.
    """
    if depth <= LOGIC_MAX_DEPTH:
        return "logic"
    if rom_lut_estimate(depth, width) >= LUTS_PER_BRAM18 * bram18_count(depth, width):
        return "block"
    return "distributed"


def resolve_ram_style(style: str, depth: int, width: int) -> str:
    """A concrete memory style: "auto" becomes auto_ram_style(depth, width), others stay."""
    return auto_ram_style(depth, width) if style == "auto" else style


def auto_folding(shapes: list[tuple[int, ...]], target_cycles: int) -> list[tuple[int, int]]:
    """Per layer (MW, MH) or (MW, MH, vectors) -> the cheapest (PE, SIMD) with
    (MW/SIMD)*(MH/PE)*vectors <= target_cycles (a convolution runs its matrix once per output pixel).

    Cheapest = fewest PE*SIMD lanes; among equals prefer SIMD <= MAX_PREFERRED_SIMD (a shallow
    adder tree), then wide SIMD (fewer accumulator registers). Neighbouring layers are kept stream-compatible. If no folding meets the
    target, the fastest compatible one is used.
    """
    if target_cycles < 1:
        raise SbnHwError(f"target cycles per frame must be >= 1, got {target_cycles}")
    folding: list[tuple[int, int]] = []
    prev_pe = None
    for shape in shapes:
        mw, mh = shape[0], shape[1]
        vectors = shape[2] if len(shape) > 2 else 1
        options = [
            (pe, simd)
            for pe in divisors(mh)
            for simd in divisors(mw)
            if prev_pe is None or streams_compatible(prev_pe, simd)
        ]
        meeting = [o for o in options if (mw // o[1]) * (mh // o[0]) * vectors <= target_cycles]
        if meeting:
            pe, simd = min(meeting, key=lambda o: (o[0] * o[1], o[1] > MAX_PREFERRED_SIMD, -o[1]))
        else:
            pe, simd = min(options, key=lambda o: ((mw // o[1]) * (mh // o[0]), o[0] * o[1]))
        folding.append((pe, simd))
        prev_pe = pe
    return folding


def stream_unit_lanes(channels: int, elements: int, neighbours: list[int], target_cycles: int) -> int:
    """Elements per beat for a sliding-window or pool unit that moves `elements` per frame: a
    divisor of its channels that streams to and from its (already folded) neighbours, the fewest
    that meet the target cycles per frame (elements / lanes), else the most there are. 1 always
    streams."""
    fits = [d for d in divisors(channels) if all(streams_compatible(d, n) for n in neighbours)]
    meeting = [d for d in fits if elements // d <= target_cycles]
    return min(meeting) if meeting else max(fits)


def _default_value(path: Path, key: str, value, op_types=LAYER_OP_TYPES):
    """A "Defaults" value in FINN's form [value, op types, value, op types, ...] (op types: "all" or a
    list) -> the value for a layer of one of op_types, or None when it names other op types only. A
    bare value (not a list) applies to every layer."""
    if not isinstance(value, list):
        return value
    if len(value) % 2:
        raise SbnHwError(f"folding file '{path}': Defaults {key} must be [value, op types, ...] pairs as in "
                         f"FINN, e.g. {{\"{key}\": [{json.dumps(value[0] if value else 1)}, [\"MVAU\"]]}} or [.., \"all\"]")
    for val, ops in zip(value[::2], value[1::2]):
        if ops == "all" or (isinstance(ops, list) and any(op in op_types for op in ops)):
            return val
    return None


def _check_entry(path: Path, layer: str, entry: dict) -> dict:
    for key in ("PE", "SIMD"):
        v = entry.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
            raise SbnHwError(f"folding file '{path}': layer {layer}: {key}={v!r} must be a positive integer")
    for key in ("ram_style", "ram_style_thresholds"):
        if entry.get(key) is not None:
            check_ram_style(layer, key, entry[key])
    if entry.get("resType") is not None and entry["resType"] not in RES_TYPE_VALUES:
        raise SbnHwError(f"folding file '{path}': layer {layer}: resType={entry['resType']!r} must be one of "
                         f"{', '.join(RES_TYPE_VALUES)} (FINN's MVAU resType)")
    return entry


_FINN_NAME = re.compile(r"^(?P<op>[A-Za-z][A-Za-z0-9]*?(?:_Batch)?)(?:_(?P<backend>hls|rtl))?_(?P<index>\d+)$")


def canonical_layer_name(key: str) -> tuple[str | None, str | None]:
    """A FINN node name -> (our layer name, FINN op type without backend), e.g. MVAU_hls_0 ->
    (MVAU_0, MVAU), Thresholding_Batch_0 -> (Thresholding_0, Thresholding_Batch); (None, op) for
    a FINN layer sbn-hw has no counterpart of; (None, None) when it is no FINN node name."""
    m = _FINN_NAME.match(key)
    if not m:
        return None, None
    op, index = m.group("op"), m.group("index")
    for kind, ops in KIND_OP_TYPES.items():
        if op in ops:
            return f"{KIND_PREFIX[kind]}_{index}", op
    return None, (op if op in FINN_ONLY_OP_TYPES else None)


def read_folding_json(path: Path, layer_names: list[str], kinds: list[str] | None = None,
                      ignored: list[str] | None = None) -> dict[str, dict]:
    """Read a FINN-format folding config:
    {"Defaults": {"ram_style": ["block", ["MVAU"]]}, "MVAU_0": {"PE": 4, "SIMD": 8, "ram_style": "distributed"}}.

    Returns name -> {"PE", "SIMD", "ram_style", "ram_style_thresholds", "resType"}, each None where neither the
    layer's entry nor "Defaults" gives it. As in FINN's ApplyConfig, a "Defaults" value applies to
    every layer whose op type it names (or "all") and a layer's own entry overrides it. FINN's node
    names are read as FINN writes them (MVAU_hls_0, Thresholding_rtl_0, MatrixVectorActivation_0
    all name our MVAU_0 / Thresholding_0). kinds: each layer's kind (default all "mvau").
    What is not used is appended to `ignored` (when given) as text: keys that mean nothing here
    (mem_mode, ...) and entries of FINN layers sbn-hw does not have (LabelSelect, ...).
    """
    path = Path(path)
    kinds = kinds or ["mvau"] * len(layer_names)
    try:
        cfg = json.loads(path.read_text())
    except FileNotFoundError:
        raise SbnHwError(f"folding file '{path}' does not exist") from None
    except json.JSONDecodeError as e:
        raise SbnHwError(f"folding file '{path}' is not valid JSON ({e}); expected FINN's format, e.g. {{\"MVAU_0\": {{\"PE\": 4, \"SIMD\": 8}}}}") from None
    if not isinstance(cfg, dict):
        raise SbnHwError(f"folding file '{path}' must hold a JSON object of layer name -> {{\"PE\": .., \"SIMD\": ..}}")
    entries, unknown, notes = {}, [], []
    for key, value in cfg.items():
        if key == "Defaults":
            continue
        ours = key if key in layer_names else canonical_layer_name(key)[0]
        if ours in layer_names:
            if ours in entries:
                raise SbnHwError(f"folding file '{path}': {key} and another entry both name layer {ours}")
            entries[ours] = (key, value)
        elif canonical_layer_name(key)[1] in FINN_ONLY_OP_TYPES:
            notes.append(f"{key} (no such layer in an sbn-hw accelerator)")
        else:
            unknown.append(key)
    if unknown:
        raise SbnHwError(f"folding file '{path}' names unknown layers {unknown}; the layers are {layer_names} "
                         "(FINN's names such as MVAU_hls_0 or Thresholding_rtl_0 are read as MVAU_0 / Thresholding_0)")
    defaults = cfg.get("Defaults", {})
    if not isinstance(defaults, dict):
        raise SbnHwError(f"folding file '{path}': Defaults must be an object, e.g. {{\"PE\": [2, [\"MVAU\"]]}}")
    notes += [f"Defaults.{k}" for k in defaults if k not in FOLDING_KEYS]
    out = {}
    for name, kind in zip(layer_names, kinds):
        base = {k: _default_value(path, k, defaults[k], KIND_OP_TYPES[kind]) for k in FOLDING_KEYS if k in defaults}
        key, entry = entries.get(name, (name, {}))
        if not isinstance(entry, dict):
            raise SbnHwError(f"folding file '{path}': entry for {key} must be an object with PE and SIMD")
        merged = {k: None for k in FOLDING_KEYS}
        merged.update({k: v for k, v in base.items() if v is not None})
        merged.update({k: entry[k] for k in FOLDING_KEYS if k in entry})
        if kind == "threshold" and merged.get("ram_style_thresholds") is None:
            merged["ram_style_thresholds"] = merged["ram_style"]  # FINN's Thresholding calls its memory ram_style
        notes += [f"{key}.{k}={json.dumps(v)}" for k, v in entry.items() if k not in FOLDING_KEYS]
        out[name] = _check_entry(path, name, merged)
    if ignored is not None:
        ignored.extend(notes)
    return out


def folding_json(names: list[str], folding: list[tuple], kinds: list[str] | None = None,
                 res_types: list[str] | None = None) -> dict:
    """FINN-format folding config for the given layers: folding holds (PE, SIMD) or (PE, SIMD,
    ram_style, ram_style_thresholds) per layer ("logic" is this flow's own memory style). A threshold
    layer gets FINN's Thresholding form: PE and ram_style (its threshold memory). res_types: each
    layer's resType; "dsp" is written (FINN's MVAU attribute), "lut", the default, is not."""
    cfg: dict = {"Defaults": {}}
    dsp = {n for n, r in zip(names, res_types or []) if r == "dsp"}
    for n, f, kind in zip(names, folding, kinds or ["mvau"] * len(names)):
        if kind == "threshold":
            cfg[n] = {"PE": f[0], **({"ram_style": f[3]} if len(f) > 2 else {})}
            continue
        if kind in ("window", "pool", "lab"):  # FINN's ConvolutionInputGenerator has SIMD, StreamingMaxPool PE
            cfg[n] = {"SIMD": f[1]} if kind == "window" else {"PE": f[0]}
            continue
        cfg[n] = {"PE": f[0], "SIMD": f[1]}
        if len(f) > 2:
            cfg[n].update(ram_style=f[2], ram_style_thresholds=f[3])
        if n in dsp:
            cfg[n]["resType"] = "dsp"
    return cfg
