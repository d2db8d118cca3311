"""A user's project as a cell runs it: its env from its own lock file, its settings checked, its code loaded under
the harness's settings module (django_project/celery_repro_settings.py)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

from harness.envs import CellEnv, ensure_env
from harness.errors import HarnessError
from harness.packages import PINNED
from harness.paths import DJANGO_PROJECT
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
    """The lock file's requirement lines (plus what the harness needs), its pinned releases and the Python to use;
    a one-line error when it pins no Celery."""
    lines = requirement_lines(project.lock)
    versions = pinned_versions(lines)
    if "celery" not in versions:
        raise HarnessError(f"{project.lock} pins no celery release (celery==X.Y.Z): the harness cannot tell what "
                           "to run")
    lines += [name for name in HARNESS_NEEDS if name not in versions]
    pins = {name: versions[name] for name in PINNED if name in versions}
    return ProjectPins(lines, pins, project.python or python_for(versions["celery"]))


def project_env(project: UserProject, pinned: ProjectPins, say: Callable[[str], None]) -> tuple[CellEnv, ProjectFacts]:
    """The project's env (built once, cached by its lines) and its configuration, checked runnable."""
    env = ensure_env(pinned.python, pinned.pins, None, say, pinned.lines)
    facts = inspect_project(project, env, pinned.pins)
    check_runnable(project, facts)
    return env, facts


def project_code(project: UserProject, facts: ProjectFacts) -> ProjectCode:
    """The project loaded under the harness's settings: its Postgres aliases migrated, the broker (and a result
    backend with a host) replaced in the environment too, where Celery reads them before any setting."""
    variables = {"REPRO_USER_SETTINGS": project.settings, **{name: "{broker}" for name in (
        "CELERY_BROKER_URL", "CELERY_BROKER_READ_URL", "CELERY_BROKER_WRITE_URL")}}
    if "://" in facts.result_backend and urlsplit(facts.result_backend).hostname:
        variables["CELERY_RESULT_BACKEND"] = "cache+memory://"
    return ProjectCode(project.root, "celery_repro_settings", project.app, (project.root, DJANGO_PROJECT),
                       tuple(facts.postgres_aliases), variables)
