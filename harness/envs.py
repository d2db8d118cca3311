"""One uv virtualenv per cell, keyed by a hash of its Python and pins, cached between runs: built once under a lock
(concurrent runs wait for it), checked before each use and rebuilt when damaged."""
from __future__ import annotations

import csv
import hashlib
import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from harness.atomic import locked, write_atomic
from harness.errors import HarnessError, last_line, warn
from harness.patches import Patch, apply
from harness.paths import cache_dir
from harness.pins import install_lines
from harness.pythons import find_python
from harness.uv import run_uv, uv_reason

READY_MARKER = "celery-repro-env.json"
LAYOUT = 5  # bump when what goes into an env changes, so old caches are not reused


@dataclass(frozen=True)
class CellEnv:
    """A built virtualenv: its interpreter, the Python it runs and what is installed in it."""

    path: Path
    python_version: str
    pins: dict[str, str]
    freeze: dict[str, str]
    reused: bool
    patch: Patch | None = None

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"


def env_key(python: str, pins: dict[str, str], patch: Patch | None = None, lines: list[str] | None = None) -> str:
    """A short stable hash of the Python minor version, the exact pins, the patch and the requirement lines (if
    any)."""
    blob = {"layout": LAYOUT, "python": python, "pins": dict(sorted(pins.items()))}
    if patch is not None:
        blob["patch"] = patch.sha256
    if lines is not None:
        blob["lines"] = lines
    return hashlib.sha256(json.dumps(blob).encode()).hexdigest()[:16]


def ensure_env(python: str, pins: dict[str, str], patch: Patch | None = None,
               say: Callable[[str], None] = lambda message: None, lines: list[str] | None = None) -> CellEnv:
    """Return the cached env for these pins (and patch), building it if it is missing or damaged; one build at a
    time per env, whichever runs want it. `lines` (a project's own requirements) are installed instead of the
    pins, which then only name what they hold."""
    kind = "-patched" if patch else "-project" if lines is not None else ""
    path = cache_dir() / "venvs" / f"py{python}-celery{pins['celery']}{kind}-{env_key(python, pins, patch, lines)}"
    reused = path.exists() and damage(path) is None
    if not reused:
        waiting = lambda: say(f"waiting for another run that is building {path.name}")  # noqa: E731
        with locked(path.with_name(path.name + ".lock"), waiting):
            problem = damage(path) if path.exists() else None
            reused = path.exists() and problem is None  # built by the run we waited for
            if not reused:
                if problem:
                    warn(f"cached env {path.name} is damaged ({problem}): rebuilding it")
                _build(path, python, pins, patch, lines)
    marker = json.loads((path / READY_MARKER).read_text())
    return CellEnv(path, marker["python_version"], pins, marker["freeze"], reused, patch)


def damage(path: Path) -> str | None:
    """What is wrong with a cached env (None: nothing): no ready marker, a file its packages installed is missing,
    or its interpreter does not run."""
    try:
        json.loads((path / READY_MARKER).read_text())["freeze"]
    except (OSError, ValueError, KeyError, TypeError):
        return f"no readable {READY_MARKER}"
    for record in sorted(path.glob("lib/python*/site-packages/*.dist-info/RECORD")):
        with record.open(newline="") as rows:
            for row in csv.reader(rows):
                if row and not (record.parent.parent / row[0]).exists() and not row[0].endswith(".pyc"):
                    return f"{row[0]} is missing"
    try:
        ran = subprocess.run([str(path / "bin" / "python"), "-I", "-c", ""], capture_output=True, timeout=60)
    except OSError as error:
        return f"its interpreter does not start: {error.strerror}"
    except subprocess.TimeoutExpired:
        return "its interpreter did not exit within 60 s"
    return None if ran.returncode == 0 else f"its interpreter exits {ran.returncode}"


def _build(path: Path, python: str, pins: dict[str, str], patch: Patch | None, lines: list[str] | None) -> None:
    """Create the venv in a private scratch dir, install the pins, apply the patch, record the freeze, rename it
    into place, byte-compile it, and only then mark it ready (the caller holds the env's lock)."""
    for stale in path.parent.glob(f"{path.name}.partial*"):  # a build that was killed
        shutil.rmtree(stale, ignore_errors=True)
    scratch = Path(tempfile.mkdtemp(dir=path.parent, prefix=f"{path.name}.partial-"))
    try:
        _uv(["venv", "--quiet", "--relocatable", "--python", str(find_python(python)), str(scratch)], pins)
        installing = _what_to_install(scratch, pins, lines)
        _uv(["pip", "install", "--quiet", "--python", str(scratch / "bin" / "python"), *installing], pins)
        if patch is not None:
            apply(patch, site_packages(scratch, python), f"celery {pins['celery']} on Python {python}")
        marker = {"python_version": _python_version(scratch), "freeze": _freeze(scratch)}
        if path.exists():
            path.rename(path.with_name(f"{path.name}.partial-damaged"))  # out of the way at once, deleted below
        scratch.rename(path)
        shutil.rmtree(path.with_name(f"{path.name}.partial-damaged"), ignore_errors=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    _compile(path, python)  # in place, so that tracebacks name the real files
    write_atomic(path / READY_MARKER, json.dumps(marker, indent=1))  # ready only now


def _what_to_install(scratch: Path, pins: dict[str, str], lines: list[str] | None) -> list[str]:
    """The pins as requirements, or a requirements file of the given lines (kept in the env)."""
    if lines is None:
        return install_lines(pins)
    requirements = scratch / "celery-repro-requirements.txt"
    requirements.write_text("\n".join(lines) + "\n")
    return ["-r", str(requirements)]


def _compile(path: Path, python: str) -> None:
    """Byte-compile site-packages once: every worker, dispatch and migration then imports instead of compiling
    (cells run with PYTHONDONTWRITEBYTECODE, so nothing is written later)."""
    done = subprocess.run([str(path / "bin" / "python"), "-m", "compileall", "-q", "-j", "0",
                           str(site_packages(path, python))], capture_output=True, text=True)
    if done.returncode not in (0, 1):  # 1: a file that does not compile (test data in some sdists); the rest did
        raise HarnessError(f"cannot byte-compile the env for Python {python}: {last_line(done.stderr or done.stdout)}")


def site_packages(venv: Path, python: str) -> Path:
    return venv / "lib" / f"python{python}" / "site-packages"


def _uv(args: list[str], pins: dict[str, str]) -> str:
    done = run_uv(*args)
    if done.returncode != 0:
        raise HarnessError(f"cannot build env for celery {pins.get('celery')}: {uv_reason(done.stderr)}")
    return done.stdout


def _freeze(venv: Path) -> dict[str, str]:
    out = _uv(["pip", "freeze", "--python", str(venv / "bin" / "python")], {})
    return dict(line.split("==", 1) for line in out.splitlines() if "==" in line)


def _python_version(venv: Path) -> str:
    """The interpreter's version, read from the pyvenv.cfg uv writes."""
    config = dict(line.split(" = ", 1) for line in (venv / "pyvenv.cfg").read_text().splitlines() if " = " in line)
    return config.get("version_info", config.get("version", "unknown")).strip()
