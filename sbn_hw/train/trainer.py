"""Train a self-binarizing MLP: nu grows each step so that the net ends equal to its sign version."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from sbn_hw.data import Dataset, model_input
from sbn_hw.models import build_model
from sbn_hw.nn import NuSchedule, set_hard, set_nu


@dataclass
class TrainConfig:
    dataset: str = "digits"
    model: str = "digits-mlp"
    input_mode: str = "int8"
    epochs: int = 40
    batch_size: int = 64
    lr: float = 1e-2
    seed: int = 0
    nu0: float = 1.0
    nu_max: float = 1000.0
    schedule: str = "exp"


@dataclass
class TrainResult:
    model: nn.Module
    config: TrainConfig
    history: list[dict] = field(default_factory=list)
    seconds: float = 0.0


@torch.no_grad()
def evaluate(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    model.eval()
    pred = model(torch.from_numpy(x)).argmax(1).numpy()
    return float((pred == y).mean())


def train(cfg: TrainConfig, data: Dataset, on_epoch=None) -> TrainResult:
    """Train deterministically for `cfg.seed`. `on_epoch(record)` is called after each epoch."""
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    x_tr = model_input(data.x_train, data.pixel_max, cfg.input_mode)
    x_te = model_input(data.x_test, data.pixel_max, cfg.input_mode)
    model = build_model(cfg.model, data.features, data.classes)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    steps_per_epoch = int(np.ceil(len(x_tr) / cfg.batch_size))
    total = cfg.epochs * steps_per_epoch
    sched = NuSchedule(cfg.nu0, cfg.nu_max, total, cfg.schedule)
    lr_sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total)
    loss_fn = nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x_tr), torch.from_numpy(data.y_train)
    history, step, t0 = [], 0, time.time()
    for epoch in range(cfg.epochs):
        model.train()
        order = rng.permutation(len(x_tr))
        losses = []
        for b in range(steps_per_epoch):
            idx = torch.from_numpy(order[b * cfg.batch_size : (b + 1) * cfg.batch_size])
            set_nu(model, sched.value(step))
            loss = loss_fn(model(xt[idx]), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            lr_sched.step()
            losses.append(loss.item())
            step += 1
        nu = sched.value(step)
        set_nu(model, nu)
        rec = {
            "epoch": epoch + 1,
            "loss": float(np.mean(losses)),
            "nu": nu,
            "train_acc": evaluate(model, x_tr, data.y_train),
            "test_acc": evaluate(model, x_te, data.y_test),
        }
        set_hard(model, True)
        rec["test_acc_hard"] = evaluate(model, x_te, data.y_test)
        set_hard(model, False)
        history.append(rec)
        if on_epoch:
            on_epoch(rec)
    model.eval()
    return TrainResult(model, cfg, history, time.time() - t0)
