"""The project a cell runs (django_project/, or a user's under the harness's settings) as one cell sees it: the
REPRO_* environment, and the harness's scripts in it (migrate, dispatch, queue depth)."""
from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from harness.envs import CellEnv
from harness.errors import HarnessError, last_line
from harness.paths import DJANGO_PROJECT
from harness.reaper import run_recorded
from harness.settings import Settings

SCRIPT_TIMEOUT_S = 300  # migrate, dispatch, queue depth: none should take minutes


@dataclass(frozen=True)
class ProjectCode:
    """Where a cell's code lives and how it is loaded: its directory, Python path, settings module and Celery app,
    the database alias to migrate, and environment of its own (a user's project: the broker)."""

    app_dir: Path
    settings: str
    app: str
    pythonpath: tuple[Path, ...]
    database: str = "default"
    variables: dict[str, str] = field(default_factory=dict, hash=False)

    def environment(self, broker_url: str) -> dict[str, str]:
        return {"PYTHONPATH": os.pathsep.join(map(str, self.pythonpath)), "DJANGO_SETTINGS_MODULE": self.settings,
                "REPRO_CELERY_APP": self.app, **{name: value.format(broker=broker_url)
                                                 for name, value in self.variables.items()}}


BUILTIN = ProjectCode(DJANGO_PROJECT, "repro.settings", "repro", (DJANGO_PROJECT,))


def _text(value) -> str:
    """A setting as the environment variable django_project reads ('' for unset, '1'/'0' for flags)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    return "" if value is None else str(value)


def project_variables(settings: Settings, database_url: str, broker_url: str,
                      code: ProjectCode = BUILTIN) -> dict[str, str]:
    """The one translation of a cell's settings into the REPRO_* environment that django_project/repro/settings.py
    and repro/worker_hooks.py read (CONN_MAX_AGE None is the string 'None': unlimited)."""
    django, worker, tasks, hooks = settings.django, settings.worker, settings.tasks, settings.hooks
    values = {
        "CONN_MAX_AGE": str(django.conn_max_age), "DB_POOL": django.db_pool, "DB_SSLMODE": django.db_sslmode,
        "CONN_HEALTH_CHECKS": django.conn_health_checks, "TASK_SOFT_TIME_LIMIT": worker.soft_time_limit_s,
        "QUERY_SLEEP_S": tasks.query_sleep_s, "FAILURE_HOOK": hooks.failure_hook,
        "POOL": worker.pool, "CONCURRENCY": worker.concurrency, "TASK_TIME_LIMIT": worker.time_limit_s,
        "MAX_TASKS_PER_CHILD": worker.max_tasks_per_child, "WORKER_REMOTE_FEATURES": worker.remote_features,
        "PARENT_CONN": hooks.parent_conn, "CHILD_HOOK": hooks.child_hook, "TASK_HOOK": hooks.task_hook,
        "GC_ON_FAILURE": hooks.gc_on_failure, "TXN_STYLE": tasks.txn_style, "LEAK_BYTES": tasks.leak_bytes,
        "FAIL_MODE": tasks.fail_mode, "TASK_SLEEP_S": tasks.task_sleep_s, "WORK_SLEEP_S": tasks.work_sleep_s,
        "CELERY_CONF": json.dumps(settings.celery), "DATABASE_URL": database_url, "BROKER_URL": broker_url,
    }
    return {**{f"REPRO_{name}": _text(value) for name, value in values.items()}, **code.environment(broker_url),
            "PYTHONDONTWRITEBYTECODE": "1"}


class DjangoProject:
    """The project as seen from one cell: its code, interpreter, environment and log directory."""

    def __init__(self, env: CellEnv, variables: dict[str, str], logdir: Path, code: ProjectCode = BUILTIN) -> None:
        self.parent_log = logdir / "parent_checks.jsonl"
        self.env, self.variables, self.logdir = env, {**variables, "REPRO_PARENT_LOG": str(self.parent_log)}, logdir
        self.code = code
        logdir.mkdir(parents=True, exist_ok=True)

    def run(self, *args: str) -> str:
        """Run one of the harness's scripts (or `-m module`) with the cell's Python in the project's directory; its
        stdout, or a one-line error."""
        what = " ".join(args[1:3] if args[0] == "-m" else [Path(args[0]).name])  # "django migrate", "dispatch.py"
        try:
            done = run_recorded([str(self.env.python), *args], SCRIPT_TIMEOUT_S, cwd=self.code.app_dir,
                                env={**os.environ, **self.variables})
        except subprocess.TimeoutExpired:
            raise HarnessError(f"{what} did not finish within {SCRIPT_TIMEOUT_S} s") from None
        if done.returncode != 0:
            raise HarnessError(f"{what} failed in celery {self.env.pins['celery']}: {last_line(done.stderr)}")
        return done.stdout

    def migrate(self) -> None:
        self.run("-m", "django", "migrate", "--noinput", "-v", "0", "--database", self.code.database)

    def dispatch(self, tasks: list[str], count: int, prefix: str, start: int = 0, interleave: bool = False,
                 call: tuple[str, str] = ("", "[]")) -> dict:
        """Send `count` of each task, all of one then the next (or in rounds, one of each, with `interleave`);
        ids PREFIX-<start> on, numbered in sending order; `call`: (a task, its arguments as JSON)."""
        tasks_args = [arg for task in tasks for arg in ("--task", task)]
        out = self.run(str(DJANGO_PROJECT / "dispatch.py"), *tasks_args, "--count", str(count),
                       "--prefix", prefix, "--start", str(start), *(["--interleave"] if interleave else []),
                       "--args-for", call[0], "--args", call[1])
        return json.loads(out.strip().splitlines()[-1])

    def queue_depth(self) -> int | None:
        """Messages waiting in the cell's queue now (None if the broker cannot be asked)."""
        try:
            return json.loads(self.run(str(DJANGO_PROJECT / "queue_depth.py")).strip().splitlines()[-1])["messages"]
        except HarnessError:
            return None

    def note_finished_tasks(self) -> Path:
        """Have the worker's ledger app note every finished task in a file (ledger/tasklog.py); its path."""
        path = self.logdir / "tasks.jsonl"
        self.variables["REPRO_TASK_LOG"] = str(path)
        return path

    def parent_checks(self) -> list[dict]:
        """The worker parent's own connection checks (REPRO_PARENT_CONN=1), in the order they ran."""
        if not self.parent_log.exists():
            return []
        return [json.loads(line) for line in self.parent_log.read_text().splitlines() if line.strip()]
