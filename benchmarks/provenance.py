"""What produced a benchmark's figures: commit, versions, threads, CPU/GPU. Printed beside every table."""

from __future__ import annotations

import platform
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


# What a training run's result depends on in the repository (the runs' cache is keyed on it).
TRAINING_CODE = ("sbn_hw/train", "sbn_hw/nn", "sbn_hw/models", "sbn_hw/data", "sbn_hw/harden")


def code_commit(paths=TRAINING_CODE) -> str:
    """The last commit that changed `paths` (+uncommitted when they differ from it)."""
    import hashlib

    commit = _git("log", "-1", "--format=%H", "--", *paths)[:10] or "unknown"
    diff = _git("diff", "HEAD", "--", *paths)
    # Two different uncommitted versions never share a name (nor cached results).
    return commit + (f"+uncommitted-{hashlib.sha1(diff.encode()).hexdigest()[:8]}" if diff else "")


def provenance() -> dict:
    import os

    import numpy
    import torch

    dirty = bool(_git("status", "--porcelain", "--untracked-files=no"))
    return {
        "commit": _git("rev-parse", "--short=10", "HEAD") + ("+uncommitted" if dirty else ""),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "torch_threads": torch.get_num_threads(),
        "cores": os.cpu_count(),
        "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu",
        "cpu": cpu_model(),
    }


def provenance_line(p: dict | None = None) -> str:
    p = p or provenance()
    return (f"commit {p['commit']}, Python {p['python']}, torch {p['torch']}, numpy {p['numpy']}, "
            f"{p['torch_threads']} torch threads on {p['cores']} cores, device {p['device']}, CPU {p['cpu']}")


def mean_sd(values) -> str:
    import numpy as np

    v = np.asarray([x for x in values if x is not None], dtype=float)
    if len(v) == 0:
        return "–"
    return f"{v.mean():.4f} ± {v.std(ddof=1):.4f}" if len(v) > 1 else f"{v[0]:.4f}"


def table(rows: list[list], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    line = lambda r: "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |"  # noqa: E731
    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"] + [line(r) for r in rows])
