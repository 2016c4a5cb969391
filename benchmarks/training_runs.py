"""Train-and-harden runs for the accuracy studies: each run trains one configuration, hardens it
into the Brevitas model the hardware path exports, and scores both on the test set (and on the
validation split when there is one). Runs go to worker processes (one torch thread each); every
result is cached on disk under its settings and the last commit of the training code
(provenance.TRAINING_CODE), so an interrupted study resumes and a change elsewhere in the
repository does not retrain."""

from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
import time
from dataclasses import asdict
from pathlib import Path

from provenance import code_commit


def train_and_harden(cfg_dict: dict) -> dict:
    """One run: test (and validation) accuracy of the model as trained and of its hardened
    Brevitas version, and the fraction of test frames on which the two predict the same class."""
    import numpy as np
    import torch

    from sbn_hw.data import load_dataset, model_input, model_input_step, split_validation
    from sbn_hw.harden import harden
    from sbn_hw.train import TrainConfig
    from sbn_hw.train.trainer import predict, set_final_state, train

    torch.set_num_threads(1)
    cfg = TrainConfig(**cfg_dict)
    data = load_dataset(cfg.dataset, seed=cfg.seed)
    t0 = time.time()
    model = set_final_state(train(cfg, data).model, cfg).eval()
    seconds = time.time() - t0
    hardened = harden(model, model_input_step(data.pixel_max, cfg.input_mode)).eval()

    def scores(x_raw, y):
        x = model_input(x_raw, data.pixel_max, cfg.input_mode)
        trained = predict(model, x)
        with torch.no_grad():
            hard = hardened(torch.from_numpy(x)).argmax(1).numpy()
        return float((trained == y).mean()), float((hard == y).mean()), float((trained == hard).mean())

    test = scores(data.x_test, data.y_test)
    out = {"trained": test[0], "hardened": test[1], "agreement": test[2], "seconds": seconds}
    _, val = split_validation(data.x_train, data.y_train, cfg.val_fraction, cfg.seed)
    if val:
        out["val_trained"], out["val_hardened"], out["val_agreement"] = scores(*val)
    return out


def _key(cfg_dict: dict, commit: str) -> str:
    return hashlib.sha1(json.dumps([cfg_dict, commit], sort_keys=True).encode()).hexdigest()[:16]


def _cached_run(args: tuple[dict, Path]) -> dict:
    cfg_dict, path = args
    result = train_and_harden(cfg_dict)
    tmp = path.with_suffix(".partial")
    tmp.write_text(json.dumps({"config": cfg_dict, "result": result}))
    tmp.replace(path)  # a killed study leaves no half-written result behind
    return result


def run_all(configs: list, cache: Path, jobs: int, compute: bool = True) -> list[dict | None]:
    """Results in the order of `configs` (TrainConfig objects), computing only what the cache lacks
    (compute=False: nothing is computed, a missing result is None)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    commit = code_commit()
    cache.mkdir(parents=True, exist_ok=True)
    dicts = [asdict(c) for c in configs]
    paths = [cache / f"{_key(d, commit)}.json" for d in dicts]
    todo = [(d, p) for d, p in zip(dicts, paths) if not p.exists()]
    if not compute:
        return [json.loads(p.read_text())["result"] if p.exists() else None for p in paths]
    with Progress(TextColumn("  {task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()) as bar:
        task = bar.add_task(f"training runs ({len(dicts) - len(todo)} cached)", total=len(todo))
        with mp.get_context("spawn").Pool(jobs) as pool:
            for _ in pool.imap_unordered(_cached_run, todo):
                bar.advance(task)
    return [json.loads(p.read_text())["result"] for p in paths]
