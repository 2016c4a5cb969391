"""Progress of a long simulation, passed from the cocotb bench (inside the simulator's Python) to
the process that launched it through a small JSON file, written atomically so a reader never
sees half of it."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from pathlib import Path


def write_progress(path: str | Path, done: int, total: int) -> None:
    path = Path(path)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"done": int(done), "total": int(total)}))
    os.replace(tmp, path)


def read_progress(path: str | Path) -> tuple[int, int] | None:
    """(frames done, frames in all), or None before the bench has written any."""
    try:
        p = json.loads(Path(path).read_text())
        return int(p["done"]), int(p["total"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


class ProgressWatcher:
    """Polls a progress file in a background thread and hands each change to `report(done, total)`."""

    def __init__(self, path: str | Path, report: Callable[[int, int], None], interval_s: float = 0.5):
        self.path, self.report, self.interval_s = Path(path), report, interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._last: tuple[int, int] | None = None

    def _poll(self) -> None:
        now = read_progress(self.path)
        if now is not None and now != self._last:
            self._last = now
            try:
                self.report(*now)
            except Exception:  # a display error must neither kill the watcher nor mask the simulation's result
                pass

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._poll()

    def __enter__(self) -> "ProgressWatcher":
        self.path.unlink(missing_ok=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._poll()  # the last state, so a finished run reports all its frames
