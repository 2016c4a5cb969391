"""Run the whole path on each embedded dataset and print per-stage times and the report figures.

    python benchmarks/pipeline.py                 # digits and mnist5k
    python benchmarks/pipeline.py --dataset digits --out build/bench
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

STAGES = ("train", "export", "compile", "simulate", "synth")


def run(dataset: str, out: Path) -> dict:
    cmd = [sys.executable, "-m", "sbn_hw.cli", "build", "--dataset", dataset, "--out", str(out)]
    subprocess.run(cmd, check=True)
    return json.loads((out / "report.json").read_text())


def table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    line = lambda r: "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |"  # noqa: E731
    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"] + [line(r) for r in rows])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", action="append", choices=["digits", "mnist5k"])
    ap.add_argument("--out", type=Path, default=Path("build/bench"))
    args = ap.parse_args()
    reports = {d: run(d, args.out / d) for d in (args.dataset or ["digits", "mnist5k"])}
    print("\nSeconds per stage")
    print(table([[d] + [f"{r['seconds'].get(s, float('nan')):.1f}" for s in STAGES] + [f"{sum(r['seconds'].values()):.1f}"]
                 for d, r in reports.items()], ["dataset"] + list(STAGES) + ["total"]))
    print("\nResults")
    rows = []
    for d, r in reports.items():
        a, c, res = r["accuracy"], r["cycles_per_frame"], r["resources"]
        rows.append([d, r["model"], f"{a['smooth']:.4f}", f"{a['hardened']:.4f}", f"{a['rtl']:.4f}", r["frames_simulated"],
                     r["mismatches"], f"{c['measured']:.1f}/{c['analytic']}", f"{r['fps_at_100mhz']:,.0f}",
                     res["lut"], res["ff"], res["bram"], res["dsp"]])
    print(table(rows, ["dataset", "model", "smooth", "hardened", "RTL", "frames", "mismatches", "cycles/frame (meas/analytic)",
                       "fps@100MHz", "LUT", "FF", "BRAM36", "DSP"]))


if __name__ == "__main__":
    main()
