"""Yosys `synth_xilinx` on the generated accelerator: LUT/FF/BRAM/DSP totals and per layer."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from sbn_hw import SbnHwError
from sbn_hw.paths import resource_dir
from sbn_hw.rtlgen.generate import RtlBuild
from sbn_hw.verify.tools import yosys_command

FLOW = resource_dir("flows") / "yosys" / "synth_xc7.ys"
BOARDS = resource_dir("boards")

# LUTs per distributed-RAM / shift-register primitive (as Vivado counts "LUT as memory").
LUTRAM_LUTS = {"RAM32M": 4, "RAM64M": 4, "RAM32M16": 8, "RAM64M8": 8, "RAM32X1D": 2, "RAM64X1D": 2,
               "RAM128X1D": 4, "RAM256X1S": 4, "RAM32X1S": 1, "RAM64X1S": 1, "RAM128X1S": 2,
               "SRL16E": 1, "SRLC32E": 1}
FF_CELLS = ("FDRE", "FDSE", "FDCE", "FDPE")


@dataclass
class Resources:
    lut_logic: int = 0  # LUT1..LUT6 cells
    lut_memory: int = 0  # LUTs in LUT RAM / shift-register primitives (LUTRAM_LUTS)
    ff: int = 0
    bram: float = 0.0  # in RAMB36 units (a RAMB18 counts 0.5)
    dsp: int = 0
    # How Yosys built each memory of a layer ("weights", "thresholds", "input_buffer" -> "block",
    # "distributed" or "logic"; see memory_mapping); None where not recorded.
    memories: dict[str, str] | None = None

    @property
    def lut(self) -> int:
        """All LUTs, as logic and as memory (what Vivado reports as "Slice LUTs")."""
        return self.lut_logic + self.lut_memory

    def _combine(self, other: "Resources", sign: int) -> "Resources":
        return Resources(self.lut_logic + sign * other.lut_logic, self.lut_memory + sign * other.lut_memory,
                         self.ff + sign * other.ff, self.bram + sign * other.bram, self.dsp + sign * other.dsp)

    def __add__(self, other: "Resources") -> "Resources":
        return self._combine(other, 1)

    def __sub__(self, other: "Resources") -> "Resources":
        return self._combine(other, -1)

    def as_dict(self) -> dict:
        d = {"lut": self.lut, **asdict(self)}
        if d["memories"] is None:
            del d["memories"]
        return d


def cells_to_resources(cells: dict[str, int]) -> Resources:
    r = Resources()
    for cell, n in cells.items():
        name = cell.lstrip("\\$")
        if name.startswith("LUT") and name[3:].isdigit():
            r.lut_logic += n
        elif name in LUTRAM_LUTS:
            r.lut_memory += LUTRAM_LUTS[name] * n
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
    """The board file as a dict (validated by sbn_hw.boards, which also types it as a Board)."""
    from sbn_hw.boards import load_board as load_typed

    return load_typed(name).as_dict()


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


# memory_libmap's log lines: "mapping memory MODULE.MEM via $__XILINX_<KIND>..." or
# "using FF mapping for memory MODULE.MEM" (then memory_map builds it from FFs / LUT logic; an
# initialised read-only memory folds into LUT logic).
_MAPPED = re.compile(r"^mapping memory (\S+) via \$__XILINX_(BLOCKRAM|LUTRAM|URAM|HUGERAM)", re.M)
_FF_MAPPED = re.compile(r"^using FF mapping for memory (\S+)$", re.M)
_KINDS = {"BLOCKRAM": "block", "LUTRAM": "distributed", "URAM": "ultra", "HUGERAM": "ultra"}
# sbn_mvau's memories by their (flattened) hierarchical name.
_MEMORY_ROLES = (("wmem", "weights"), ("tmem", "thresholds"), ("ibuf", "input_buffer"))


def memory_mapping(log_text: str, top: str) -> dict[int, dict[str, str]]:
    """Per layer index, how Yosys built each memory of that layer, read from its log:
    {0: {"weights": "logic", "thresholds": "logic", "input_buffer": "distributed"}, ...}."""
    found = [(m.group(1), _KINDS[m.group(2)]) for m in _MAPPED.finditer(log_text)]
    found += [(m.group(1), "logic") for m in _FF_MAPPED.finditer(log_text)]
    layers: dict[int, dict[str, str]] = {}
    for name, kind in found:
        m = re.match(rf"{re.escape(top)}_layer(\d+)\.(.*)", name)
        if not m:
            continue
        role = next((r for key, r in _MEMORY_ROLES if key in m.group(2)), None)
        if role:
            layers.setdefault(int(m.group(1)), {})[role] = kind
    return layers


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
    mapping = memory_mapping((rtl.directory / "yosys.log").read_text(errors="replace"), rtl.top)
    layers = [replace(totals[f"{rtl.top}_layer{i}"], memories=mapping.get(i, {})) for i in range(n_layers)]
    total = totals[rtl.top]
    glue = total - sum(layers, Resources())
    return {"total": total, "layers": layers, "streams": glue, "seconds": time.time() - t0}
