"""mnist5k SFC (784-256-256-256-10, int8 first layer) folded for the xc7z020: cycles per frame,
Yosys synth_xilinx resources per layer and in total, the resource model's estimate, and every
test frame simulated through the RTL with random stalls, every layer checked.

    python benchmarks/sfc.py                          # --target-cycles 512 and 64, --budget pynq-z2
    python benchmarks/sfc.py --target-cycles 128 --no-budget

The model is trained once (`sbn-hw train --dataset mnist5k`, seed 0, defaults, then `sbn-hw
export`) and every configuration compiles that same export in a folder of its own. Issue 12's bar:
at most 64 cycles per frame within the xc7z020 (53,200 LUT, 140 BRAM36, 220 DSP).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

from provenance import provenance_line, table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from sbn_hw.pipeline.progress import console  # noqa: E402
from sbn_hw.pipeline.stages import run_compile, run_simulate, run_synth  # noqa: E402

XC7Z020 = {"lut": 53200, "bram36": 140, "dsp": 220}


def trained(base: Path, seed: int) -> None:
    """Train and export the SFC into base/ unless it is already there."""
    if (base / "export" / "stage.json").exists():
        return
    for stage in (["train", "--dataset", "mnist5k", "--seed", str(seed)], ["export"]):
        subprocess.run([sys.executable, "-m", "sbn_hw.cli", *stage, "--out", str(base)], check=True)


def build(base: Path, out: Path, target: int | None, budget: str | None) -> dict:
    from sbn_hw.compile.accel import Accelerator
    from sbn_hw.compile.resources import accelerator_estimate

    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    for stage in ("train", "export"):
        shutil.copytree(base / stage, out / stage)
    t0 = time.time()
    comp = run_compile(out, target_cycles=target, budget=budget)
    accel = Accelerator.load(comp["accelerator"])
    model = accelerator_estimate(accel)[0]
    synth = run_synth(out, "pynq-z2")
    sim = run_simulate(out)
    return {"cycles": comp["cycles_per_frame_analytic"], "folding": [f"{l.pe}x{l.simd}" for l in accel.layers],
            "weights": [l.ram_style for l in accel.layers], "model": model, "synth": synth, "sim": sim,
            "seconds": time.time() - t0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "bench_sfc")
    ap.add_argument("--target-cycles", type=int, action="append", default=None)
    ap.add_argument("--no-budget", action="store_true", help="skip the --budget pynq-z2 build")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    trained(args.out / "model", args.seed)
    configs = [(f"--target-cycles {t}", t, None) for t in args.target_cycles or [512, 64]]
    configs += [] if args.no_budget else [("--budget pynq-z2", None, "pynq-z2")]
    rows, layer_rows = [], []
    for i, (label, target, budget) in enumerate(configs):
        console.print(f"[bold]{label}[/]")
        r = build(args.out / "model", args.out / f"build{i}", target, budget)
        res, sim = r["synth"]["resources"], r["sim"]
        fits = res["lut"] <= XC7Z020["lut"] and res["bram"] <= XC7Z020["bram36"] and res["dsp"] <= XC7Z020["dsp"]
        rows.append([label, " / ".join(r["folding"]), f"{r['cycles']:,}",
                     f"{sim['cycles_per_frame_measured']:.1f}", f"{res['lut']:,} ({res['lut'] / XC7Z020['lut']:.1%})",
                     f"{res['lut_logic']:,}", f"{res['lut_memory']:,}", f"{res['ff']:,}", f"{res['bram']:g}", res["dsp"],
                     f"{r['model'].lut:,.0f} / {r['model'].bram36:g}", "yes" if fits else "no",
                     f"{sim['mismatches']} / {sim['frames_simulated']:,}", f"{r['seconds']:.0f}"])
        for layer, w in zip(r["synth"]["layers"], r["weights"]):
            layer_rows.append([label, layer["name"], f"{layer['lut']:,}", f"{layer['lut_logic']:,}", f"{layer['ff']:,}",
                               f"{layer['bram']:g}", layer["dsp"], w])
    print()
    print(table(rows, ["folding", "PE x SIMD per layer", "cycles/frame", "measured", "LUT (of xc7z020)", "LUT logic",
                       "LUT memory", "FF", "BRAM36", "DSP", "model LUT / BRAM36", "fits xc7z020",
                       "RTL mismatches / frames", "s"]))
    print()
    print(table(layer_rows, ["folding", "layer", "LUT", "LUT logic", "FF", "BRAM36", "DSP", "weights"]))
    print(f"\nYosys synth_xilinx estimate for the xc7z020 ({XC7Z020['lut']:,} LUT, {XC7Z020['bram36']} BRAM36, "
          f"{XC7Z020['dsp']} DSP); every test frame simulated under 30% random stalls, every layer checked; "
          f"no timing run. mnist5k SFC seed {args.seed}. {provenance_line()}")


if __name__ == "__main__":
    main()
