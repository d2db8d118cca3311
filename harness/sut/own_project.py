"""A user's project as a cell runs it: its env from its own lock file, its settings read and checked, its code
loaded under the harness's settings module (django_project/celery_repro_settings.py)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

from harness.envs import CellEnv, ensure_env
from harness.errors import HarnessError
from harness.packages import PINNED
from harness.paths import DJANGO_PROJECT
from harness.pins import resolve
from harness.pythons import python_for
from harness.sut.inspection import ProjectFacts, check_runnable, inspect_project
from harness.sut.lockfile import pinned_versions, requirement_lines
from harness.sut.project import ProjectCode
from harness.sut.user_project import UserProject

HARNESS_NEEDS = ("redis",)  # the Redis broker's client, where the project's lock has none


@dataclass(frozen=True)
class ProjectPins:
    """What a project's lock file installs, and the releases of it the harness names."""

    lines: list[str]
    pins: dict[str, str]
    python: str


def project_pins(project: UserProject) -> ProjectPins:
    """The lock file's requirement lines (plus what the harness needs, at the version the harness's own cells of
    that release use), its pinned releases and the Python to use; a one-line error when it pins no Celery."""
    lines = requirement_lines(project.lock)
    versions = pinned_versions(lines)
    if "celery" not in versions:
        raise HarnessError(f"{project.lock} pins no celery release (celery==X.Y.Z): the harness cannot tell what "
                           "to run")
    python = project.python or python_for(versions["celery"])
    if missing := [name for name in HARNESS_NEEDS if name not in versions]:
        harness_pins = resolve(versions["celery"], python)
        lines += [f"{name}=={harness_pins[name]}" if name in harness_pins else name for name in missing]
    pins = {name: versions[name] for name in PINNED if name in versions}
    return ProjectPins(lines, pins, python)


def read_project(project: UserProject, pinned: ProjectPins,
                 say: Callable[[str], None]) -> tuple[CellEnv, ProjectFacts]:
    """The project's env (built once, cached by its lines) and what its settings say."""
    env = ensure_env(pinned.python, pinned.pins, None, say, pinned.lines)
    return env, inspect_project(project, env, pinned.pins)


def project_env(project: UserProject, pinned: ProjectPins, say: Callable[[str], None]) -> tuple[CellEnv, ProjectFacts]:
    """The project's env and configuration, checked runnable."""
    env, facts = read_project(project, pinned, say)
    check_runnable(project, facts)
    return env, facts


def project_code(project: UserProject, facts: ProjectFacts) -> ProjectCode:
    """The project loaded under the harness's settings: migrated once, on the ledger's alias, without its routers
    (every alias is the same cell database); the broker (and a result backend with a host) replaced in the
    environment too, where Celery reads them before any setting."""
    variables = {"REPRO_USER_SETTINGS": project.settings, **{name: "{broker}" for name in (
        "CELERY_BROKER_URL", "CELERY_BROKER_READ_URL", "CELERY_BROKER_WRITE_URL")}}
    if "://" in facts.result_backend and urlsplit(facts.result_backend).hostname:
        variables["CELERY_RESULT_BACKEND"] = "cache+memory://"
    return ProjectCode(project.root, "celery_repro_settings", project.app, (project.root, DJANGO_PROJECT),
                       facts.ledger_alias, variables)
