"""A build directory: one sub-folder per stage; a stage counts as done only once its
`stage.json` exists, and that file is written last and atomically.

Stages form a chain: (re)starting one invalidates every stage after it, and the report, so a
folder never shows results of an older upstream stage. A stage validates its arguments before it
starts, so a typo does not un-finish a verified build."""

from __future__ import annotations

import json
import os
from pathlib import Path

from sbn_hw import SbnHwError

# The one list of stages, in order (the report and the benchmarks read it from here).
STAGES = ("train", "export", "compile", "simulate", "synth")
# Runs that are not part of the chain but depend on a stage: a user's `simulate --inputs`, the
# board flows of `sbn-hw bitstream`, the HLS C simulation of `sbn-hw hls`, the driver runs of
# `sbn-hw run` and the board package of `sbn-hw deploy`.
SIDE_RUNS = {"simulate-inputs": "compile", "simulate-layer": "compile", "bitstream": "compile", "hls": "compile", "run": "compile",
             "deploy": "bitstream"}  # deploy packs the bitstream when there is one
REPORT_FILES = ("report.json", "report.md")


def later_stages(stage: str) -> list[str]:
    """Every stage and side run that depends on `stage` (directly or through others)."""
    later = [] if stage in SIDE_RUNS else list(STAGES[STAGES.index(stage) + 1:])
    found = [stage, *later]
    for s, dep in SIDE_RUNS.items():  # in order: a side run is listed after the one it depends on
        if dep in found and s not in found:
            found.append(s)
    return found[1:]


class BuildDir:
    def __init__(self, root: Path):
        self.root = Path(root)

    def stage_dir(self, stage: str) -> Path:
        d = self.root / stage
        d.mkdir(parents=True, exist_ok=True)
        return d

    def begin(self, stage: str) -> Path:
        """Start (or restart) a stage: its old completion record goes first, with those of every
        stage after it and the report built from them."""
        if stage not in STAGES and stage not in SIDE_RUNS:
            raise ValueError(f"unknown stage {stage}")
        for s in [stage, *later_stages(stage)]:
            (self.root / s / "stage.json").unlink(missing_ok=True)
        if stage in STAGES:
            for f in REPORT_FILES:
                (self.root / f).unlink(missing_ok=True)
        return self.stage_dir(stage)

    def finish(self, stage: str, record: dict) -> None:
        write_json_atomic(self.stage_dir(stage) / "stage.json", record)

    def record(self, stage: str, required_by: str | None = None) -> dict:
        path = self.root / stage / "stage.json"
        if not path.is_file():
            if required_by:
                raise SbnHwError(
                    f"`sbn-hw {required_by}` needs the {stage} stage in '{self.root}', which has not finished: "
                    f"run `sbn-hw {stage} --out {self.root}` first (or `sbn-hw build`)"
                )
            return {}
        return json.loads(path.read_text())

    def has(self, stage: str) -> bool:
        return (self.root / stage / "stage.json").is_file()


def write_json_atomic(path: Path, obj) -> None:
    path = Path(path)
    tmp = path.with_name(path.name + ".partial")
    tmp.write_text(json.dumps(obj, indent=2, default=_jsonable))
    os.replace(tmp, path)


def _jsonable(o):
    import numpy as np

    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if hasattr(o, "as_dict"):
        return o.as_dict()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")
