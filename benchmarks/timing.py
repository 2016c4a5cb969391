"""Timing closure on the ECP5-85F: each design's accelerator alone through Yosys synth_ecp5 and
nextpnr-ecp5 (out of context, speed grade 6), with its cycles per frame and mismatches from a
Verilator simulation of every test frame of the same RTL (random stalls on both streams).

    python benchmarks/timing.py                               # digits and mnist5k (built if missing)
    python benchmarks/timing.py --dataset digits --out build/timing
    python benchmarks/timing.py --dataset digits --levels 0 --levels 2   # unpipelined vs pipelined
    python benchmarks/timing.py --target-cycles 512 --target-cycles 128  # a sweep of foldings

--out DIR holds one build per dataset (DIR/<dataset>); a build whose compile stage has finished is
reused, otherwise it is trained, exported and compiled with `sbn-hw` defaults (seed 0).
--target-cycles N (repeatable) refolds that model for N cycles per frame in DIR/<dataset>-c<N>
(the same training and export, compiled with `sbn-hw compile --target-cycles N`).
--levels sets the adder-tree levels per pipeline register (0: the unpipelined MVAU; default: the
generator's choice, sbn_hw.rtlgen.generate.PIPELINE_LEVELS_PER_STAGE).
--memory-style STYLE (repeatable; "compiled" is the build's own choice) puts every MVAU's weight
and threshold memories in that style (logic: ROM in LUTs, distributed, block) for both the place
and route and the simulation: nextpnr-ecp5 times every block-RAM read with its unregistered
clock-to-out (5.6-5.8 ns), so at 150 MHz a block RAM leaves about 1 ns for the route to its register.
"""

from __future__ import annotations

import argparse
import functools
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from provenance import provenance, provenance_line, table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import sbn_hw.verify.accelerator as sim_module  # noqa: E402
from sbn_hw.boards import load_board  # noqa: E402
from sbn_hw.compile.accel import Accelerator  # noqa: E402
from sbn_hw.flows.ecp5 import tool_versions  # noqa: E402
from sbn_hw.pipeline.builddir import BuildDir  # noqa: E402
from sbn_hw.pipeline.ecp5_stage import CORE_TARGET_MHZ, accelerator_fmax  # noqa: E402
from sbn_hw.pipeline.stages import own_flow_inputs  # noqa: E402
from sbn_hw.rtlgen.generate import PIPELINE_LEVELS_PER_STAGE, generate_rtl  # noqa: E402


def ensure_compiled(dataset: str, out: Path) -> None:
    if BuildDir(out).has("compile"):
        return
    for stage in (["train", "--dataset", dataset], ["export"], ["compile"]):
        subprocess.run([sys.executable, "-m", "sbn_hw.cli", *stage, "--out", str(out)], check=True)


def ensure_folded(dataset: str, out: Path, cycles: int | None) -> Path:
    """The build of `dataset` in OUT/<dataset> (default folding), or refolded for `cycles`."""
    base = out / dataset
    ensure_compiled(dataset, base)
    if cycles is None:
        return base
    folded = out / f"{dataset}-c{cycles}"
    if not BuildDir(folded).has("compile"):
        for stage in ("train", "export"):
            shutil.copytree(base / stage, folded / stage, dirs_exist_ok=True)
        subprocess.run([sys.executable, "-m", "sbn_hw.cli", "compile", "--out", str(folded),
                        "--target-cycles", str(cycles)], check=True)
    return folded


def with_memory_style(accel: Accelerator, style: str) -> Accelerator:
    """The accelerator with every MVAU's weight and threshold memory in `style` ("compiled": as it is)."""
    if style == "compiled":
        return accel
    return accel.with_folding([(f[0], f[1], style, style) if l.kind == "mvau" else f
                               for l, f in zip(accel.layers, accel.folding)])


def simulate(accel: Accelerator, out: Path, levels: int, max_frames: int | None, tag: str = "") -> dict:
    """Every test frame (or the first max_frames) through the RTL generated with `levels`."""
    x_hw, _, _, _ = own_flow_inputs(out)
    x_hw = x_hw[:max_frames] if max_frames else x_hw
    # simulate() generates the RTL itself: give it this pipeline depth.
    sim_module.generate_rtl = functools.partial(generate_rtl, levels_per_stage=levels)
    try:
        r = sim_module.simulate(accel, x_hw, out / "timing" / f"sim_levels{levels}{tag}")
    finally:
        sim_module.generate_rtl = generate_rtl
    return {"frames": r.frames, "mismatches": r.mismatch_count, "cycles_measured": r.cycles_per_frame,
            "seconds": round(r.seconds, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", action="append", choices=["digits", "mnist5k"])
    ap.add_argument("--out", type=Path, default=Path("build/timing"))
    ap.add_argument("--levels", type=int, action="append", help="adder-tree levels per pipeline stage (repeatable)")
    ap.add_argument("--target", type=float, default=CORE_TARGET_MHZ, help="nextpnr's clock target in MHz")
    ap.add_argument("--target-cycles", type=int, action="append",
                    help="refold for this many cycles per frame (repeatable; default: the build's own folding)")
    ap.add_argument("--memory-style", action="append", choices=["compiled", "logic", "distributed", "block"],
                    help="every MVAU's weight and threshold memories in this style (repeatable; default: compiled)")
    ap.add_argument("--max-frames", type=int, default=None, help="simulate only the first N test frames")
    ap.add_argument("--json", type=Path, default=None, help="also write the rows as JSON here")
    args = ap.parse_args()
    prov = provenance()
    board = load_board("ulx3s-85f")
    rows, records = [], []
    for dataset, cycles in [(d, c) for d in args.dataset or ["digits", "mnist5k"] for c in args.target_cycles or [None]]:
        out = ensure_folded(dataset, args.out, cycles)
        compiled = Accelerator.load(BuildDir(out).record("compile")["accelerator"])
        for levels, style in [(lv, st) for lv in args.levels or [PIPELINE_LEVELS_PER_STAGE]
                              for st in args.memory_style or ["compiled"]]:
            accel = with_memory_style(compiled, style)
            tag = "" if style == "compiled" else f"_{style}"
            t0 = time.time()
            pnr = accelerator_fmax(accel, out / "timing" / f"ecp5_levels{levels}{tag}", board, args.target, levels,
                                   log=lambda s: print(f"[{dataset}, levels {levels}, memories {style}]{s}"))
            sim = simulate(accel, out, levels, args.max_frames, tag)
            u = pnr["utilisation"]
            analytic = accel.cycles_per_frame
            folding = " ".join(f"{l.pe}x{getattr(l, 'simd', l.pe)}" for l in accel.layers)
            memories = "/".join(sorted({l.ram_style for l in accel.layers if l.kind == "mvau"}))
            rec = {"dataset": dataset, "folding": folding, "levels_per_stage": levels, "memory_style": style,
                   "weight_memories": memories, "fmax_mhz": pnr["fmax_mhz"],
                   "target_mhz": pnr["target_mhz"], "utilisation": u, "critical_path": pnr["critical_path"],
                   "cycles_analytic": analytic, **sim, "pnr_seconds": pnr["seconds"],
                   "seconds": round(time.time() - t0, 1)}
            records.append(rec)
            cp = pnr["critical_path"] or {}
            rows.append([dataset, "-".join(str(l.mw) for l in accel.layers) + f"-{accel.layers[-1].mh}", folding,
                         f"{style} ({memories})", levels,
                         f"{pnr['fmax_mhz']:.1f}", f"{u.get('lut4', 0):,}", f"{u.get('ff', 0):,}", u.get("ebr", 0),
                         u.get("mult18", 0), f"{sim['cycles_measured']:.1f} / {analytic}",
                         f"{100 * (sim['cycles_measured'] / analytic - 1):+.2f}%", sim["frames"], sim["mismatches"],
                         f"{cp.get('from', '?')} -> {cp.get('to', '?')}", f"{pnr['seconds']:.0f}"])
    print(f"\nECP5-85F (LFE5U-85F-6BG381C, speed 6), accelerator alone (out of context), nextpnr target "
          f"{args.target:g} MHz")
    print(table(rows, ["dataset", "layers", "PE x SIMD per layer", "weight memories", "tree levels/stage", "Fmax (MHz)",
                       "LUT4", "FF", "EBR", "MULT18",
                       "cycles/frame (measured / analytic)", "vs analytic", "frames simulated", "mismatches",
                       "critical path", "P&R s"]))
    tools = tool_versions()
    print(f"\nProduced by: {provenance_line(prov)}; " + ", ".join(f"{k} {v}" for k, v in tools.items()))
    if args.json:
        args.json.write_text(json.dumps({"rows": records, "provenance": prov, "tools": tools}, indent=2))


if __name__ == "__main__":
    main()
