"""Self-binarizing training variants against STE on one zoo row, over seeds: accuracy on a
validation split carved from the training set (what choices are made on), hardened test accuracy,
and the fraction of test frames on which the trained model and its sign version agree.

    python benchmarks/hard_finish.py --dataset mnist5k --model tfc --input-mode int8
"""

from __future__ import annotations

import argparse

import numpy as np
from provenance import mean_sd, provenance_line, table

from sbn_hw.data import load_dataset
from sbn_hw.train import TrainConfig
from sbn_hw.train.trainer import train

VARIANTS = {
    "sbn, defaults": dict(method="sbn"),
    "sbn, hard finish 6 epochs": dict(method="sbn", hard_finish_epochs=6),
    "sbn, hard finish 15 epochs": dict(method="sbn", hard_finish_epochs=15),
    "sbn, nu_a -> 10, hard finish 6": dict(method="sbn", nu_a_max=10.0, hard_finish_epochs=6),
    "sbn, nu_a -> 5, hard finish 6": dict(method="sbn", nu_a_max=5.0, hard_finish_epochs=6),
    "sbn, nu_w -> 100, hard finish 6": dict(method="sbn", nu_w_max=100.0, hard_finish_epochs=6),
    "sbn, nu_w -> 10, hard finish 6": dict(method="sbn", nu_w_max=10.0, hard_finish_epochs=6),
    "sbn, hard finish 10, backward nu_a 1": dict(method="sbn", hard_finish_epochs=10, hard_finish_nu_a=1.0),
    "sbn, hard finish 10, backward nu_a 3": dict(method="sbn", hard_finish_epochs=10, hard_finish_nu_a=3.0),
    "sbn, activations start at nu 5, hard finish 6": dict(method="sbn", nu_a0=5.0, hard_finish_epochs=6),
    "sbn, activations start at nu 15, hard finish 6": dict(method="sbn", nu_a0=15.0, hard_finish_epochs=6),
    "sbn, nu_a -> 2, hard finish 10": dict(method="sbn", nu_a_max=2.0, hard_finish_epochs=10),
    "sbn, nu_a held at 1 (tanh), hard finish 10": dict(method="sbn", nu_a_max=1.0, hard_finish_epochs=10),
    "ste": dict(method="ste"),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="mnist5k", choices=["digits", "mnist5k"])
    ap.add_argument("--model", default="tfc")
    ap.add_argument("--input-mode", default="int8", choices=["int8", "binary"])
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--val-fraction", type=float, default=0.1)
    args = ap.parse_args()
    epochs = args.epochs or (30 if args.dataset == "mnist5k" else 40)
    rows = []
    for name, kw in VARIANTS.items():
        runs = []
        for seed in args.seeds:
            cfg = TrainConfig(dataset=args.dataset, model=args.model, input_mode=args.input_mode, epochs=epochs,
                              seed=seed, val_fraction=args.val_fraction, **kw)
            runs.append(train(cfg, load_dataset(args.dataset, seed=seed)).history[-1])
        col = lambda k: [r[k] for r in runs]  # noqa: E731
        rows.append([name, mean_sd(col("val_acc_hard")), mean_sd(col("test_acc_hard")),
                     f"{np.mean(col('test_agreement')):.4f}"])
    print(f"\n{args.dataset} / {args.model} / {args.input_mode}, {epochs} epochs, seeds {' '.join(map(str, args.seeds))}, "
          f"{args.val_fraction:.0%} validation split; mean ± sd over seeds")
    print(table(rows, ["configuration", "validation, hardened", "test, hardened", "test smooth = hard"]))
    print(f"\nProduced by: {provenance_line()}")


if __name__ == "__main__":
    main()
