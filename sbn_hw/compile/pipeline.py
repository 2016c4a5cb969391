"""The compile stage as one call: QONNX file -> FINN graph + folding + accelerator description."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from sbn_hw import SbnHwError
from sbn_hw.compile.accel import Accelerator, check_folding
from sbn_hw.compile.finn_frontend import finn_hw_to_accelerator, qonnx_to_finn_hw, set_finn_folding
from sbn_hw.compile.folding import auto_folding, folding_json, read_folding_json
from sbn_hw.export import load_onnx

DEFAULT_TARGET_CYCLES = 512


@dataclass
class CompileResult:
    accel: Accelerator
    finn_model: object  # qonnx ModelWrapper of the folded FINN HW graph
    finn_path: Path
    accel_path: Path


def choose_folding(accel: Accelerator, folding_file: Path | None, target_cycles: int | None) -> list[tuple[int, int]]:
    names = [l.name for l in accel.layers]
    if folding_file is not None and target_cycles is not None:
        raise SbnHwError("give either a folding file or a target cycles per frame, not both")
    if folding_file is not None:
        cfg = read_folding_json(folding_file, names)
        folding = []
        for l in accel.layers:
            pe, simd = cfg[l.name]
            pe, simd = int(pe or 1), int(simd or 1)
            check_folding(l.name, l.mw, l.mh, pe, simd)
            folding.append((pe, simd))
        return folding
    return auto_folding([(l.mw, l.mh) for l in accel.layers], target_cycles or DEFAULT_TARGET_CYCLES)


def compile_qonnx(
    qonnx_path: Path,
    out_dir: Path,
    input_dtype: str = "UINT8",
    input_scale: float = 1.0,
    folding_file: Path | None = None,
    target_cycles: int | None = None,
) -> CompileResult:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model = qonnx_to_finn_hw(load_onnx(qonnx_path), input_dtype, input_scale)
    unfolded = finn_hw_to_accelerator(model, input_dtype, input_scale)
    folding = choose_folding(unfolded, folding_file, target_cycles)
    accel = unfolded.with_folding(folding)  # validates stream compatibility too
    names = [l.name for l in accel.layers]
    model = set_finn_folding(model, dict(zip(names, folding)))
    finn_path = out_dir / "finn_hw.onnx"
    tmp = out_dir / "finn_hw.onnx.partial"
    model.save(str(tmp))
    os.replace(tmp, finn_path)
    (out_dir / "folding.json").write_text(json.dumps(folding_json(names, folding), indent=2))
    accel_path = accel.save(out_dir / "accelerator.npz")
    return CompileResult(accel, model, finn_path, accel_path)
