"""A project's pinned requirements, from its uv.lock (through `uv export`), poetry.lock or requirements.txt."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

from harness.errors import HarnessError, last_line
from harness.uv import run_uv

PINNED_LINE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*==\s*([^\s;#\\]+)")


def requirement_lines(lock: Path) -> list[str]:
    """The lines `uv pip install -r` takes to install what the lock file pins (its main dependencies)."""
    reader = {"uv.lock": _from_uv_lock, "poetry.lock": _from_poetry_lock}.get(lock.name, _from_requirements)
    try:
        return reader(lock)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise HarnessError(f"cannot read {lock}: {error}") from None


def pinned_versions(lines: list[str]) -> dict[str, str]:
    """name -> version of every `name==version` line (names lower case, '_' as '-')."""
    found = (PINNED_LINE.match(line.strip()) for line in lines)
    return {re.sub(r"[-_.]+", "-", m.group(1)).lower(): m.group(2) for m in found if m}


def _from_uv_lock(lock: Path) -> list[str]:
    done = run_uv("export", "--frozen", "--no-hashes", "--no-dev", "--no-emit-project", "--no-emit-workspace",
                  "--no-header",
                  "--format", "requirements-txt", "--project", str(lock.parent))
    if done.returncode != 0:
        raise HarnessError(f"cannot export {lock}: {last_line(done.stderr)}")
    return [line for line in done.stdout.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def _from_poetry_lock(lock: Path) -> list[str]:
    """Every package (Poetry 1.5+ records no groups in the lock, so development ones too; older locks: main)."""
    packages = tomllib.loads(lock.read_text())["package"]
    return [f"{package['name']}=={package['version']}" + (f" ; {package['markers']}"
                                                          if isinstance(package.get("markers"), str) else "")
            for package in packages if package.get("category", "main") == "main"]


def _from_requirements(lock: Path) -> list[str]:
    """Its lines and those of the files it includes (-r, relative to it), without comments, other options and the
    project itself (-e ., paths)."""
    found = []
    for line in (line.split(" #", 1)[0].strip() for line in lock.read_text().splitlines()):
        if line.startswith(("-r ", "--requirement ")):
            found += _from_requirements(lock.parent / line.split(None, 1)[1])
        elif line and not line.startswith(("#", "-", ".", "/")):
            found.append(line)
    return found
