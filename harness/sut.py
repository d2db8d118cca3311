"""Running the system under test (django_project/) from a cell's virtualenv: migrate, worker, dispatch."""
from __future__ import annotations

import json
import os
import re
import subprocess
from collections import Counter
from pathlib import Path

from harness.envs import CellEnv
from harness.errors import HarnessError, last_line
from harness.paths import DJANGO_PROJECT
from harness.stacks.process import ManagedProcess

WORKER_STOP_GRACE_S = 30
SCRIPT_TIMEOUT_S = 300  # migrate, dispatch, queue depth: none should take minutes
FINISHED = re.compile(r"Task [\w.]+\[([\w-]+)\] (?:succeeded in|raised)")  # Celery 4.x and 5.x log lines


def project_variables(settings: dict, database_url: str, broker_url: str) -> dict[str, str]:
    """The REPRO_* environment django_project/repro/settings.py and repro/worker_hooks.py read."""
    return {
        "REPRO_DATABASE_URL": database_url,
        "REPRO_BROKER_URL": broker_url,
        "REPRO_CONN_MAX_AGE": str(settings["CONN_MAX_AGE"]),
        "REPRO_DB_POOL": "1" if settings.get("DB_POOL") else "0",
        "REPRO_DB_SSLMODE": str(settings.get("DB_SSLMODE", "disable")),
        "REPRO_POOL": str(settings["pool"]),
        "REPRO_CONCURRENCY": str(settings["concurrency"]),
        "REPRO_TASK_TIME_LIMIT": str(settings.get("TASK_TIME_LIMIT_S") or ""),
        "REPRO_PARENT_CONN": "1" if settings.get("PARENT_CONN") else "0",
        "REPRO_CHILD_HOOK": str(settings.get("CHILD_HOOK", "none")),
        "REPRO_TASK_HOOK": str(settings.get("TASK_HOOK", "none")),
        "REPRO_TXN_STYLE": str(settings.get("TXN_STYLE", "begin")),
        "REPRO_LEAK_BYTES": str(settings.get("LEAK_BYTES", 1 << 20)),
        "REPRO_FAIL_MODE": str(settings.get("FAIL_MODE", "raise")),
        "REPRO_MAX_TASKS_PER_CHILD": str(settings.get("MAX_TASKS_PER_CHILD") or ""),
        "REPRO_GC_ON_FAILURE": "1" if settings.get("GC_ON_FAILURE") else "0",
        "REPRO_TASK_SLEEP_S": str(settings.get("TASK_SLEEP_S", 0.02)),
        "REPRO_WORK_SLEEP_S": str(settings.get("WORK_SLEEP_S", 0)),
        "REPRO_WORKER_REMOTE_FEATURES": "1" if settings.get("WORKER_REMOTE_FEATURES") else "0",
        "REPRO_CELERY_CONF": json.dumps(settings.get("celery", {})),
        "PYTHONPATH": str(DJANGO_PROJECT),
        "DJANGO_SETTINGS_MODULE": "repro.settings",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


class DjangoProject:
    """django_project/ as seen from one cell: its interpreter, environment and log directory."""

    def __init__(self, env: CellEnv, variables: dict[str, str], logdir: Path) -> None:
        self.parent_log = logdir / "parent_checks.jsonl"
        self.env, self.variables, self.logdir = env, {**variables, "REPRO_PARENT_LOG": str(self.parent_log)}, logdir
        logdir.mkdir(parents=True, exist_ok=True)

    def run(self, *args: str) -> str:
        """Run a script of the project with the cell's Python; its stdout, or a one-line error."""
        try:
            done = subprocess.run([str(self.env.python), *args], cwd=DJANGO_PROJECT, capture_output=True,
                                  text=True, env={**os.environ, **self.variables}, timeout=SCRIPT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise HarnessError(f"{' '.join(args[:2])} did not finish within {SCRIPT_TIMEOUT_S} s") from None
        if done.returncode != 0:
            raise HarnessError(f"{' '.join(args[:2])} failed in celery {self.env.pins['celery']}: "
                               f"{last_line(done.stderr)}")
        return done.stdout

    def migrate(self) -> None:
        self.run("manage.py", "migrate", "--noinput", "-v", "0")

    def dispatch(self, tasks: list[str], count: int, prefix: str, start: int = 0) -> dict:
        """Send `count` of each task in turn; ids PREFIX-<start> on, numbered across the tasks."""
        out = self.run("dispatch.py", *[arg for task in tasks for arg in ("--task", task)], "--count", str(count),
                       "--prefix", prefix, "--start", str(start))
        return json.loads(out.strip().splitlines()[-1])

    def queue_depth(self) -> int | None:
        """Messages waiting in the cell's queue now (None if the broker cannot be asked)."""
        try:
            return json.loads(self.run("queue_depth.py").strip().splitlines()[-1])["messages"]
        except HarnessError:
            return None

    def parent_checks(self) -> list[dict]:
        """The worker parent's own connection checks (REPRO_PARENT_CONN=1), in the order they ran."""
        if not self.parent_log.exists():
            return []
        return [json.loads(line) for line in self.parent_log.read_text().splitlines() if line.strip()]


def worker_args(variables: dict[str, str], name: str) -> list[str]:
    """The interpreter arguments of a cell's `celery worker`, the same in a venv and in a container."""
    args = ["-m", "celery", "-A", "repro", "worker", "--loglevel=INFO", f"--hostname={name}@%h",
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
    """One `celery worker` process tree; stopping it sends SIGTERM (warm shutdown) to the main process first."""

    def __init__(self, project: DjangoProject, name: str) -> None:
        super().__init__(project.logdir / f"{name}.log")
        command = [str(project.env.python), *worker_args(project.variables, name)]
        self.process = ManagedProcess(f"celery worker ({project.env.pins['celery']})", command, None,
                                      self._ready, self.logfile, env=project.variables,
                                      cwd=str(DJANGO_PROJECT))

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def alive(self) -> bool:
        """Whether the worker's main process still runs (a worker can also exit on an unrecoverable error)."""
        return self.process.running()

    def __enter__(self) -> "Worker":
        self.process.start()
        return self

    def __exit__(self, *exc) -> None:
        self.process.stop_main_first(WORKER_STOP_GRACE_S)
        self.process.close()
