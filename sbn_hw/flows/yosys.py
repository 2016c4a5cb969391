"""Yosys `synth_xilinx` on the generated accelerator: LUT/FF/BRAM/DSP totals and per layer."""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from sbn_hw import SbnHwError
from sbn_hw.rtlgen.generate import RtlBuild
from sbn_hw.verify.tools import yosys_command

REPO = Path(__file__).resolve().parents[2]
FLOW = REPO / "flows" / "yosys" / "synth_xc7.ys"
BOARDS = REPO / "boards"

# LUTs per distributed-RAM / shift-register primitive (as Vivado counts "LUT as memory").
LUTRAM_LUTS = {"RAM32M": 4, "RAM64M": 4, "RAM32M16": 8, "RAM64M8": 8, "RAM32X1D": 2, "RAM64X1D": 2,
               "RAM128X1D": 4, "RAM256X1S": 4, "RAM32X1S": 1, "RAM64X1S": 1, "RAM128X1S": 2,
               "SRL16E": 1, "SRLC32E": 1}
FF_CELLS = ("FDRE", "FDSE", "FDCE", "FDPE")


@dataclass
class Resources:
    lut: int = 0
    ff: int = 0
    bram: float = 0.0  # in RAMB36 units (a RAMB18 counts 0.5)
    dsp: int = 0

    def __add__(self, other: "Resources") -> "Resources":
        return Resources(self.lut + other.lut, self.ff + other.ff, self.bram + other.bram, self.dsp + other.dsp)

    def as_dict(self) -> dict:
        return asdict(self)


def cells_to_resources(cells: dict[str, int]) -> Resources:
    r = Resources()
    for cell, n in cells.items():
        name = cell.lstrip("\\$")
        if name.startswith("LUT") and name[3:].isdigit():
            r.lut += n
        elif name in LUTRAM_LUTS:
            r.lut += LUTRAM_LUTS[name] * n
        elif name in FF_CELLS:
            r.ff += n
        elif name == "RAMB36E1":
            r.bram += n
        elif name == "RAMB18E1":
            r.bram += 0.5 * n
        elif name.startswith("DSP48"):
            r.dsp += n
    return r


def load_board(name: str) -> dict:
    path = BOARDS / f"{name}.json"
    if not path.is_file():
        known = sorted(p.stem for p in BOARDS.glob("*.json"))
        raise SbnHwError(f"unknown board '{name}': choose one of {', '.join(known)}")
    return json.loads(path.read_text())


def hierarchical_totals(stat: dict) -> dict[str, Resources]:
    """Resources of each module including everything instantiated below it."""
    modules = {n.lstrip("\\"): m.get("num_cells_by_type", {}) for n, m in stat["modules"].items()}
    memo: dict[str, Resources] = {}

    def total(name: str) -> Resources:
        if name not in memo:
            cells = modules[name]
            r = cells_to_resources(cells)
            for cell, n in cells.items():
                child = cell.lstrip("\\")
                if child in modules:
                    for _ in range(n):
                        r = r + total(child)
            memo[name] = r
        return memo[name]

    return {name: total(name) for name in modules}


def synthesize(rtl: RtlBuild, out_dir: Path, n_layers: int, log=print) -> dict:
    """Run Yosys; returns {"total": Resources, "layers": [Resources...], "seconds": s, ...}."""
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    stat_json = out_dir / "yosys_stat.json"
    stat_json.unlink(missing_ok=True)
    # Yosys (WebAssembly) sees the working directory: run in the RTL folder with relative names.
    script = FLOW.read_text().format(
        sources=" ".join(Path(s).name for s in rtl.sources), top=rtl.top, stat_json=os.path.relpath(stat_json, rtl.directory)
    )
    (rtl.directory / "synth.ys").write_text(script)
    t0 = time.time()
    proc = subprocess.run(yosys_command() + ["-q", "-l", "yosys.log", "synth.ys"], cwd=rtl.directory,
                          capture_output=True, text=True)
    if proc.returncode != 0 or not stat_json.exists():
        raise SbnHwError(f"Yosys synthesis failed (see {rtl.directory / 'yosys.log'}): {proc.stderr.strip()[-800:]}")
    stat = json.loads(stat_json.read_text())
    totals = hierarchical_totals(stat)
    layers = [totals[f"{rtl.top}_layer{i}"] for i in range(n_layers)]
    total = totals[rtl.top]
    glue = Resources(total.lut - sum(l.lut for l in layers), total.ff - sum(l.ff for l in layers),
                     total.bram - sum(l.bram for l in layers), total.dsp - sum(l.dsp for l in layers))
    return {"total": total, "layers": layers, "streams": glue, "seconds": time.time() - t0}
