"""Running the system under test (django_project/) from a cell's virtualenv: migrate, worker, dispatch."""
from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

from mirakuru import Executor
from mirakuru.exceptions import ProcessExitedWithError, ProcessFinishedWithError, TimeoutExpired

from harness.envs import CellEnv
from harness.errors import HarnessError
from harness.paths import DJANGO_PROJECT

WORKER_START_TIMEOUT_S = 60


def project_variables(settings: dict, database_url: str, broker_url: str) -> dict[str, str]:
    """The REPRO_* environment django_project/repro/settings.py reads."""
    return {
        "REPRO_DATABASE_URL": database_url,
        "REPRO_BROKER_URL": broker_url,
        "REPRO_CONN_MAX_AGE": str(settings["CONN_MAX_AGE"]),
        "REPRO_DB_POOL": "1" if settings.get("DB_POOL") else "0",
        "REPRO_POOL": str(settings["pool"]),
        "REPRO_CONCURRENCY": str(settings["concurrency"]),
        "PYTHONPATH": str(DJANGO_PROJECT),
        "DJANGO_SETTINGS_MODULE": "repro.settings",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


class WorkerExecutor(Executor):
    """A Celery worker, started once its log says 'ready.'."""

    def __init__(self, command: list[str], logfile: Path, **kwargs) -> None:
        super().__init__(command, **kwargs)
        self.logfile = logfile

    def pre_start_check(self) -> bool:
        return False

    def after_start_check(self) -> bool:
        return self.logfile.exists() and " ready." in self.logfile.read_text(errors="replace")


class DjangoProject:
    """django_project/ as seen from one cell: its interpreter, environment and log directory."""

    def __init__(self, env: CellEnv, variables: dict[str, str], logdir: Path) -> None:
        self.env, self.variables, self.logdir = env, variables, logdir
        logdir.mkdir(parents=True, exist_ok=True)

    def run(self, *args: str) -> str:
        """Run a script of the project with the cell's Python; its stdout, or a one-line error."""
        done = subprocess.run([str(self.env.python), *args], cwd=DJANGO_PROJECT, capture_output=True, text=True,
                              env={**os.environ, **self.variables})
        if done.returncode != 0:
            raise HarnessError(f"{' '.join(args[:2])} failed in celery {self.env.pins['celery']}: "
                               f"{_last_line(done.stderr)}")
        return done.stdout

    def migrate(self) -> None:
        self.run("manage.py", "migrate", "--noinput", "-v", "0")

    def dispatch(self, task: str, count: int, prefix: str) -> dict:
        out = self.run("dispatch.py", "--task", task, "--count", str(count), "--prefix", prefix)
        return json.loads(out.strip().splitlines()[-1])

    def worker(self, name: str) -> "Worker":
        return Worker(self, name)


class Worker:
    """One `celery worker` process tree, stopped with a warm shutdown (SIGTERM) by its pid."""

    def __init__(self, project: DjangoProject, name: str) -> None:
        self.logfile = project.logdir / f"{name}.log"
        self.outfile = project.logdir / f"{name}.out"
        command = [str(project.env.python), "-m", "celery", "-A", "repro", "worker", "--loglevel=INFO",
                   f"--logfile={self.logfile}", f"--hostname={name}@%h",
                   "--without-gossip", "--without-mingle", "--without-heartbeat"]
        self._out = self.outfile.open("ab")
        self._executor = WorkerExecutor(
            command, self.logfile, cwd=str(DJANGO_PROJECT), envvars=project.variables, timeout=WORKER_START_TIMEOUT_S,
            stdin=None, stdout=None, stderr=None, stop_signal=signal.SIGTERM,
            popen_kwargs={"stdout": self._out, "stderr": subprocess.STDOUT, "stdin": subprocess.DEVNULL})

    @property
    def pid(self) -> int:
        return self._executor.process.pid

    def __enter__(self) -> "Worker":
        try:
            self._executor.start()
        except (ProcessExitedWithError, TimeoutExpired):
            self.__exit__()
            raise HarnessError(f"celery worker did not become ready: {_last_line(self.outfile.read_text())} "
                               f"(log: {self.outfile})") from None
        return self

    def __exit__(self, *exc) -> None:
        try:
            self._executor.stop()
        except ProcessFinishedWithError:
            pass
        self._out.close()

    def log_errors(self) -> int:
        """ERROR lines the worker logged (task failures, connection errors)."""
        if not self.logfile.exists():
            return 0
        return sum(1 for line in self.logfile.read_text(errors="replace").splitlines() if "ERROR/" in line)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no output"
