"""The live line a terminal shows while a cell runs (phase, tasks done of dispatched); nothing when not a terminal."""
from __future__ import annotations

from typing import Callable

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


def quiet(phase: str, done: int | None = None, total: int | None = None) -> None:
    """The progress callback where nothing is shown."""


class LiveProgress:
    """One transient progress line for the running cell, on a terminal only; `for_cell(name)` gives the callback a
    cell's workload reports to."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), console=console, transient=True) if console.is_terminal else None
        self.task = None

    def __enter__(self) -> "LiveProgress":
        if self.progress is not None:
            self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.progress is not None:
            self.progress.stop()

    def for_cell(self, name: str) -> Callable[..., None]:
        if self.progress is None:
            return quiet
        if self.task is not None:
            self.progress.remove_task(self.task)
        task = self.task = self.progress.add_task(f"{name}: starting", total=None)

        def update(phase: str, done: int | None = None, total: int | None = None) -> None:
            self.progress.update(task, description=f"{name}: {phase}", completed=done or 0, total=total)

        return update
