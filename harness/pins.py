"""Companion pins for a Celery release: resolve once with uv, cache, and reuse on every rerun."""
from __future__ import annotations

import json
import subprocess

from harness.errors import HarnessError
from harness.paths import cache_dir
from harness.pythons import find_python

# What every cell pins, so a rerun installs the same set.
PINNED = ("celery", "kombu", "billiard", "amqp", "vine", "redis", "django")
DRIVERS = ("psycopg2-binary", "psycopg")

# Extra requirements by Python: Celery 4.x on 3.6/3.8 needs an old vine, redis-py and
# importlib-metadata and the Django 3.2 / psycopg2 line; newer Pythons get Django 5.2 and psycopg 3.
ERA_REQUIREMENTS = {
    "3.6": ["vine<5", "redis<4", "importlib-metadata<5", "django==3.2.*", "psycopg2-binary"],
    "3.8": ["vine<5", "redis<4", "importlib-metadata<5", "django==3.2.*", "psycopg2-binary"],
    "3.10": ["django==5.2.*", "psycopg[binary]", "psycopg-pool"],
    "3.11": ["django==5.2.*", "psycopg[binary]", "psycopg-pool"],
}


def requirements(celery: str, python: str, overrides: dict[str, str]) -> list[str]:
    """The requirement lines to resolve for one cell, explicit overrides winning."""
    lines = [f"celery[redis]=={celery}"]
    for line in ERA_REQUIREMENTS[python]:
        if _name(line) not in overrides:
            lines.append(line)
    lines += [f"{name}=={version}" for name, version in overrides.items() if name != "celery"]
    return lines


def resolve(celery: str, python: str, overrides: dict[str, str] | None = None) -> dict[str, str]:
    """Exact versions of the pinned packages for this cell, from cache or one `uv pip compile`."""
    overrides = dict(overrides or {})
    key = json.dumps([celery, python, sorted(overrides.items())])
    cache = cache_dir() / "pins.json"
    known = json.loads(cache.read_text()) if cache.exists() else {}
    if key not in known:
        known[key] = _compile(requirements(celery, python, overrides), python)
        tmp = cache.with_suffix(".tmp")
        tmp.write_text(json.dumps(known, indent=1, sort_keys=True))
        tmp.replace(cache)
    return known[key]


def _compile(lines: list[str], python: str) -> dict[str, str]:
    """Run `uv pip compile` and keep the versions of the packages a cell pins."""
    command = ["uv", "pip", "compile", "--quiet", "--no-header", "--no-annotate",
               "--python", str(find_python(python)), "-"]
    done = subprocess.run(command, input="\n".join(lines), capture_output=True, text=True)
    if done.returncode != 0:
        raise HarnessError(f"cannot resolve {lines[0]} on Python {python}: {_reason(done.stderr)}")
    resolved = dict(line.split("==", 1) for line in done.stdout.splitlines() if "==" in line)
    return {name: resolved[name] for name in (*PINNED, *DRIVERS, "psycopg-pool") if name in resolved}


def _reason(stderr: str) -> str:
    """The most telling line of a uv failure."""
    lines = [line.strip(" ×╰─▶") for line in stderr.splitlines() if line.strip()]
    for line in lines:
        if "Because" in line:
            return line.split("Because", 1)[1].split(", we can conclude")[0].strip()
    return lines[-1] if lines else "uv failed without output"


def _name(requirement: str) -> str:
    for sep in "[=<>!~":
        requirement = requirement.split(sep, 1)[0]
    return requirement.strip().lower()
