"""Every training method on the same data and epoch budget, over several seeds, each carried to
bit-exact RTL simulation: mean ± sd (sample sd over the seeds) with what produced the figures.

Float results depend on the CPU's kernels (another CPU can give another value for the same seed),
hence the spread over seeds rather than one seed's value.

    python benchmarks/accuracy.py                                  # digits, seeds 0 1 2, 40 epochs
    python benchmarks/accuracy.py --dataset mnist5k --max-frames 200
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from provenance import mean_sd, provenance, provenance_line, table

METHODS = ("sbn", "ste", "lab", "sibnn", "siman")
DEFAULT_EPOCHS = {"digits": 40, "mnist5k": 30}


def stage(*args: str, quiet: bool) -> None:
    subprocess.run([sys.executable, "-m", "sbn_hw.cli", *args], check=True,
                   stdout=subprocess.DEVNULL if quiet else None)


def run(method: str, seed: int, args) -> dict:
    """train -> export -> compile -> simulate -> report (no synthesis: resources are in pipeline.py)."""
    out = args.out / args.dataset / f"{args.model or 'default'}-{args.input_mode}" / f"{method}-seed{seed}"
    stage("train", "--method", method, "--dataset", args.dataset, "--epochs", str(args.epochs), "--seed", str(seed),
          "--input-mode", args.input_mode, "--out", str(out), *(["--model", args.model] if args.model else []),
          *(["--hard-finish-epochs", str(args.hard_finish_epochs)]
            if args.hard_finish_epochs is not None and method == "sbn" else []),
          quiet=args.quiet)
    for s in ("export", "compile"):
        stage(s, "--out", str(out), quiet=args.quiet)
    stage("simulate", "--out", str(out), *(["--max-frames", str(args.max_frames)] if args.max_frames else []), quiet=args.quiet)
    stage("report", "--out", str(out), quiet=args.quiet)
    return json.loads((out / "report.json").read_text())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="digits", choices=["digits", "mnist5k"])
    ap.add_argument("--model", default=None, help="zoo model [default: the dataset's default]")
    ap.add_argument("--input-mode", default="int8", choices=["int8", "binary"])
    ap.add_argument("--hard-finish-epochs", type=int, default=None,
                    help="sbn's hard finish [default: sbn-hw's, two thirds of the epochs] (docs/METHODS.md)")
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--max-frames", type=int, default=None, help="RTL-simulate only the first N test frames")
    ap.add_argument("--method", action="append", choices=METHODS)
    ap.add_argument("--out", type=Path, default=Path("build/accuracy"))
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    args.epochs = args.epochs or DEFAULT_EPOCHS[args.dataset]
    prov = provenance()
    rows, raw = [], {}
    for m in args.method or METHODS:
        reps = [run(m, s, args) for s in args.seeds]
        raw[m] = reps
        acc = lambda k: [r["accuracy"][k] for r in reps]  # noqa: E731
        rows.append([m, len(reps), mean_sd(acc("smooth")), mean_sd(acc("hardened")),
                     mean_sd([r["accuracy"]["golden_on_simulated_frames"] for r in reps]), mean_sd(acc("rtl")),
                     mean_sd([r["smooth_hard_agreement"] for r in reps]), reps[0]["frames_scored_rtl"],
                     sum(r["mismatches"] for r in reps), "/".join(l["mode"] for l in reps[0]["layers"][1:2]),
                     f"{sum(r['seconds']['train'] for r in reps) / len(reps) / args.epochs:.2f}"])
    header = ["method", "seeds", "trained", "hardened", "golden (RTL frames)", "RTL", "smooth/hard agree",
              "RTL frames", "mismatches", "hidden encoding", "train s/epoch"]
    print(f"\n{args.dataset} ({raw[next(iter(raw))][0]['model']}, {args.input_mode} input"
          f"{f', sbn hard finish {args.hard_finish_epochs}' if args.hard_finish_epochs is not None else ''}), {args.epochs} epochs, seeds "
          f"{' '.join(map(str, args.seeds))}; mean ± sd over seeds")
    print(table(rows, header))
    print(f"\nProduced by: {provenance_line(prov)}")
    folder = args.out / args.dataset / f"{args.model or 'default'}-{args.input_mode}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "accuracy.json").write_text(json.dumps({"provenance": prov, "rows": rows, "header": header}, indent=2))


if __name__ == "__main__":
    main()
