"""Every training method on the same data, seed and epoch budget, side by side, each carried to
bit-exact RTL simulation and a resource estimate.

    python benchmarks/accuracy.py                           # digits, 40 epochs
    python benchmarks/accuracy.py --dataset mnist5k --epochs 30 --max-frames 200
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

METHODS = ("sbn", "ste", "lab", "sibnn", "siman")


def build(method: str, args) -> dict:
    out = args.out / args.dataset / method
    cmd = [sys.executable, "-m", "sbn_hw.cli", "build", "--method", method, "--dataset", args.dataset,
           "--epochs", str(args.epochs), "--seed", str(args.seed), "--out", str(out)]
    if args.max_frames:
        cmd += ["--max-frames", str(args.max_frames)]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL if args.quiet else None)
    return json.loads((out / "report.json").read_text())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="digits", choices=["digits", "mnist5k"])
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-frames", type=int, default=None, help="RTL-simulate only the first N test frames")
    ap.add_argument("--method", action="append", choices=METHODS)
    ap.add_argument("--out", type=Path, default=Path("build/accuracy"))
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    rows = []
    for m in args.method or METHODS:
        r = build(m, args)
        a, res = r["accuracy"], r["resources"]
        per_epoch = r["seconds"]["train"] / args.epochs
        rows.append([m, f"{a['smooth']:.4f}", f"{a['hardened']:.4f}", f"{a['rtl']:.4f}", f"{r['smooth_hard_agreement']:.4f}",
                     f"{per_epoch:.2f}", r["frames_simulated"], r["mismatches"], "/".join(l["mode"] for l in r["layers"][1:2]),
                     res["lut"], res["ff"], res["bram"]])
    header = ["method", "trained", "hardened", "RTL", "smooth/hard agree", "train s/epoch", "RTL frames", "mismatches",
              "hidden encoding", "LUT", "FF", "BRAM36"]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    fmt = lambda r: "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |"  # noqa: E731
    print(f"\n{args.dataset}, seed {args.seed}, {args.epochs} epochs")
    print("\n".join([fmt(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"] + [fmt(r) for r in rows]))


if __name__ == "__main__":
    main()
