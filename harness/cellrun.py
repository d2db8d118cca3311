"""What one cell's measurement carries while it runs: where it runs, what it ran, and what was measured."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from harness.settings import Settings
from harness.sut.project import DjangoProject


@dataclass
class CellRun:
    """Passed to the workload and every probe of one cell run; each adds its numbers, series and raw data."""

    stack: Any
    project: DjangoProject
    settings: Settings
    count: int  # tasks per burst (or the workload's own unit)
    db: str  # the cell's database name
    dsn: str  # the cell's database
    prefix: str  # dispatch ids of this cell are PREFIX-00000, ...
    worker_name: str
    server: Any = None  # the process under load while it runs: a worker or a web server
    summary: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)  # raw data: ledger rows, dispatch, fault, ...
    series: dict[str, dict] = field(default_factory=dict)  # time series by probe name
    probes: dict[str, dict] = field(default_factory=dict)  # how each sampling probe ran
    marks: dict[str, float] = field(default_factory=dict)  # time.monotonic() of the workload's phases
    timings: dict[str, Any] = field(default_factory=dict)
    panels: list[str] = field(default_factory=list)
    live: dict[str, Callable[[], dict]] = field(default_factory=dict)  # a copy of a probe's series so far, by name
    fixed_count: bool = False  # the count was asked for (--tasks): no sequential stopping
    task_log: Any = None  # harness.ledger.TaskLog where the workload sends tasks that write no ledger row
    progress: Callable[..., None] = lambda phase, done=None, total=None: None  # what a terminal shows meanwhile

    @property
    def logdir(self) -> Path:
        return self.project.logdir

    def mark(self, phase: str) -> None:
        self.marks[phase] = time.monotonic()
        self.progress(phase)
