"""Choosing and finding the Python interpreter a Celery release runs on."""
from __future__ import annotations

import glob
import os
from pathlib import Path

from packaging.version import Version

from harness.errors import HarnessError
from harness.uv import run_uv

# Oldest Celery release (inclusive) -> Python it runs on. 4.1 has a module named `async`
# (a keyword from 3.7 on); 4.x imports vine's `inspect.formatargspec` (gone in 3.11 and
# broken on >= 3.10); 5.0 supports up to 3.9; 5.1-5.2 up to 3.10.
PYTHON_BY_RELEASE = [("5.3.0", "3.11"), ("5.1.0", "3.10"), ("4.2.0", "3.8"), ("4.0.0", "3.6")]


def python_for(celery: str) -> str:
    """The Python minor version the given Celery release is run on."""
    release = Version(celery)
    for oldest, python in PYTHON_BY_RELEASE:
        if release >= Version(oldest):
            return python
    raise HarnessError(f"celery {celery} is older than 4.0, which the harness does not support")


def find_python(minor: str) -> Path:
    """Path of a python<minor> interpreter: pyenv's versions first, then uv's discovery."""
    pyenv_root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    for candidate in sorted(glob.glob(f"{pyenv_root}/versions/{minor}.*/bin/python{minor}"), reverse=True):
        return Path(candidate)
    found = run_uv("python", "find", "--system", minor)
    if found.returncode == 0 and found.stdout.strip():
        return Path(found.stdout.strip().splitlines()[-1])
    raise HarnessError(f"Python {minor} not found (pyenv or uv): install it, e.g. 'uv python install {minor}'")
