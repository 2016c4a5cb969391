"""Run the whole path (`sbn-hw build`, defaults) on each embedded dataset and print per-stage times,
accuracies, cycles per frame and Yosys resources, with what produced the figures.

Throughput is quoted as cycles per frame x 100 MHz: no place-and-route has shown that clock yet.

    python benchmarks/pipeline.py                   # digits and mnist5k, seed 0
    python benchmarks/pipeline.py --dataset digits --seed 1 --out build/bench
    python benchmarks/pipeline.py --dataset mnist5k:cnn-s     # a zoo model other than the default
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from provenance import provenance, provenance_line, table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sbn_hw.pipeline.builddir import STAGES  # noqa: E402


def run(config: str, seed: int, out: Path) -> dict:
    """`config` is a dataset (its default model) or dataset:model."""
    dataset, _, model = config.partition(":")
    cmd = [sys.executable, "-m", "sbn_hw.cli", "build", "--dataset", dataset, "--seed", str(seed), "--out", str(out)]
    cmd += ["--model", model] if model else []
    subprocess.run(cmd, check=True)
    return json.loads((out / "report.json").read_text())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", action="append", metavar="DATASET[:MODEL]",
                    help="digits or mnist5k, optionally with a zoo model (mnist5k:cnn-s); repeatable")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("build/bench"))
    args = ap.parse_args()
    for config in args.dataset or []:
        if config.partition(":")[0] not in ("digits", "mnist5k"):
            ap.error(f"--dataset {config}: the dataset must be digits or mnist5k (the embedded ones), e.g. mnist5k:cnn-s")
    prov = provenance()
    reports = {d: run(d, args.seed, args.out / d.replace(":", "-")) for d in (args.dataset or ["digits", "mnist5k"])}
    print(f"\nSeconds per stage (seed {args.seed})")
    print(table([[d] + [f"{r['seconds'].get(s, float('nan')):.1f}" for s in STAGES] + [f"{sum(r['seconds'].values()):.1f}"]
                 for d, r in reports.items()], ["dataset"] + list(STAGES) + ["total"]))
    print(f"\nResults (seed {args.seed})")
    rows = []
    for d, r in reports.items():
        a, c, res = r["accuracy"], r["cycles_per_frame"], r["resources"]
        styles = "/".join(str(l["ram_style"]) for l in r["layers"] if "ram_style" in l)
        first_mvau = next(l for l in r["layers"] if "mode" in l)  # a CNN starts with its sliding window
        rows.append([d, r["model"], first_mvau["mode"] + " " + str(r.get("input_dtype", "")), f"{a['smooth']:.4f}",
                     f"{a['hardened']:.4f}", f"{a['rtl']:.4f}", r["frames_simulated"], r["mismatches"],
                     f"{c['measured']:.1f}/{c['analytic']}", f"{r['fps_at_100mhz_timing_not_checked']:,.0f}",
                     res["lut"], res.get("lut_logic", "–"), res.get("lut_memory", "–"), res["ff"], res["bram"], res["dsp"],
                     styles])
    print(table(rows, ["dataset", "model", "first layer", "smooth", "hardened", "RTL", "frames", "mismatches",
                       "cycles/frame (meas/analytic)", "frames/s = cycles x 100 MHz (timing not checked)", "LUT",
                       "LUT logic", "LUT memory", "FF", "BRAM36", "DSP", "memory style per layer"]))
    print(f"\nProduced by: {provenance_line(prov)}")


if __name__ == "__main__":
    main()
