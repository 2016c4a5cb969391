"""A build directory: one sub-folder per stage; a stage counts as done only once its
`stage.json` exists, and that file is written last and atomically."""

from __future__ import annotations

import json
import os
from pathlib import Path

from sbn_hw import SbnHwError

STAGES = ("train", "export", "compile", "simulate", "synth")


class BuildDir:
    def __init__(self, root: Path):
        self.root = Path(root)

    def stage_dir(self, stage: str) -> Path:
        d = self.root / stage
        d.mkdir(parents=True, exist_ok=True)
        return d

    def begin(self, stage: str) -> Path:
        """Start (or restart) a stage: its old completion record goes first."""
        d = self.stage_dir(stage)
        (d / "stage.json").unlink(missing_ok=True)
        return d

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
