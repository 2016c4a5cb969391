"""Run the whole path (`sbn-hw build`, defaults) on each embedded dataset and print per-stage times,
accuracies, cycles per frame and Yosys resources, with what produced the figures.

Throughput is quoted as cycles per frame x 100 MHz: no place-and-route has shown that clock yet.

    python benchmarks/pipeline.py                   # digits and mnist5k, seed 0
    python benchmarks/pipeline.py --dataset digits --seed 1 --out build/bench
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


def run(dataset: str, seed: int, out: Path) -> dict:
    cmd = [sys.executable, "-m", "sbn_hw.cli", "build", "--dataset", dataset, "--seed", str(seed), "--out", str(out)]
    subprocess.run(cmd, check=True)
    return json.loads((out / "report.json").read_text())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", action="append", choices=["digits", "mnist5k"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("build/bench"))
    args = ap.parse_args()
    prov = provenance()
    reports = {d: run(d, args.seed, args.out / d) for d in (args.dataset or ["digits", "mnist5k"])}
    print(f"\nSeconds per stage (seed {args.seed})")
    print(table([[d] + [f"{r['seconds'].get(s, float('nan')):.1f}" for s in STAGES] + [f"{sum(r['seconds'].values()):.1f}"]
                 for d, r in reports.items()], ["dataset"] + list(STAGES) + ["total"]))
    print(f"\nResults (seed {args.seed})")
    rows = []
    for d, r in reports.items():
        a, c, res = r["accuracy"], r["cycles_per_frame"], r["resources"]
        styles = "/".join(str(l.get("ram_style", "?")) for l in r["layers"])
        rows.append([d, r["model"], r["layers"][0]["mode"] + " " + str(r.get("input_dtype", "")), f"{a['smooth']:.4f}",
                     f"{a['hardened']:.4f}", f"{a['rtl']:.4f}", r["frames_simulated"], r["mismatches"],
                     f"{c['measured']:.1f}/{c['analytic']}", f"{r['fps_at_100mhz_timing_not_checked']:,.0f}",
                     res["lut"], res.get("lut_logic", "–"), res.get("lut_memory", "–"), res["ff"], res["bram"], res["dsp"],
                     styles])
    print(table(rows, ["dataset", "model", "first layer", "smooth", "hardened", "RTL", "frames", "mismatches",
                       "cycles/frame (meas/analytic)", "frames/s = cycles x 100 MHz (timing not checked)", "LUT",
                       "LUT logic", "LUT memory", "FF", "BRAM36", "DSP", "weight memory per layer"]))
    print(f"\nProduced by: {provenance_line(prov)}")


if __name__ == "__main__":
    main()
