"""The runtime description: the small JSON file the driver needs (written on the host by
sbn_hw.runtime.describe, read here on the board with nothing but the standard library).

Everything the driver checks against the bitfile over AXI-Lite (magic, register-map version,
description hash, stream widths, words per frame) and everything it needs to talk to the
stream (element widths, words, bytes) and to turn results into logits (output scale and bias).
"""

from __future__ import annotations

import json
from pathlib import Path

from .errors import AcceleratorError

FORMAT = "sbn-hw-runtime-description"
FORMAT_VERSION = 1
# Fields every description holds: section -> keys (checked on load so a stale file is named).
REQUIRED = {
    "": ("format", "version", "name", "magic", "register_version", "desc_hash", "registers", "cells", "input",
         "output", "cycles_per_frame", "dma"),
    "input": ("dtype", "scale", "features", "shape", "chw", "elem_bits", "signed", "per_word", "words", "word_bits",
              "word_width"),
    "output": ("features", "elem_bits", "signed", "per_word", "words", "word_bits", "word_width", "scale", "bias"),
    "cells": ("accelerator", "dma"),
    "dma": ("length_width",),
}


def check_description(d: dict, source: str = "description") -> dict:
    if not isinstance(d, dict) or d.get("format") != FORMAT:
        raise AcceleratorError(f"{source} is not an sbn-hw runtime description (write one with `sbn-hw deploy`)")
    if d.get("version") != FORMAT_VERSION:
        raise AcceleratorError(f"{source} has description format version {d.get('version')}, this driver reads "
                               f"{FORMAT_VERSION}: deploy the driver and description together")
    for section, keys in REQUIRED.items():
        part = d[section] if section else d
        missing = [k for k in keys if k not in part]
        if missing:
            raise AcceleratorError(f"{source} lacks {', '.join((section + '.' if section else '') + k for k in missing)}")
    return d


def load_description(path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise AcceleratorError(f"no runtime description at '{path}' (sbn-hw deploy writes description.json)")
    try:
        d = json.loads(path.read_text())
    except ValueError as e:
        raise AcceleratorError(f"'{path}' is not JSON ({e})") from None
    return check_description(d, f"'{path}'")


def frame_bytes(section: dict) -> int:
    """Bytes one frame takes in a DMA buffer: words per frame x bytes per stream word."""
    return section["words"] * section["word_width"] // 8
