"""A cell's `celery worker`: its command line, its log (ready, tasks finished, errors), its process."""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Callable

from harness.stacks.base import ProcessHandle, ProcessSpec, Stack
from harness.sut.project import DjangoProject

WORKER_STOP_GRACE_S = 30
FINISHED = re.compile(r"Task [\w.]+\[([\w-]+)\] (?:succeeded in|raised)")  # Celery 4.x and 5.x log lines


def worker_args(variables: dict[str, str], name: str) -> list[str]:
    """The interpreter arguments of a cell's `celery worker`, the same in a venv and in a container."""
    args = ["-m", "celery", "-A", variables["REPRO_CELERY_APP"], "worker", "--loglevel=INFO", f"--hostname={name}@%h",
            f"--pool={variables['REPRO_POOL']}", f"--concurrency={variables['REPRO_CONCURRENCY']}"]
    if variables.get("REPRO_WORKER_REMOTE_FEATURES") != "1":  # Celery's defaults keep all three on
        args += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    return args


class WorkerLog:
    """What a worker's log file says: ready or not, tasks finished, errors, hard time limits hit."""

    def __init__(self, logfile: Path) -> None:
        self.logfile = logfile  # stdout and stderr: start-up errors and the log in one file
        self._read_to, self._finished = 0, set()

    def tasks_reported(self, prefix: str) -> int:
        """Distinct tasks of a burst the worker logged as finished (succeeded or raised); reads only new lines."""
        if self.logfile.exists():
            with self.logfile.open("rb") as log:
                log.seek(self._read_to)
                chunk = log.read()
            complete = chunk[:chunk.rfind(b"\n") + 1]
            self._read_to += len(complete)
            self._finished.update(FINISHED.findall(complete.decode(errors="replace")))
        return sum(1 for task_id in self._finished if task_id.startswith(prefix + "-"))

    def _ready(self) -> bool:
        return self.logfile.exists() and " ready." in self.logfile.read_text(errors="replace")

    def log_count(self, marker: str) -> int:
        """Lines of the worker log that contain `marker`."""
        if not self.logfile.exists():
            return 0
        return sum(1 for line in self.logfile.read_text(errors="replace").splitlines() if marker in line)

    def log_errors(self) -> int:
        """ERROR lines the worker logged (task failures, connection errors)."""
        return self.log_count("ERROR/")

    def log_errors_by_class(self) -> dict[str, int]:
        """Task failures in the worker log ('raised unexpected: Class(...)'), by exception class."""
        text = self.logfile.read_text(errors="replace") if self.logfile.exists() else ""
        return dict(Counter(re.findall(r"raised unexpected: (\w+)\(", text)))

    def time_limits_hit(self) -> int:
        """Tasks killed by the hard time limit (hung past the bound)."""
        return self.log_count("Hard time limit")


class Worker(WorkerLog):
    """One `celery worker` on a stack (context manager); stopping it sends SIGTERM (warm shutdown: the pool finishes
    what it runs) to the main process first, or, once `may_stop_cold()` was called, SIGKILL to all of it; it keeps
    the parent's check log (REPRO_PARENT_LOG)."""

    def __init__(self, stack: Stack, project: DjangoProject, name: str) -> None:
        super().__init__(project.logdir / f"{name}.log")
        self.stack = stack
        self.process: ProcessHandle | None = None
        self.cold = False
        self.shutdown_hooked = project.variables.get("REPRO_PARENT_CONN") == "1"  # checks run at worker_shutdown
        self.spec = worker_spec(project, name, self.logfile, lambda url: self._ready())

    @property
    def pid(self) -> int | None:
        """The host pid of the worker's main process (the pool's parent)."""
        return self.process.pid if self.process else None

    def alive(self) -> bool:
        """Whether the worker's main process still runs (a worker can also exit on an unrecoverable error)."""
        return self.process is not None and self.process.running()

    def kill(self) -> None:
        """SIGKILL to the whole worker (parent and pool children): nothing is acknowledged or restored. A worker that
        already exited is left as it is."""
        if self.alive():
            self.process.kill()

    def __enter__(self) -> "Worker":
        self.process = self.stack.start_process(self.spec)
        return self

    def may_stop_cold(self) -> None:
        """Every task is accounted for and its numbers read: nothing is left for a warm shutdown (1.6 to 2.2 s) to
        finish, unless a worker_shutdown hook still has to run."""
        self.cold = not self.shutdown_hooked

    def __exit__(self, *exc) -> None:
        try:
            if self.cold:
                self.kill()
        finally:
            self.process.stop()


def worker_spec(project: DjangoProject, name: str, logfile: Path,
                ready: Callable[[str | None], bool]) -> ProcessSpec:
    """The worker as a ProcessSpec: the cell's Python and pins, its environment, its log, its parent's check log."""
    env, variables = project.env, project.variables
    return ProcessSpec(label=f"celery worker ({env.pins['celery']})", args=tuple(worker_args(variables, name)),
                       environment=variables, app_dir=project.code.app_dir, log=logfile, ready=ready, python=env.python,
                       python_version=env.python_version, pins=env.pins, stop_grace_s=WORKER_STOP_GRACE_S,
                       copy_out=(Path(variables["REPRO_PARENT_LOG"]),))
