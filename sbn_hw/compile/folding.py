"""Choosing PE (parallel outputs), SIMD (parallel inputs) and the memory styles per layer, and
reading / writing them as FINN's folding JSON."""

from __future__ import annotations

import json
from pathlib import Path

from sbn_hw import SbnHwError


MAX_PREFERRED_SIMD = 64

# How a layer's weight and threshold memories are built: FINN's `ram_style` values plus "logic"
# (FINN's "ultra", UltraRAM, has no 7-series part). rtl/sbn_mvau.v (sbn_mvau_rom) turns each into
# synthesis attributes; "auto" is resolved by size at compile time (auto_ram_style).
RAM_STYLES = ("auto", "block", "distributed", "logic")
# The folding-JSON keys this flow reads; FINN's other keys (mem_mode, resType, ...) are ignored.
FOLDING_KEYS = ("PE", "SIMD", "ram_style", "ram_style_thresholds")
# FINN op types our layers are (a "Defaults" value applies to a layer when it names one, or "all").
LAYER_OP_TYPES = ("MVAU", "MVAU_hls", "MVAU_rtl", "MatrixVectorActivation")

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


def auto_folding(shapes: list[tuple[int, int]], target_cycles: int) -> list[tuple[int, int]]:
    """Per layer (MW, MH) -> the cheapest (PE, SIMD) with (MW/SIMD)*(MH/PE) <= target_cycles.

    Cheapest = fewest PE*SIMD lanes; among equals prefer SIMD <= MAX_PREFERRED_SIMD (a shallow
    adder tree), then wide SIMD (fewer accumulator registers). Neighbouring layers are kept stream-compatible. If no folding meets the
    target, the fastest compatible one is used.
    """
    if target_cycles < 1:
        raise SbnHwError(f"target cycles per frame must be >= 1, got {target_cycles}")
    folding: list[tuple[int, int]] = []
    prev_pe = None
    for mw, mh in shapes:
        options = [
            (pe, simd)
            for pe in divisors(mh)
            for simd in divisors(mw)
            if prev_pe is None or streams_compatible(prev_pe, simd)
        ]
        meeting = [o for o in options if (mw // o[1]) * (mh // o[0]) <= target_cycles]
        if meeting:
            pe, simd = min(meeting, key=lambda o: (o[0] * o[1], o[1] > MAX_PREFERRED_SIMD, -o[1]))
        else:
            pe, simd = min(options, key=lambda o: ((mw // o[1]) * (mh // o[0]), o[0] * o[1]))
        folding.append((pe, simd))
        prev_pe = pe
    return folding


def _default_value(path: Path, key: str, value):
    """A "Defaults" value in FINN's form [value, op types, value, op types, ...] (op types: "all" or a
    list) -> the value for our layers, or None when it names other op types only. A bare value (not a
    list) applies to every layer."""
    if not isinstance(value, list):
        return value
    if len(value) % 2:
        raise SbnHwError(f"folding file '{path}': Defaults {key} must be [value, op types, ...] pairs as in "
                         f"FINN, e.g. {{\"{key}\": [{json.dumps(value[0] if value else 1)}, [\"MVAU\"]]}} or [.., \"all\"]")
    for val, ops in zip(value[::2], value[1::2]):
        if ops == "all" or (isinstance(ops, list) and any(op in LAYER_OP_TYPES for op in ops)):
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
    return entry


def read_folding_json(path: Path, layer_names: list[str]) -> dict[str, dict]:
    """Read a FINN-format folding config:
    {"Defaults": {"ram_style": ["block", ["MVAU"]]}, "MVAU_0": {"PE": 4, "SIMD": 8, "ram_style": "distributed"}}.

    Returns name -> {"PE", "SIMD", "ram_style", "ram_style_thresholds"}, each None where neither the
    layer's entry nor "Defaults" gives it. As in FINN's ApplyConfig, a "Defaults" value applies to
    every layer whose op type it names (or "all") and a layer's own entry overrides it. Other keys
    (mem_mode, resType, ...) are ignored.
    """
    path = Path(path)
    try:
        cfg = json.loads(path.read_text())
    except FileNotFoundError:
        raise SbnHwError(f"folding file '{path}' does not exist") from None
    except json.JSONDecodeError as e:
        raise SbnHwError(f"folding file '{path}' is not valid JSON ({e}); expected FINN's format, e.g. {{\"MVAU_0\": {{\"PE\": 4, \"SIMD\": 8}}}}") from None
    if not isinstance(cfg, dict):
        raise SbnHwError(f"folding file '{path}' must hold a JSON object of layer name -> {{\"PE\": .., \"SIMD\": ..}}")
    unknown = [k for k in cfg if k != "Defaults" and k not in layer_names]
    if unknown:
        raise SbnHwError(f"folding file '{path}' names unknown layers {unknown}; the layers are {layer_names}")
    defaults = cfg.get("Defaults", {})
    if not isinstance(defaults, dict):
        raise SbnHwError(f"folding file '{path}': Defaults must be an object, e.g. {{\"PE\": [2, [\"MVAU\"]]}}")
    base = {k: _default_value(path, k, defaults[k]) for k in FOLDING_KEYS if k in defaults}
    out = {}
    for name in layer_names:
        entry = cfg.get(name, {})
        if not isinstance(entry, dict):
            raise SbnHwError(f"folding file '{path}': entry for {name} must be an object with PE and SIMD")
        merged = {k: None for k in FOLDING_KEYS}
        merged.update({k: v for k, v in base.items() if v is not None})
        merged.update({k: entry[k] for k in FOLDING_KEYS if k in entry})
        out[name] = _check_entry(path, name, merged)
    return out


def folding_json(names: list[str], folding: list[tuple]) -> dict:
    """FINN-format folding config for the given layers: folding holds (PE, SIMD) or (PE, SIMD,
    ram_style, ram_style_thresholds) per layer ("logic" is this flow's own memory style)."""
    cfg: dict = {"Defaults": {}}
    for n, f in zip(names, folding):
        cfg[n] = {"PE": f[0], "SIMD": f[1]}
        if len(f) > 2:
            cfg[n].update(ram_style=f[2], ram_style_thresholds=f[3])
    return cfg
