"""What a workload is: the load a cell puts on its process under test, and the numbers of that load."""
from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, ClassVar

from harness.cellrun import CellRun
from harness.errors import HarnessError


class Workload:
    """Starts the process under load (`server`), runs against it (`run`), reads it once stopped (`finish`).
    `run` marks the phases "dispatch", "drained" and "settled" and adds its numbers to run.summary; it sets
    run.data["unit"] (what it counts: "task", "request"), ["units_done"] and ["harness_sessions"] (sessions
    the harness itself opened on the cell database)."""

    kind: ClassVar[str]
    unit: ClassVar[str] = "task"
    panels: ClassVar[tuple[str, ...]] = ()
    count: int

    @property
    def tasks(self) -> list[str]:
        return []

    def with_task(self, task: str, args: str) -> "Workload":
        """This workload sending a user's own task (`--task`); only plain bursts can."""
        raise HarnessError(f"--task replaces the task of a plain burst; this scenario's workload is a {self.kind}")

    def server(self, run: CellRun) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def run(self, run: CellRun) -> None:
        raise NotImplementedError

    def finish(self, run: CellRun) -> None:
        """Numbers read after the process under load stopped (its log, for instance)."""

    def params(self) -> dict[str, Any]:
        """The workload's parameters as plain data, stored in the result."""
        return {}

    def describe(self) -> str:
        raise NotImplementedError

    def progress(self, summary: dict) -> str:
        """A few words on what the load did, for the line printed when a cell finishes."""
        return ""
