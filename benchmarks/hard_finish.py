"""How sbn's schedule was chosen: self-binarizing variants against STE on several zoo rows, over
seeds. Choices are made on the validation split carved from the training set (its mean over the
rows is the last column); the test accuracy is printed beside it, never used to choose.

    python benchmarks/hard_finish.py                      # the rows and variants below, seeds 0-2 (~40 min)
    python benchmarks/hard_finish.py --row mnist5k/tfc/int8 --jobs 2
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from provenance import mean_sd, provenance_line, table
from training_runs import run_all

from sbn_hw.train import TrainConfig

# Every variant states all of its schedule, so the table does not move when the defaults do.
# finish: the hard finish's share of the epochs; a0/w0 = 1; nu_a, nu_w: ends of the smooth phase;
# back: the activations' nu for gradients in the finish.


def sbn(finish: tuple[int, int], nu_w: float = 10.0, nu_a: float = 5.0, back: float = 3.0) -> dict:
    return dict(method="sbn", hard_finish_epochs=finish, nu_w_max=nu_w, nu_a_max=nu_a,
                hard_finish_nu_a=back if finish[0] else None)


VARIANTS = {
    "smooth to the end: nu_w 1 -> 1e4, nu_a 1 -> 30 (the default before the hard finish)": sbn((0, 1), 1e4, 30.0),
    "finish 1/2, nu_w -> 10, nu_a -> 5, back 1": sbn((1, 2), back=1.0),
    "finish 1/2, nu_w -> 10, nu_a 1 (tanh), back 1": sbn((1, 2), nu_a=1.0, back=1.0),
    "finish 1/2, nu_w -> 10, nu_a -> 30, back 1": sbn((1, 2), nu_a=30.0, back=1.0),
    "finish 1/2, nu_w -> 100, nu_a -> 5, back 1": sbn((1, 2), nu_w=100.0, back=1.0),
    "finish 1/3, nu_w -> 10, nu_a -> 5, back 1": sbn((1, 3), back=1.0),
    "finish 2/3, nu_w -> 10, nu_a -> 5, back 1": sbn((2, 3), back=1.0),
    "finish 1/2, nu_w -> 10, nu_a -> 5, back 3": sbn((1, 2)),
    "finish 2/3, nu_w -> 10, nu_a -> 5, back 3 (the default)": sbn((2, 3)),
    "finish 2/3, nu_w -> 10, nu_a 1 (tanh), back 3": sbn((2, 3), nu_a=1.0),
    "finish 2/3, nu_w -> 10, nu_a -> 5, back 2": sbn((2, 3), back=2.0),
    "finish 3/4, nu_w -> 10, nu_a -> 5, back 3": sbn((3, 4)),
    "finish 5/6, nu_w -> 10, nu_a -> 5, back 3": sbn((5, 6)),
    "ste": dict(method="ste"),
}
ROWS = ["mnist5k/tfc/int8", "mnist5k/tfc/binary", "mnist5k/sfc/int8", "digits/digits-mlp/int8", "digits/digits-mlp/binary"]
EPOCHS = {"digits": 40, "mnist5k": 30}


def config(row: str, seed: int, val_fraction: float, kw: dict) -> TrainConfig:
    dataset, model, mode = row.split("/")
    epochs = EPOCHS[dataset]
    kw = dict(kw)
    if "hard_finish_epochs" in kw:  # a share of the row's epochs
        num, den = kw["hard_finish_epochs"]
        kw["hard_finish_epochs"] = epochs * num // den
    return TrainConfig(dataset=dataset, model=model, input_mode=mode, epochs=epochs, seed=seed,
                       val_fraction=val_fraction, **kw)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--row", action="append", help=f"dataset/model/input [default: {' '.join(ROWS)}]")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--val-fraction", type=float, default=0.1)
    ap.add_argument("--jobs", type=int, default=2, help="worker processes (one torch thread each)")
    ap.add_argument("--out", type=Path, default=Path("build/hard_finish"))
    args = ap.parse_args()
    rows_ = args.row or ROWS
    grid = [(name, row, seed) for name in VARIANTS for row in rows_ for seed in args.seeds]
    results = run_all([config(row, seed, args.val_fraction, VARIANTS[name]) for name, row, seed in grid],
                      args.out / "runs", args.jobs)
    by = {}
    for (name, row, _), r in zip(grid, results):
        by.setdefault((name, row), []).append(r)
    header = ["configuration", *[f"{row}: val / test (hardened)" for row in rows_], "test agree", "mean val"]
    lines = []
    for name in VARIANTS:
        cells, vals, agree = [], [], []
        for row in rows_:
            rs = by[(name, row)]
            cells.append(f"{np.mean([r['val_hardened'] for r in rs]):.4f} / {mean_sd([r['hardened'] for r in rs])}")
            vals.append(np.mean([r["val_hardened"] for r in rs]))
            agree += [r["agreement"] for r in rs]
        lines.append([name, *cells, f"{min(agree):.4f}", f"{np.mean(vals):.4f}"])
    print(f"\nseeds {' '.join(map(str, args.seeds))}, {args.val_fraction:.0%} validation split; epochs "
          f"{', '.join(f'{d} {e}' for d, e in EPOCHS.items())}; val: mean over seeds, test: mean ± sd; "
          "test agree: the lowest smooth-vs-hardened agreement over the rows' runs")
    print(table(lines, header))
    print(f"\nProduced by: {provenance_line()}")


if __name__ == "__main__":
    main()
