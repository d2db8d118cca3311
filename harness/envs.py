"""One uv virtualenv per cell, keyed by a hash of its Python and pins, cached between runs."""
from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from harness.errors import HarnessError
from harness.paths import cache_dir
from harness.pythons import find_python

READY_MARKER = "celery-repro-env.json"
LAYOUT = 2  # bump when what goes into an env changes, so old caches are not reused


@dataclass(frozen=True)
class CellEnv:
    """A built virtualenv: its interpreter, the Python it runs and what is installed in it."""

    path: Path
    python_version: str
    pins: dict[str, str]
    freeze: dict[str, str]
    reused: bool

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"


def env_key(python: str, pins: dict[str, str]) -> str:
    """A short stable hash of the Python minor version and the exact pins."""
    blob = json.dumps({"layout": LAYOUT, "python": python, "pins": dict(sorted(pins.items()))})
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def ensure_env(python: str, pins: dict[str, str]) -> CellEnv:
    """Return the cached env for these pins, building it (atomically) if it is not there yet."""
    path = cache_dir() / "venvs" / f"py{python}-celery{pins['celery']}-{env_key(python, pins)}"
    reused = (path / READY_MARKER).exists()
    if not reused:
        _build(path, python, pins)
    marker = json.loads((path / READY_MARKER).read_text())
    return CellEnv(path, marker["python_version"], pins, marker["freeze"], reused)


def _build(path: Path, python: str, pins: dict[str, str]) -> None:
    """Create the venv in a scratch dir, install the pins, record the freeze, then rename into place."""
    scratch = path.with_name(path.name + ".partial")
    shutil.rmtree(scratch, ignore_errors=True)
    try:
        _uv(["venv", "--quiet", "--relocatable", "--python", str(find_python(python)), str(scratch)], pins)
        # the [redis] extra brings what kombu's redis transport imports (packaging, from kombu 5.7 on)
        requirements = [f"{'celery[redis]' if name == 'celery' else name}=={version}" for name, version in pins.items()]
        _uv(["pip", "install", "--quiet", "--python", str(scratch / "bin" / "python"), *requirements], pins)
        marker = {"python_version": _python_version(scratch), "freeze": _freeze(scratch)}
        (scratch / READY_MARKER).write_text(json.dumps(marker, indent=1))
        shutil.rmtree(path, ignore_errors=True)
        scratch.rename(path)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _uv(args: list[str], pins: dict[str, str]) -> None:
    done = subprocess.run(["uv", *args], capture_output=True, text=True)
    if done.returncode != 0:
        last = [line for line in done.stderr.splitlines() if line.strip()][-1:] or ["no output"]
        raise HarnessError(f"cannot build env for celery {pins.get('celery')}: {last[0].strip()}")


def _freeze(venv: Path) -> dict[str, str]:
    done = subprocess.run(["uv", "pip", "freeze", "--python", str(venv / "bin" / "python")],
                          capture_output=True, text=True, check=True)
    return dict(line.split("==", 1) for line in done.stdout.splitlines() if "==" in line)


def _python_version(venv: Path) -> str:
    done = subprocess.run([str(venv / "bin" / "python"), "-c", "import platform; print(platform.python_version())"],
                          capture_output=True, text=True, check=True)
    return done.stdout.strip()
