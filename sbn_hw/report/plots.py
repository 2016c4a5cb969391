"""Plots for the build report (matplotlib, headless)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def training_curves(history: list[dict], path: Path) -> Path:
    ep = [h["epoch"] for h in history]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
    ax1.plot(ep, [h["loss"] for h in history], label="train loss", color="tab:red")
    ax1.set_xlabel("epoch")
    ax1.set_ylabel("loss")
    if all(h.get("nu") is not None for h in history):  # only self-binarizing training has nu
        ax1b = ax1.twinx()
        ax1b.semilogy(ep, [h["nu"] for h in history], label="nu weights", color="tab:gray", linestyle="--")
        if all(h.get("nu_a") is not None for h in history):
            ax1b.semilogy(ep, [h["nu_a"] for h in history], label="nu activations", color="tab:purple", linestyle=":")
        ax1b.set_ylabel("nu (log)")
        ax1b.legend(loc="center right")
        ax1.set_title("loss and sharpness nu")
    else:
        ax1.set_title("loss")
    ax2.plot(ep, [h["train_acc"] for h in history], label="train")
    ax2.plot(ep, [h["test_acc"] for h in history], label="test")
    ax2.plot(ep, [h["test_acc_hard"] for h in history], label="test (sign)", linestyle=":")
    if all("val_acc" in h for h in history):
        ax2.plot(ep, [h["val_acc"] for h in history], label="validation")
    if all("agreement" in h for h in history):  # smooth model vs its sign version
        ax2.plot(ep, [h["agreement"] for h in history], label="smooth = sign (frames)", color="black", linestyle="--")
    finish = [h["epoch"] for h in history if h.get("hard_finish")]
    if finish:
        ax2.axvspan(finish[0] - 1, finish[-1], color="tab:orange", alpha=0.12, label="hard finish")
    ax2.set_xlabel("epoch")
    ax2.set_ylabel("accuracy")
    ax2.set_ylim(0, 1)
    ax2.legend(loc="lower right")
    ax2.set_title("accuracy")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def layer_bars(names: list[str], series: dict[str, list[float]], title: str, ylabel: str, path: Path,
               hline: float | None = None) -> Path:
    import numpy as np

    fig, ax = plt.subplots(figsize=(7, 3.4))
    x = np.arange(len(names))
    w = 0.8 / max(1, len(series))
    for i, (label, vals) in enumerate(series.items()):
        ax.bar(x + i * w - 0.4 + w / 2, vals, w, label=label)
    if hline is not None:
        ax.axhline(hline, color="black", linestyle="--", linewidth=1, label="measured (whole accelerator)")
    ax.set_xticks(x, names)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
