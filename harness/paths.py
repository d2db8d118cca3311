"""Where the harness finds the repository and keeps its caches and results."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from harness.errors import HarnessError

REPO_ROOT = Path(__file__).resolve().parent.parent
DJANGO_PROJECT = REPO_ROOT / "django_project"
SCENARIOS_DIR = REPO_ROOT / "scenarios"


# what the harness creates in its cache dir, and all that `harness clean-cache` deletes there
CACHE_ENTRIES = ("venvs", "wheels", "pins.json", "pins.json.damaged-*", "pins.lock", "CACHEDIR.TAG")
CACHEDIR_TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# celery-repro's cell virtualenvs and resolved pins\n"


def cache_dir() -> Path:
    """Venvs and resolved pins live here between runs (REPRO_CACHE_DIR overrides); tagged as a cache directory."""
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "celery-repro"
    path = Path(os.environ.get("REPRO_CACHE_DIR", default))
    path.mkdir(parents=True, exist_ok=True)
    if not (path / "CACHEDIR.TAG").exists():
        (path / "CACHEDIR.TAG").write_text(CACHEDIR_TAG)
    return path


def clean_cache() -> tuple[Path, list[str]]:
    """Delete what the harness created in its cache dir, nothing else; the dir and the names deleted."""
    path = cache_dir()
    deleted = []
    for pattern in CACHE_ENTRIES:
        for entry in sorted(path.glob(pattern)):
            shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
            deleted.append(entry.name)
    return path, deleted


def check_free_space(path: Path, megabytes: int, purpose: str) -> None:
    """A one-line error, before anything starts, when `path`'s file system has less than `megabytes` free."""
    free = shutil.disk_usage(path).free // 2**20
    if free < megabytes:
        raise HarnessError(f"only {free} MB free in {path}, {purpose} needs {megabytes} MB: free some space")


def results_dir() -> Path:
    """Result JSON, charts and reports (REPRO_RESULTS_DIR overrides)."""
    return Path(os.environ.get("REPRO_RESULTS_DIR", REPO_ROOT / "results"))
