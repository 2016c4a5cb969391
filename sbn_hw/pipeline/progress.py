"""Progress output shared by the stages (rich)."""

from __future__ import annotations

from rich.console import Console

console = Console(stderr=False, highlight=False)


def progress_iter(items, what: str):
    """Iterate with a progress bar (items must support len)."""
    from rich.progress import track

    return track(items, description=f"  {what}", console=console, transient=True)
