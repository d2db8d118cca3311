"""Companion pins for a Celery release: resolve once with uv, cache, and reuse on every rerun."""
from __future__ import annotations

import json
import time
from pathlib import Path

from harness.atomic import locked, write_atomic
from harness.errors import HarnessError, warn
from harness.packages import EXTRAS, PINNED
from harness.paths import cache_dir
from harness.pythons import find_python
from harness.uv import run_uv, uv_reason

# Django and driver by Python: Django 3.2 with psycopg2 up to 3.9, Django 5.2 with psycopg 3 after.
DJANGO_BY_PYTHON = {
    "3.6": ["django==3.2.*", "psycopg2-binary"],
    "3.8": ["django==3.2.*", "psycopg2-binary"],
    "3.9": ["django==4.2.*", "psycopg[binary]"],
    "3.10": ["django==5.2.*", "psycopg[binary]", "psycopg-pool"],
    "3.11": ["django==5.2.*", "psycopg[binary]", "psycopg-pool"],
    "3.12": ["django==5.2.*", "psycopg[binary]", "psycopg-pool"],
    "3.13": ["django==5.2.*", "psycopg[binary]", "psycopg-pool"],
}
LEAVE_OUT = "-"  # a cell's pin of "-" keeps that package out of its env (psycopg 3 out, for a psycopg2 cell)
# Celery 4.x imports vine 1.x, the redis-py 3 API and importlib-metadata's old entry points.
CELERY4_CAPS = ["vine<5", "redis<4", "importlib-metadata<5"]


def requirements(celery: str, python: str, overrides: dict[str, str]) -> list[str]:
    """The requirement lines to resolve for one cell, explicit overrides winning."""
    if python not in DJANGO_BY_PYTHON:
        raise HarnessError(f"no Django/driver line known for Python {python} (known: {', '.join(DJANGO_BY_PYTHON)})")
    era = DJANGO_BY_PYTHON[python] + (CELERY4_CAPS if celery.startswith("4.") else [])
    # setuptools: Celery 5.0-5.2 import pkg_resources, which uv venvs do not ship (gone in setuptools 81)
    lines = [f"celery[redis]=={celery}", "kombu[redis]", "setuptools<81"]
    lines += [line for line in era if _name(line) not in overrides]
    return lines + [_line(name, version) for name, version in overrides.items()
                    if name != "celery" and version != LEAVE_OUT]


def _line(name: str, version: str) -> str:
    """`name==version`, or just `name` for '*' (an extra package at the newest version the cell accepts); '-'
    leaves the package out."""
    return name if version == "*" else f"{name}=={version}"


def install_lines(pins: dict[str, str]) -> list[str]:
    """`name[extra]==version` lines that install exactly the pinned set."""
    return [f"{EXTRAS.get(name, name)}=={version}" for name, version in pins.items()]


def resolve(celery: str, python: str, overrides: dict[str, str] | None = None) -> dict[str, str]:
    """Exact versions of the pinned packages for this cell, from cache or one `uv pip compile`."""
    lines = requirements(celery, python, dict(overrides or {}))
    key = json.dumps([python, lines])
    cache = cache_dir() / "pins.json"
    known, _ = _known(cache)
    if key not in known:
        resolved = _compile(lines, python)
        with locked(cache.with_name("pins.lock")):  # another run may have added its own since we read
            known, problem = _known(cache)
            if problem:
                _set_aside(cache, problem)
            known[key] = resolved
            write_atomic(cache, json.dumps(known, indent=1, sort_keys=True))
    return known[key]


def _known(cache: Path) -> tuple[dict[str, dict[str, str]], str | None]:
    """The resolutions cached so far, and what is wrong with the file (None: nothing; then it may be missing)."""
    try:
        known = json.loads(cache.read_text())
    except FileNotFoundError:
        return {}, None
    except (OSError, ValueError) as error:
        return {}, f"unreadable: {error}"
    if isinstance(known, dict) and all(isinstance(pins, dict) and all(isinstance(v, str) for v in pins.values())
                                       for pins in known.values()):
        return known, None
    return {}, f"a JSON {type(known).__name__} of the wrong shape"


def _set_aside(cache: Path, problem: str) -> None:
    """Move a damaged pins cache out of the way (kept for a look), with one warning."""
    aside = cache.with_name(f"pins.json.damaged-{time.strftime('%Y%m%dT%H%M%S')}")
    cache.replace(aside)
    warn(f"{cache} was damaged ({problem}): moved to {aside.name}, resolving pins afresh")


def _compile(lines: list[str], python: str) -> dict[str, str]:
    """Run `uv pip compile` and keep the versions of the packages a cell pins."""
    done = run_uv("pip", "compile", "--quiet", "--no-header", "--no-annotate",
                  "--python", str(find_python(python)), "-", stdin="\n".join(lines))
    if done.returncode != 0:
        raise HarnessError(f"cannot resolve {lines[0]} on Python {python}: {_reason(done.stderr)}")
    resolved = dict(line.split("==", 1) for line in done.stdout.splitlines() if "==" in line)
    wanted = (*PINNED, *(_name(line) for line in lines))
    return {name: resolved[name] for name in dict.fromkeys(wanted) if name in resolved}


def _reason(stderr: str) -> str:
    """The most telling part of a uv failure: why no resolution exists, where uv says so."""
    text = uv_reason(stderr, 1000)
    if "Because" in text:
        return text.split("Because", 1)[1].split(", we can conclude")[0].strip()[:300]
    return text[:300]


def _name(requirement: str) -> str:
    for sep in "[=<>!~":
        requirement = requirement.split(sep, 1)[0]
    return requirement.strip().lower()
