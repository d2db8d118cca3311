"""What a user's project is configured to do, read in its own env without connecting anywhere, and what keeps the
harness from running it (a host off this machine, no Postgres, its code choosing the settings module itself)."""
from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from typing import Any

from harness.applicability import is_postgres
from harness.envs import CellEnv
from harness.errors import HarnessError, last_line
from harness.paths import DJANGO_PROJECT
from harness.reaper import run_recorded
from harness.sut.user_project import UserProject

INSPECT_TIMEOUT_S = 120
# settings the harness replaces with its own servers (a setting path starting with one of these)
REPLACED = ("DATABASES", "CACHES", "CELERY_BROKER_URL", "BROKER_URL", "CELERY_BROKER_READ_URL",
            "CELERY_BROKER_WRITE_URL", "CELERY_RESULT_BACKEND", "RESULT_BACKEND", "Celery app ")
# top-level names in django_project/ that a user's project must not have: they would shadow the harness's
HARNESS_MODULES = ("ledger", "celery_repro_settings", "celery_repro_app", "celery_repro_inspect")


@dataclass(frozen=True)
class ProjectFacts:
    """A project's pinned releases and its configuration as its own code sets it."""

    pins: dict[str, str]
    python: str
    hosts: list[dict]  # {"setting": "DATABASES['shop']['HOST']", "host": "127.0.0.1", "local": true}
    databases: dict[str, dict]  # alias -> engine, conn_max_age, conn_health_checks, options
    celery: dict[str, Any]  # the app's settings that scenarios depend on
    broker_scheme: str
    result_backend: str
    receivers: dict[str, list[str]] | None  # Celery signal -> connected functions (None: not looked at)
    settings_module_set_to: str | None = None  # DJANGO_SETTINGS_MODULE once the project's code ran

    @property
    def postgres_aliases(self) -> list[str]:
        return [alias for alias, db in self.databases.items() if is_postgres(db["engine"])]

    @property
    def ledger_alias(self) -> str:
        """Where the harness's ledger table goes (django_project/celery_repro_settings.py chooses the same)."""
        aliases = self.postgres_aliases
        return "default" if "default" in aliases else aliases[0]

    def as_record(self) -> dict:
        return {"pins": self.pins, "databases": self.databases, "celery": self.celery,
                "broker_scheme": self.broker_scheme, "receivers": self.receivers, "hosts": self.hosts}


def inspect_project(project: UserProject, env: CellEnv, pins: dict[str, str]) -> ProjectFacts:
    """Run the inspection script in the project's env, with the project's own settings and the caller's
    environment (which the project's settings may read)."""
    variables = {**os.environ, "PYTHONPATH": os.pathsep.join((str(project.root), str(DJANGO_PROJECT))),
                 "DJANGO_SETTINGS_MODULE": project.settings, "REPRO_CELERY_APP": project.app,
                 "PYTHONDONTWRITEBYTECODE": "1"}
    try:
        done = run_recorded([str(env.python), str(DJANGO_PROJECT / "celery_repro_inspect.py"), project.settings],
                            INSPECT_TIMEOUT_S, cwd=project.root, env=variables)
    except subprocess.TimeoutExpired:
        raise HarnessError(f"reading the settings of {project.name} took more than {INSPECT_TIMEOUT_S} s") from None
    if done.returncode != 0:
        raise HarnessError(f"cannot read the settings of {project.name} ({project.settings}, app {project.app}): "
                           f"{last_line(done.stderr)}")
    try:
        found = json.loads(done.stdout.strip().splitlines()[-1])
        return ProjectFacts(pins, env.python_version, found["hosts"], found["databases"], found["celery"],
                            found["broker_scheme"], found["result_backend"], found["receivers"],
                            found["settings_module_set_to"])
    except (ValueError, IndexError, KeyError):
        raise HarnessError(f"reading the settings of {project.name} printed no facts (last line: "
                           f"{last_line(done.stdout)})") from None


def refusals(facts: ProjectFacts) -> list[str]:
    """Why the harness must not run this project, one line per setting: any host not on this machine (the harness
    replaces the connection settings it knows, but the project's code may read them itself)."""
    return [f"{found['setting']} names {found['host']}, which is not this machine: "
            + ("the harness replaces it, but the project's code may read it first"
               if found["setting"].startswith(REPLACED) else "the harness cannot point it at its own servers")
            for found in facts.hosts if not found["local"]]


def unsupported(project: UserProject, facts: ProjectFacts) -> list[str]:
    """Why the harness cannot run this project as it is, one line each."""
    problems = []
    if facts.settings_module_set_to != project.settings:
        problems.append(f"its code sets DJANGO_SETTINGS_MODULE to {facts.settings_module_set_to} itself (use "
                        "os.environ.setdefault), so the harness's settings would not be the ones used")
    if not facts.postgres_aliases:
        problems.append("it has no PostgreSQL database in DATABASES: the scenarios measure Postgres sessions and "
                        "connections")
    problems += [f"DATABASES[{alias!r}] uses {db['engine']}, which the harness cannot point at its own servers"
                 for alias, db in facts.databases.items()
                 if db["engine"] and not is_postgres(db["engine"]) and not db["engine"].endswith("dummy")]
    problems += [f"its {name} would shadow the harness's own module of that name" for name in HARNESS_MODULES
                 if (project.root / name).exists() or (project.root / f"{name}.py").exists()]
    return problems


def check_runnable(project: UserProject, facts: ProjectFacts) -> None:
    """A one-line error for a project the harness must not or cannot run."""
    hosts, problems = refusals(facts), unsupported(project, facts)
    if hosts or problems:
        advice = "; point it at this machine for the run, as a local setup does" if hosts else ""
        more = len(hosts) + len(problems) - 1
        raise HarnessError(f"{project.name} refused: {[*hosts, *problems][0]}{advice}"
                           + (f" ({more} more: harness doctor lists them)" if more else ""))
