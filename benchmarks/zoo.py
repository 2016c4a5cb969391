"""Every training method on every zoo MLP, both embedded datasets and both input modes: the same
epochs and data for every method, over seeds. Per row: hardened test accuracy (the Brevitas model
the hardware computes) as mean ± sd, sbn's margin over STE, sbn's smooth-vs-hardened agreement
and, for every method, the largest drop from the model as trained to its hardened version.

    python benchmarks/zoo.py --jobs 2                 # 16 rows x 5 methods x 3 seeds (about 1 h on 2 cores)
    python benchmarks/zoo.py --dataset digits --model tfc

The hardware path of these models is proven bit-exact by benchmarks/accuracy.py and the tests;
this sweep stops at the hardened model so that it can cover the whole zoo.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from provenance import code_commit, mean_sd, provenance, provenance_line, table
from training_runs import run_all

from sbn_hw.models import MODEL_ZOO
from sbn_hw.train import TrainConfig

METHODS = ("sbn", "ste", "lab", "sibnn", "siman")
DATASETS = {"digits": 40, "mnist5k": 30}  # epochs, as `sbn-hw train` uses by default
MODES = ("int8", "binary")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", action="append", choices=list(DATASETS))
    ap.add_argument("--model", action="append", choices=list(MODEL_ZOO))
    ap.add_argument("--input-mode", action="append", choices=list(MODES))
    ap.add_argument("--method", action="append", choices=list(METHODS))
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--jobs", type=int, default=2, help="worker processes (one torch thread each)")
    ap.add_argument("--out", type=Path, default=Path("build/zoo"))
    ap.add_argument("--cached-only", action="store_true",
                    help="train nothing: print the rows whose runs are all in the cache, name the others")
    args = ap.parse_args()
    methods = args.method or METHODS
    rows = [(d, m, i) for d in args.dataset or DATASETS for m in args.model or MODEL_ZOO for i in args.input_mode or MODES]
    grid = [(row, meth, seed) for row in rows for meth in methods for seed in args.seeds]
    configs = [TrainConfig(dataset=d, model=m, input_mode=i, method=meth, epochs=DATASETS[d], seed=seed)
               for (d, m, i), meth, seed in grid]
    prov = provenance()
    results = run_all(configs, args.out / "runs", args.jobs, compute=not args.cached_only)
    by: dict = {}
    for (row, meth, _), r in zip(grid, results):
        by.setdefault((row, meth), []).append(r)
    missing = [row for row in rows if any(r is None for meth in methods for r in by[(row, meth)])]
    rows = [row for row in rows if row not in missing]

    def hardened(row, meth):
        return [r["hardened"] for r in by[(row, meth)]]

    lines, raw = [], []
    for row in rows:
        drops = {meth: max(r["trained"] - r["hardened"] for r in by[(row, meth)]) for meth in methods}
        worst = max(drops, key=drops.get)
        cells = [mean_sd(hardened(row, meth)) for meth in methods]
        margin = "–"
        if {"sbn", "ste"} <= set(methods):
            diff = np.mean(hardened(row, "sbn")) - np.mean(hardened(row, "ste"))
            sd = np.hypot(np.std(hardened(row, "sbn"), ddof=1), np.std(hardened(row, "ste"), ddof=1)) if len(args.seeds) > 1 else 0
            margin = f"{diff * 100:+.2f} ± {sd * 100:.2f}"
        agree = f"{min(r['agreement'] for r in by[(row, 'sbn')]):.4f}" if "sbn" in methods else "–"
        lines.append(["/".join(row), *cells, margin, agree,
                      f"{drops[worst] * 100:+.2f}" + (f" ({worst})" if drops[worst] > 0 else " (none lost)")])
        raw.append({"row": "/".join(row), "runs": {meth: by[(row, meth)] for meth in methods}})
    header = ["dataset/model/input", *methods, "sbn - ste (points)", "sbn agree (min)", "largest trained->hardened drop"]
    print(f"\nhardened test accuracy, mean ± sd over seeds {' '.join(map(str, args.seeds))}; epochs "
          f"{', '.join(f'{d} {e}' for d, e in DATASETS.items())}; every method with the same data and budget")
    print(table(lines, header))
    print("sbn - ste: difference of the means, ± the two sds combined; agree: the lowest over seeds; drop: "
          "the largest over seeds and methods (negative: hardening gained)")
    if missing:
        print("not run yet (some or all of their runs are missing): " + ", ".join("/".join(r) for r in missing))
    print(f"\nProduced by: {provenance_line(prov)}; training code at commit {code_commit()}; each run in its own "
          f"process with one torch thread, {args.jobs} at a time")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "zoo.json").write_text(json.dumps({"provenance": prov, "header": header, "rows": lines, "runs": raw}, indent=2))


if __name__ == "__main__":
    main()
