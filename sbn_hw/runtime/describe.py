"""Host side: the runtime description of a compiled accelerator (sbn_hw.runtime.description
reads it on the board). Needs sbn_hw.compile; never copied to the board."""

from __future__ import annotations

import json
from pathlib import Path

from sbn_hw.compile.accel import Accelerator
from sbn_hw.rtlgen.shell import MAGIC, REGISTERS, VERSION, shell_spec
from sbn_hw.runtime.description import FORMAT, FORMAT_VERSION, check_description

DMA_LENGTH_WIDTH = 26  # c_sg_length_width of the Vivado block design (flows/vivado/block_design.tcl)
ACCEL_CELL, DMA_CELL = "sbn_accel", "axi_dma"  # the block design's cell names (sbn_hw.flows.vivado)


def runtime_description(accel: Accelerator, input_shape=None, clock_mhz: float | None = None,
                        classes=None) -> dict:
    """Everything the driver needs, as plain JSON types."""
    first, last = accel.layers[0], accel.layers[-1]
    spec = shell_spec(accel)
    out_signed = bool(last.out_signed)
    d = {
        "format": FORMAT, "version": FORMAT_VERSION, "name": accel.name,
        "magic": MAGIC, "register_version": VERSION, "desc_hash": spec.desc_hash, "registers": dict(REGISTERS),
        "cells": {"accelerator": ACCEL_CELL, "dma": DMA_CELL},
        "input": {"dtype": accel.input_dtype, "scale": float(accel.input_scale), "features": first.in_elems,
                  "shape": list(input_shape) if input_shape else None,
                  "chw": list(accel.input_chw) if accel.input_chw else None, "elem_bits": first.in_bits,
                  "signed": bool(first.in_signed), "per_word": first.simd, "words": spec.in_words,
                  "word_bits": spec.in_bits, "word_width": spec.in_width},
        "output": {"features": last.out_elems, "elem_bits": last.out_bits, "signed": out_signed, "per_word": last.pe,
                   "words": spec.out_words, "word_bits": spec.out_bits, "word_width": spec.out_width,
                   "scale": _floats(accel.output_scale, last.mh), "bias": _floats(accel.output_bias, last.mh)},
        "cycles_per_frame": accel.cycles_per_frame,
        "dma": {"length_width": DMA_LENGTH_WIDTH},
        "clock_mhz": clock_mhz,
        "classes": list(classes) if classes is not None else None,
    }
    return check_description(d)


def _floats(v, n: int) -> list[float]:
    import numpy as np

    return [float(f) for f in np.broadcast_to(np.asarray(v, dtype=np.float64).reshape(-1), (n,))]


def write_description(accel: Accelerator, path: Path, **kw) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial")
    tmp.write_text(json.dumps(runtime_description(accel, **kw), indent=1))
    tmp.replace(path)
    return path
