"""CNV-W1A1 (brevitas_examples.bnn_pynq, seeded random weights and batch norm) through sbn-hw:
cycles per frame, frames/s at 100 MHz (cycles x clock: analytic, no timing run), and Yosys
synth_xilinx resources for the xc7z020 (Pynq-Z1/Z2), for

  - finn-examples' own cnv-w1a1 folding file, loaded unchanged (its anchors: 3,020 frames/s
    measured at 100 MHz in finn-examples; BNN-PYNQ's Vivado build of it: 26,072 LUT, 124 BRAM tiles);
  - sbn-hw's automatic folding for a target cycles per frame (--target-cycles, repeatable);
  - sbn-hw's folding for the board's budget (--budget pynq-z2: the fastest folding whose modelled
    resources fit 85% of the xc7z020), with the model's estimate beside Yosys' figures.

    python benchmarks/cnv.py                          # FINN's folding, --target-cycles 10923, --budget pynq-z2
    python benchmarks/cnv.py --target-cycles 32768 --no-synth
    python benchmarks/cnv.py --sim-frames 3           # also simulate frames through the RTL

Every build is checked as compile always checks: golden == FINN execution == QONNX execution on 64
frames, every layer. --sim-frames N adds a Verilator run of N frames (random pixels / 255) with
every layer compared against the golden model and the measured cycles per frame.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from provenance import provenance_line, table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from sbn_hw.pipeline.progress import console  # noqa: E402
from sbn_hw.pipeline.stages import run_compile, run_simulate, run_synth  # noqa: E402
from tests.pipeline.test_bnn_pynq import (FINN_EXAMPLES, PIXEL_SCALE, bnn_pynq_model, export,  # noqa: E402
                                          random_cifar_pixels)

CLOCK_MHZ = 100
XC7Z020 = {"lut": 53200, "bram36": 140, "dsp": 220}


def build(out: Path, onnx: Path, folding: Path | None, target: int | None, budget: str | None, synth: bool,
          sim_frames: int) -> dict:
    from sbn_hw.compile.accel import Accelerator
    from sbn_hw.compile.resources import accelerator_estimate

    t0 = time.time()
    comp = run_compile(out, onnx, "UINT8", PIXEL_SCALE, folding, target, budget=budget)
    model = accelerator_estimate(Accelerator.load(comp["accelerator"]))[0]
    row = {"cycles": comp["cycles_per_frame_analytic"], "compile_s": round(time.time() - t0),
           "model_lut": round(model.lut), "model_bram36": model.bram36}
    if synth:
        r = run_synth(out, "pynq-z2")["resources"]
        row.update(lut=r["lut"], ff=r["ff"], bram36=r["bram"], dsp=r["dsp"])
    if sim_frames:
        import numpy as np

        np.save(out / "x_sim.npy", random_cifar_pixels(sim_frames))
        s = run_simulate(out, out / "x_sim.npy")
        row.update(sim_frames=s["frames_simulated"], mismatches=s["mismatches"],
                   cycles_measured=s["cycles_per_frame_measured"])
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "bench_cnv")
    ap.add_argument("--target-cycles", type=int, action="append", default=None)
    ap.add_argument("--budget", action="append", default=None, metavar="BOARD",
                    help="also fold for this board's budget (repeatable; default pynq-z2)")
    ap.add_argument("--no-synth", action="store_true", help="skip Yosys (minutes per build)")
    ap.add_argument("--sim-frames", type=int, default=0)
    ap.add_argument("--seed", type=int, default=3)
    args = ap.parse_args()
    targets = args.target_cycles or [10923]  # 10,923 cycles: 9,155 frames/s at 100 MHz, 3x finn-examples'
    args.out.mkdir(parents=True, exist_ok=True)
    onnx = export(bnn_pynq_model("cnv", args.seed), args.out / "cnv_1w1a.onnx", "cnv")
    configs = [("finn-examples cnv-w1a1 folding", FINN_EXAMPLES / "cnv-w1a1_folding_config.json", None, None)]
    configs += [(f"sbn-hw auto, --target-cycles {t}", None, t, None) for t in targets]
    configs += [(f"sbn-hw --budget {b}", None, None, b) for b in args.budget or ["pynq-z2"]]
    rows = []
    for i, (label, folding, target, budget) in enumerate(configs):
        console.print(f"[bold]{label}[/]")
        r = build(args.out / f"build{i}", onnx, folding, target, budget, not args.no_synth, args.sim_frames)
        fits = (all(r[k] <= XC7Z020[k] for k in XC7Z020) if "lut" in r else None)
        rows.append([label, f"{r['cycles']:,}", f"{CLOCK_MHZ * 1e6 / r['cycles']:,.0f}",
                     *(f"{r[k]:,}" if k in r else "-" for k in ("lut", "ff")),
                     f"{r['bram36']:g}" if "bram36" in r else "-", r.get("dsp", "-"),
                     f"{r['model_lut']:,} / {r['model_bram36']:g}",
                     {True: "yes", False: "no", None: "-"}[fits],
                     f"{r['mismatches']} / {r['sim_frames']} ({r['cycles_measured']:.0f} cyc)" if "sim_frames" in r else "-"])
        (args.out / f"build{i}" / "bench_row.json").write_text(json.dumps(r))
    print()
    print(table(rows, ["folding", "cycles/frame", f"frames/s if clocked at {CLOCK_MHZ} MHz (no timing run)", "LUT", "FF", "BRAM36",
                       "DSP", "model LUT / BRAM36", "fits xc7z020", "RTL mismatches / frames"]))
    print(f"\nYosys synth_xilinx estimate for xc7z020 (budget {XC7Z020['lut']:,} LUT, {XC7Z020['bram36']} BRAM36, "
          f"{XC7Z020['dsp']} DSP); frames/s = {CLOCK_MHZ} MHz / cycles per frame, no timing run. "
          f"CNV seed {args.seed}. {provenance_line()}")


if __name__ == "__main__":
    main()
