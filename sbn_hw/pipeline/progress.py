"""Progress output shared by the stages (rich)."""

from __future__ import annotations

from contextlib import contextmanager

from rich.console import Console

console = Console(stderr=False, highlight=False)


def progress_iter(items, what: str):
    """Iterate with a progress bar (items must support len)."""
    from rich.progress import track

    return track(items, description=f"  {what}", console=console, transient=True)


@contextmanager
def counted_progress(what: str, total: int):
    """A callback `report(done, total)` for work that runs elsewhere (a simulator process): a live bar
    on a terminal; in a log, a line at every tenth of the way, so a long run is never silent."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    if console.is_terminal:
        with Progress(TextColumn(f"  {what}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      TimeRemainingColumn(), console=console, transient=True) as bar:
            task = bar.add_task(what, total=total)
            yield lambda done, of: bar.update(task, completed=done, total=of)
        return
    shown = [0]

    def report(done: int, of: int) -> None:
        tenth = 10 * done // max(of, 1)
        if tenth > shown[0]:
            shown[0] = tenth
            console.print(f"  {what}: {done}/{of} frames")

    yield report


class console_progress:
    """A rich progress bar with a message line; `step(msg)` advances it by one. In a log (no
    terminal) each step is a line instead: a bar there would print only when the work is over."""

    def __init__(self, what: str, total: int, completed: int = 0):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.p = Progress(TextColumn("  {task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                          console=console, transient=False)
        self.what, self.total, self.completed = what, total, completed

    def __enter__(self):
        if not console.is_terminal:
            return lambda msg: console.print(f"  {msg}")
        self.p.start()
        self.task = self.p.add_task(self.what, total=self.total, completed=self.completed)
        return lambda msg: self.p.update(self.task, advance=1, description=msg)

    def __exit__(self, *exc):
        if console.is_terminal:
            self.p.stop()
