"""Choosing PE (parallel outputs) and SIMD (parallel inputs) per layer."""

from __future__ import annotations

import json
from pathlib import Path

from sbn_hw import SbnHwError


MAX_PREFERRED_SIMD = 64


def divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def streams_compatible(prev_pe: int, simd: int) -> bool:
    """A width converter joins two layers when one width divides the other."""
    return simd % prev_pe == 0 or prev_pe % simd == 0


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


def read_folding_json(path: Path, layer_names: list[str]) -> dict[str, tuple[int | None, int | None]]:
    """Read a FINN-format folding config: {"MVAU_0": {"PE": 4, "SIMD": 8, ...}, "Defaults": {...}}.

    Returns name -> (PE or None, SIMD or None); keys other than PE/SIMD are ignored.
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
    out = {}
    for name in layer_names:
        entry = cfg.get(name, {})
        if not isinstance(entry, dict):
            raise SbnHwError(f"folding file '{path}': entry for {name} must be an object with PE and SIMD")
        out[name] = (entry.get("PE"), entry.get("SIMD"))
    return out


def folding_json(names: list[str], folding: list[tuple[int, int]]) -> dict:
    """FINN-format folding config for the given layers."""
    return {"Defaults": {}, **{n: {"PE": pe, "SIMD": simd} for n, (pe, simd) in zip(names, folding)}}
