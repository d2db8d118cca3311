"""The memory probe: RSS of a worker's main process, RSS and USS of its live pool child, at 20 Hz against tasks done."""
from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import psutil

from harness.cellrun import CellRun
from harness.errors import HarnessError
from harness.leakfit import tasks_done
from harness.probes.base import Probe, sampling_info
from harness.sampling import PeriodicSampling

MB = 1 << 20
COLUMNS = ("t", "parent_rss_mb", "child_pid", "child_rss_mb", "child_uss_mb")


@dataclass
class MemorySampler(PeriodicSampling):
    """Samples the worker's main process and its newest live pool child (wall-clock `t`) on a background thread;
    meant for concurrency 1, where that child is the only one."""

    pid: int
    hz: float = 20.0
    series: dict[str, list] = field(default_factory=lambda: {column: [] for column in COLUMNS})
    cpu_s: float = 0.0
    wall_s: float = 0.0

    tolerated = (psutil.Error,)  # a child being replaced, or the worker going away at the end

    def __enter__(self) -> "MemorySampler":
        self._parent = psutil.Process(self.pid)
        self.start_sampling("memory-sampler")
        return self

    def __exit__(self, *exc) -> None:
        self.stop_sampling()

    def snapshot(self) -> dict[str, list]:
        """The series so far, every column cut to the same length (the sampling thread appends one at a time)."""
        columns = {column: list(values) for column, values in self.series.items()}
        length = min(map(len, columns.values()))
        return {column: values[:length] for column, values in columns.items()}

    def sample(self) -> None:
        children = sorted(self._parent.children(), key=lambda child: child.create_time())
        live = [child for child in children if child.status() != psutil.STATUS_ZOMBIE]
        if not live:
            return
        child = live[-1]  # concurrency 1: the newest live pool child (a replaced one may linger a moment)
        parent_rss, memory = self._parent.memory_info().rss, child.memory_full_info()
        if memory.rss == 0:  # exiting: its memory is already gone
            return
        for column, value in zip(COLUMNS, (round(time.time(), 3), round(parent_rss / MB, 2), child.pid,
                                           round(memory.rss / MB, 2), round(memory.uss / MB, 2))):
            self.series[column].append(value)


class MemoryProbe(Probe):
    """Samples the worker's main process and its pool child while the worker runs; the series carries the tasks
    done (all phases) at each sample, from the ledger's finish times."""

    name, scope, panel = "memory", "server", "child_rss"

    @contextmanager
    def measure(self, run: CellRun):
        if not run.server.pid or not psutil.pid_exists(run.server.pid):
            raise HarnessError(f"memory probe: the worker's main process is not visible from here "
                               f"(pid {run.server.pid}); it needs a worker whose host pid is known")
        with MemorySampler(run.server.pid) as sampler:
            run.live[self.name] = sampler.snapshot
            yield
        finishes = sorted(row.finished for row in run.data.get("rows", []))
        run.series[self.name] = {**sampler.series, "tasks_done": tasks_done(sampler.series["t"], finishes)}
        run.probes[self.name] = sampling_info(sampler)
