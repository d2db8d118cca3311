"""Where the harness finds the repository and keeps its caches and results."""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DJANGO_PROJECT = REPO_ROOT / "django_project"
SCENARIOS_DIR = REPO_ROOT / "scenarios"


def cache_dir() -> Path:
    """Venvs and resolved pins live here between runs (REPRO_CACHE_DIR overrides)."""
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "celery-repro"
    path = Path(os.environ.get("REPRO_CACHE_DIR", default))
    path.mkdir(parents=True, exist_ok=True)
    return path


def results_dir() -> Path:
    """Result JSON, charts and reports (REPRO_RESULTS_DIR overrides)."""
    return Path(os.environ.get("REPRO_RESULTS_DIR", REPO_ROOT / "results"))
