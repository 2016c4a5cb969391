"""Train a binary model of the zoo (MLP or CNN) with any of the methods. For `sbn`, nu grows each
step so that the network ends equal to its sign version; the others train sign-based networks with
straight-through gradients. Training is deterministic for a seed, and resumable from its last checkpoint."""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from sbn_hw import SbnHwError
from sbn_hw.data import Dataset, model_input
from sbn_hw.models import build_model, zoo_names
from sbn_hw.models.layers import check_lab_kernel
from sbn_hw.models.zoo import is_conv_model
from sbn_hw.nn import NuSchedule, set_hard, set_hard_forward, set_nu
from sbn_hw.nn.binarizers import STEWeights

# sbn's default shape, chosen on validation splits over five zoo rows (docs/METHODS.md,
# benchmarks/hard_finish.py): nu grows over the first third, the last two thirds are the hard
# finish, whose activation gradients are tanh(3x)'s derivative (a window of width ~2/3).
HARD_FINISH_FRACTION = (2, 3)
HARD_FINISH_NU_A = 3.0


def saved_config(saved: dict, cfg: "TrainConfig") -> dict:
    """A checkpoint's config with the settings it predates filled in as they were then: no
    augmentation, and LAB's 1x1 form (which only a lab CNN uses; elsewhere lab_kernel changes
    nothing, so it takes cfg's)."""
    lab_cnn = saved.get("method") == "lab" and is_conv_model(saved.get("model", ""))
    return {"augment_shift": 0, "lab_kernel": 1 if lab_cnn else cfg.lab_kernel, **saved}


@dataclass
class TrainConfig:
    dataset: str = "digits"
    model: str = "digits-mlp"
    method: str = "sbn"
    input_mode: str = "int8"
    epochs: int = 40
    batch_size: int = 64
    lr: float = 1e-2
    seed: int = 0
    nu0: float = 1.0
    nu_max: float = 1000.0
    schedule: str = "exp"
    data_dir: str | None = None  # for datasets read from the user's files
    # Separate schedules for weights and activations (None: use nu0 / nu_max / schedule above).
    # The smooth phase's ends, chosen on validation splits over the zoo (docs/METHODS.md): weights
    # sharpen 1 -> 10 and activations 1 -> 5 while the forward is smooth, then the hard finish.
    nu_w0: float | None = None
    nu_w_max: float | None = 10.0
    schedule_w: str | None = None
    nu_a0: float | None = None
    nu_a_max: float | None = 5.0
    schedule_a: str | None = None
    nu_per: str = "step"  # nu advances every "step" or only at each "epoch"
    warmup_epochs: int = 0  # epochs held at the start value before nu begins to grow
    # sbn: the last N epochs train the exact sign forward (gradients through tanh(nu*x)), so the
    # trained network is its binary version and hardening loses nothing. None: two thirds of the
    # epochs (HARD_FINISH_FRACTION).
    # nu grows over the smooth epochs before it and is held through it.
    hard_finish_epochs: int | None = None
    # sbn, hard finish only: the activations' nu for the backward pass (the forward is sign whatever
    # nu is). None: HARD_FINISH_NU_A.
    hard_finish_nu_a: float | None = None
    # Fraction of the training set held out (stratified, by seed) to measure accuracy and the
    # smooth-vs-hard agreement every epoch; choices are made on it, never on the test set.
    val_fraction: float = 0.0
    # Data augmentation: every training frame of every batch is translated by up to this many
    # pixels in each direction (vacated pixels are background, pixel value 0), the shifts drawn
    # from the seeded generator, so a run stays deterministic and resumable. 0: none.
    augment_shift: int = 0
    # lab on a CNN: the depthwise binarization kernel on conv feature maps (odd; 1: the 1x1 form).
    lab_kernel: int = 3

    def finish_epochs(self) -> int:
        """How many final epochs train the exact sign forward (sbn only)."""
        if self.method != "sbn":
            return 0
        if self.hard_finish_epochs is None:
            num, den = HARD_FINISH_FRACTION
            return self.epochs * num // den
        return self.hard_finish_epochs

    def smooth_epochs(self) -> int:
        """Epochs over which nu grows: after the warm-up, before the hard finish."""
        return self.epochs - self.warmup_epochs - self.finish_epochs()

    def check(self) -> None:
        finish = self.hard_finish_epochs
        if finish is not None and not 0 <= finish <= self.epochs:
            raise SbnHwError(f"--hard-finish-epochs must be in [0, {self.epochs}] (the epochs), got {finish}")
        if (finish or self.hard_finish_nu_a is not None) and self.method != "sbn":
            raise SbnHwError(f"--hard-finish-epochs and --hard-finish-nu-a are for --method sbn (the {self.method} "
                             "method trains the sign forward throughout); drop them")
        if self.hard_finish_nu_a is not None and not (self.hard_finish_nu_a > 0 and self.finish_epochs()):
            raise SbnHwError("--hard-finish-nu-a needs a hard finish (--hard-finish-epochs > 0) and a value > 0")
        if self.warmup_epochs < 0 or (self.method == "sbn" and self.warmup_epochs and self.smooth_epochs() < 1):
            raise SbnHwError(f"warm-up of {self.warmup_epochs} epochs leaves no epochs for nu to grow in "
                             f"({self.epochs} epochs, {self.finish_epochs()} of them the hard finish): "
                             "shorten the warm-up or the hard finish")
        if self.model not in zoo_names():
            raise SbnHwError(f"unknown model '{self.model}': choose one of {', '.join(zoo_names())}")
        if self.augment_shift < 0:
            raise SbnHwError(f"--augment-shift must be >= 0 (pixels), got {self.augment_shift}")
        check_lab_kernel(self.lab_kernel)
        if not 0 <= self.val_fraction < 0.5:
            raise SbnHwError(f"--val-fraction must be in [0, 0.5), got {self.val_fraction}")

    def in_hard_finish(self, epoch: int) -> bool:
        """Whether 0-based `epoch` trains the exact sign forward."""
        return epoch >= self.epochs - self.finish_epochs() if self.method == "sbn" else False

    def finish_nu_a(self) -> float:
        return HARD_FINISH_NU_A if self.hard_finish_nu_a is None else float(self.hard_finish_nu_a)

    def nu_schedules(self, steps_per_epoch: int) -> tuple["NuSchedule", "NuSchedule"]:
        """(weights, activations) schedules over the smooth epochs (after the warm-up, before the
        hard finish), in units of steps or epochs (see nu_at)."""
        if self.nu_per not in ("step", "epoch"):
            raise SbnHwError(f"nu_per must be 'step' or 'epoch', got '{self.nu_per}'")
        self.check()
        span = max(self.smooth_epochs(), 1)  # an all-hard run holds nu at its end value
        total = span * steps_per_epoch if self.nu_per == "step" else span
        (w0, w1, ws), (a0, a1, as_) = self.nu_ends()
        return NuSchedule(w0, w1, total, ws), NuSchedule(a0, a1, total, as_)

    def nu_ends(self) -> tuple[tuple[float, float, str], tuple[float, float, str]]:
        """((start, end, shape) for weights, the same for activations): the separate settings,
        falling back to the shared nu0 / nu_max / schedule. The one place that applies the fallback."""

        def pick(a, b):
            return a if a is not None else b

        return ((pick(self.nu_w0, self.nu0), pick(self.nu_w_max, self.nu_max), pick(self.schedule_w, self.schedule)),
                (pick(self.nu_a0, self.nu0), pick(self.nu_a_max, self.nu_max), pick(self.schedule_a, self.schedule)))


def nu_at(cfg: TrainConfig, sched: "NuSchedule", step: int, steps_per_epoch: int) -> float:
    """nu after `step` optimizer steps: held during warm-up, then per step or per epoch."""
    warm = cfg.warmup_epochs * steps_per_epoch
    if step < warm:
        return sched.value(0)
    done = step - warm
    return sched.value(done if cfg.nu_per == "step" else done // steps_per_epoch)


def activation_nu(cfg: TrainConfig, sched: "NuSchedule", step: int, steps_per_epoch: int, epoch: int) -> float:
    """The activations' nu: the schedule's, or the finish's backward nu during the hard finish."""
    if cfg.in_hard_finish(epoch):
        return cfg.finish_nu_a()
    return nu_at(cfg, sched, step, steps_per_epoch)


@dataclass
class TrainResult:
    model: nn.Module
    config: TrainConfig
    history: list[dict] = field(default_factory=list)
    seconds: float = 0.0


def device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


PREDICT_BATCH = 1000  # frames per forward pass when predicting (bounds a conv model's memory)


@torch.no_grad()
def predict(model: nn.Module, x: np.ndarray) -> np.ndarray:
    model.eval()
    dev = next(model.parameters()).device
    parts = [model(torch.from_numpy(x[i : i + PREDICT_BATCH]).to(dev)).argmax(1).cpu().numpy()
             for i in range(0, len(x), PREDICT_BATCH)]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def evaluate(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    return float((predict(model, x) == y).mean())


def predict_as_trained_and_sign(model: nn.Module, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Class predictions of the model as trained and of its sign() version."""
    as_trained = predict(model, x)
    set_hard(model, True)
    hard = predict(model, x)
    set_hard(model, False)
    return as_trained, hard


def smooth_and_hard(model: nn.Module, x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """(accuracy as trained, accuracy of the sign version, fraction of frames on which they agree)."""
    as_trained, hard = predict_as_trained_and_sign(model, x)
    return float((as_trained == y).mean()), float((hard == y).mean()), float((as_trained == hard).mean())


def set_final_state(model: nn.Module, cfg: TrainConfig) -> nn.Module:
    """The forward the training ended in: final nu, and the hard finish if it had one."""
    (_, nu_w, _), (_, nu_a, _) = cfg.nu_ends()
    finish = cfg.in_hard_finish(cfg.epochs - 1)
    set_nu(model, nu_w, cfg.finish_nu_a() if finish else nu_a)
    set_hard_forward(model, finish)
    return model


def shift_frames(x: torch.Tensor, image_shape: tuple[int, int], max_shift: int, fill: float,
                 rng: np.random.Generator) -> torch.Tensor:
    """Flat frames (N, C*H*W) each translated by (dy, dx) drawn uniformly from [-max_shift,
    max_shift]^2; the pixels shifted in take the value `fill`."""
    n, (h, w) = len(x), image_shape
    img = x.reshape(n, -1, h, w)
    s = max_shift
    padded = nn.functional.pad(img, (s, s, s, s), value=fill)
    d = rng.integers(0, 2 * s + 1, size=(n, 2))
    return torch.stack([padded[i, :, d[i, 0] : d[i, 0] + h, d[i, 1] : d[i, 1] + w] for i in range(n)]).reshape(n, -1)


def save_checkpoint(path: Path, state: dict) -> None:
    """Atomic: a crash leaves the previous checkpoint, never a torn one."""
    tmp = Path(str(path) + ".partial")
    torch.save(state, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: Path) -> dict:
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise SbnHwError(f"no checkpoint at '{path}' to resume from: train without --resume first") from None
    except Exception as e:  # torch raises several types for damaged files
        raise SbnHwError(f"checkpoint '{path}' cannot be read ({type(e).__name__}); delete it and train again") from None


def train(cfg: TrainConfig, data: Dataset, on_epoch=None, checkpoint: Path | None = None, resume: bool = False) -> TrainResult:
    """Train deterministically for `cfg.seed`. `on_epoch(record)` is called after each epoch.

    With `checkpoint`, the full training state is saved after every epoch; `resume=True`
    continues from it and reaches the same result as an uninterrupted run.
    """
    from sbn_hw.data import split_validation

    cfg.check()
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    dev = device()
    (x_tr_raw, y_tr), val = split_validation(data.x_train, data.y_train, cfg.val_fraction, cfg.seed)
    x_tr = model_input(x_tr_raw, data.pixel_max, cfg.input_mode)
    x_te = model_input(data.x_test, data.pixel_max, cfg.input_mode)
    # Agreement is watched on the validation split when there is one, else on the training set.
    x_watch, y_watch = (model_input(val[0], data.pixel_max, cfg.input_mode), val[1]) if val else (x_tr, y_tr)
    background = float(model_input(np.zeros((1, 1), np.uint8), data.pixel_max, cfg.input_mode)[0, 0])
    model = build_model(cfg.model, data.features, data.classes, cfg.method, image_shape=data.image_shape,
                        lab_kernel=cfg.lab_kernel).to(dev)
    # Adam without weight decay: binarized (and SiMaN's) latent weights must not be pulled to 0.
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    steps_per_epoch = int(np.ceil(len(x_tr) / cfg.batch_size))
    total = cfg.epochs * steps_per_epoch
    sched_w, sched_a = cfg.nu_schedules(steps_per_epoch)
    lr_sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total)
    loss_fn = nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x_tr).to(dev), torch.from_numpy(y_tr).to(dev)
    history, step, start_epoch, spent = [], 0, 0, 0.0
    if resume:
        state = load_checkpoint(checkpoint)
        if saved_config(state["config"], cfg) != asdict(cfg):
            raise SbnHwError("the checkpoint was made with other training settings; resume with the same options or start afresh")
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        lr_sched.load_state_dict(state["lr_scheduler"])
        torch.set_rng_state(state["torch_rng"])
        rng.bit_generator.state = state["numpy_rng"]
        history, step, start_epoch, spent = state["history"], state["step"], state["epoch"], state["seconds"]
    t0 = time.time() - spent
    clip = [m for m in model.modules() if isinstance(m, STEWeights)]  # STE linear and conv layers
    for epoch in range(start_epoch, cfg.epochs):
        set_hard_forward(model, cfg.in_hard_finish(epoch))
        model.train()
        order = rng.permutation(len(x_tr))
        losses = []
        for b in range(steps_per_epoch):
            idx = torch.from_numpy(order[b * cfg.batch_size : (b + 1) * cfg.batch_size]).to(dev)
            set_nu(model, nu_at(cfg, sched_w, step, steps_per_epoch), activation_nu(cfg, sched_a, step, steps_per_epoch, epoch))
            xb = xt[idx]
            if cfg.augment_shift:
                xb = shift_frames(xb, data.image_shape, cfg.augment_shift, background, rng)
            loss = loss_fn(model(xb), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            lr_sched.step()
            for m in clip:
                m.clip_()
            losses.append(loss.item())
            step += 1
        nu, nu_a = nu_at(cfg, sched_w, step, steps_per_epoch), activation_nu(cfg, sched_a, step, steps_per_epoch, epoch)
        set_nu(model, nu, nu_a)
        rec = {
            "epoch": epoch + 1,
            "loss": float(np.mean(losses)),
            "nu": nu if cfg.method == "sbn" else None,
            "nu_a": nu_a if cfg.method == "sbn" else None,
            "hard_finish": cfg.in_hard_finish(epoch),
            "train_acc": evaluate(model, x_tr, y_tr),
        }
        watch = smooth_and_hard(model, x_watch, y_watch)
        if val:
            rec["val_acc"], rec["val_acc_hard"] = watch[0], watch[1]
        rec["agreement"] = watch[2]  # on validation (or training) frames: never chosen on test
        rec["test_acc"], rec["test_acc_hard"], rec["test_agreement"] = smooth_and_hard(model, x_te, data.y_test)
        rec["seconds"] = time.time() - t0
        history.append(rec)
        if checkpoint is not None:
            save_checkpoint(checkpoint, {
                "config": asdict(cfg), "model": model.state_dict(), "optimizer": opt.state_dict(),
                "lr_scheduler": lr_sched.state_dict(), "torch_rng": torch.get_rng_state(),
                "numpy_rng": rng.bit_generator.state, "history": history, "step": step,
                "epoch": epoch + 1, "seconds": time.time() - t0,
            })
        if on_epoch:
            on_epoch(rec)
    model.eval().cpu()
    return TrainResult(model, cfg, history, time.time() - t0)
