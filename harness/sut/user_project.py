"""A user's Django project: where its settings, Celery app, lock file and Python are, found from its own files."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from harness.errors import HarnessError

LOCK_FILES = ("uv.lock", "poetry.lock", "requirements.txt")
SETTINGS_IN_MANAGE = re.compile(r"""DJANGO_SETTINGS_MODULE['"]\s*,\s*['"]([\w.]+)['"]""")
APP_ASSIGNED = re.compile(r"^(\w+)\s*=\s*Celery\(", re.MULTILINE)


@dataclass(frozen=True)
class UserProject:
    """Where a user's project is and what the harness runs of it."""

    root: Path
    settings: str  # the dotted settings module
    app: str  # the Celery app as MODULE:ATTR
    lock: Path  # its uv.lock, poetry.lock or requirements.txt
    python: str | None  # from .python-version, else chosen by the Celery release
    options: tuple[str, ...] = ()  # --settings and --app as given, for the commands the harness suggests

    @property
    def name(self) -> str:
        return self.root.name

    def describe(self) -> dict:
        return {"name": self.name, "root": str(self.root), "settings": self.settings, "app": self.app,
                "lock": self.lock.name}


def find_project(root: Path, settings: str | None = None, app: str | None = None) -> UserProject:
    """The project at `root`: settings from manage.py and the app from a package's celery.py unless given; a
    one-line error saying what to pass when either cannot be found, or when it has no lock file."""
    root = root.expanduser().resolve()
    if not root.is_dir():
        raise HarnessError(f"--project {root}: no such directory")
    given = (*(("--settings", settings) if settings else ()), *(("--app", app) if app else ()))
    return UserProject(root, settings or _settings_from_manage(root), app or _app_from_celery_module(root),
                       _lock_file(root), _python_version(root), given)


def _settings_from_manage(root: Path) -> str:
    manage = root / "manage.py"
    found = SETTINGS_IN_MANAGE.search(manage.read_text()) if manage.exists() else None
    if not found:
        raise HarnessError(f"cannot tell the settings module of {root} (no manage.py setting DJANGO_SETTINGS_MODULE): "
                           "pass --settings MODULE")
    return found.group(1)


def _app_from_celery_module(root: Path) -> str:
    candidates = [path for path in sorted(root.glob("*/celery.py")) if APP_ASSIGNED.search(path.read_text())]
    if len(candidates) != 1:
        what = "no package with a celery.py" if not candidates else f"{len(candidates)} packages with a celery.py"
        raise HarnessError(f"cannot tell the Celery app of {root} ({what} assigning Celery(...)): "
                           "pass --app MODULE:ATTR")
    path = candidates[0]
    return f"{path.parent.name}.celery:{APP_ASSIGNED.search(path.read_text()).group(1)}"


def _lock_file(root: Path) -> Path:
    for name in LOCK_FILES:
        if (root / name).is_file():
            return root / name
    raise HarnessError(f"{root} has no {', '.join(LOCK_FILES)}: the cell's env is built from the project's own "
                       "pinned releases")


def _python_version(root: Path) -> str | None:
    path = root / ".python-version"
    found = re.match(r"\s*(3\.\d+)", path.read_text()) if path.exists() else None
    return found.group(1) if found else None
