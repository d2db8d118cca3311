"""Cell images: the Docker build arguments of a cell's Python and pins, and the image tag they name."""
from __future__ import annotations

import hashlib
import json
import re

from harness.packages import EXTRAS, PINNED

GUNICORN = "23.0.0"  # the web side of the image; Python 3.6 needs an older release
GUNICORN_BY_PYTHON = {"3.6": "21.2.0"}


def arg_name(package: str) -> str:
    return re.sub(r"[^A-Z0-9]", "_", package.upper()) + "_VERSION"


def build_args(python: str, pins: dict[str, str]) -> dict[str, str]:
    """Docker build arguments installing exactly these pins: one *_VERSION per pinned package (empty: not in
    this cell), anything else as EXTRA_PINS, and the web server."""
    args = {"PYTHON_VERSION": python, **{arg_name(name): pins.get(name, "") for name in PINNED}}
    extra = [f"{EXTRAS.get(name, name)}=={version}" for name, version in pins.items()
             if name not in PINNED and name != "gunicorn"]
    gunicorn = pins.get("gunicorn") or GUNICORN_BY_PYTHON.get(python, GUNICORN)
    return {**args, "EXTRA_PINS": " ".join(extra), "GUNICORN_VERSION": gunicorn}


def image_name(args: dict[str, str]) -> str:
    """The cell image for these build arguments, tagged by their hash: cells with the same pins share it."""
    digest = hashlib.sha256(json.dumps(args, sort_keys=True).encode()).hexdigest()[:16]
    return f"celery-repro-cell:celery{args['CELERY_VERSION']}-py{args['PYTHON_VERSION']}-{digest}"


def minor(python_version: str) -> str:
    """'3.11.9' -> '3.11': the image's Python is chosen by its minor version."""
    return ".".join(python_version.split(".")[:2])
