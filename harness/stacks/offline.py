"""Images without a registry: whether the local images of compose/images.sh are used, and what a cell image needs."""
from __future__ import annotations

import os
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from harness.atomic import locked
from harness.errors import HarnessError, last_line
from harness.paths import REPO_ROOT, cache_dir
from harness.pythons import find_python

SERVERS_IMAGE = "celery-repro/servers:bookworm"
IMAGES_SCRIPT = REPO_ROOT / "compose" / "images.sh"
BUILD_WHEELHOUSE = REPO_ROOT / "compose" / "wheelhouse"  # in the cell image's build context, as /wheelhouse
SERVER_IMAGE_VARIABLES = ("REPRO_POSTGRES_IMAGE", "REPRO_REDIS_IMAGE", "REPRO_RABBITMQ_IMAGE")
PYTHON_BUILD_TIMEOUT_S = 600
WHEEL_TIMEOUT_S = 900


def image_exists(client, name: str) -> bool:
    try:
        client.images.get(name)
        return True
    except Exception:  # docker.errors.ImageNotFound, or an engine that cannot answer
        return False


def use_local_images(client) -> bool:
    """REPRO_IMAGES=local or official; by default local when compose/images.sh has built the servers image."""
    mode = os.environ.get("REPRO_IMAGES", "auto")
    if mode not in ("auto", "local", "official"):
        raise HarnessError(f"REPRO_IMAGES={mode!r}: use local, official or leave it unset")
    if mode == "official":
        return False
    present = image_exists(client, SERVERS_IMAGE)
    if mode == "local" and not present:
        raise HarnessError(f"REPRO_IMAGES=local but {SERVERS_IMAGE} is missing: run make images")
    return present


def server_variables() -> dict[str, str]:
    """compose.yaml's server image variables pointed at the local servers image."""
    return dict.fromkeys(SERVER_IMAGE_VARIABLES, SERVERS_IMAGE)


def python_base(client, minor: str, say=print) -> str:
    """celery-repro/python:MINOR, built from this machine's pyenv build when it is not there yet."""
    name = f"celery-repro/python:{minor}"
    if not image_exists(client, name):
        say(f"image {name}: building from the pyenv build of Python {minor}")
        _script("python", minor, timeout=PYTHON_BUILD_TIMEOUT_S)
    return name


@contextmanager
def wheelhouse(key: str, minor: str, build_args: dict[str, str]) -> Iterator[dict[str, str]]:
    """For one image build: the cell's wheels (built once per image key into the cache) copied into the build
    context, and the build arguments that install from them alone; the copy removed after the build."""
    cached = cache_dir() / "wheels" / key
    with locked(cached.with_name(f"{key}.lock")):  # two runs building the same image build its wheels once
        if not cached.exists():
            _build_wheels(minor, build_args, cached)
    inside = BUILD_WHEELHOUSE / f"{key}-{os.getpid()}"  # a concurrent build of the same image has its own copy
    shutil.copytree(cached, inside, dirs_exist_ok=True)
    try:
        yield {"WHEELHOUSE": str(inside.relative_to(REPO_ROOT)), "PIP_OPTIONS": "--no-index --find-links /wheelhouse"}
    finally:
        shutil.rmtree(inside, ignore_errors=True)


def _build_wheels(minor: str, build_args: dict[str, str], target: Path) -> None:
    """Wheels of a cell's exact requirements, built on this host with its Python (sdists too), into `target`."""
    requirements = subprocess.run(["sh", str(REPO_ROOT / "compose" / "install-pins.sh")], capture_output=True,
                                  text=True, env={**os.environ, **build_args})
    if requirements.returncode != 0:
        raise HarnessError(f"cell requirements: {last_line(requirements.stderr)}")
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    done = subprocess.run([str(find_python(minor)), "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check",
                           "--use-pep517", "--wheel-dir", str(partial), "-r", "/dev/stdin"],
                          input=requirements.stdout, capture_output=True, text=True, timeout=WHEEL_TIMEOUT_S)
    if done.returncode != 0:
        shutil.rmtree(partial, ignore_errors=True)
        raise HarnessError(f"wheels for Python {minor}: {last_line(done.stderr)}")
    partial.rename(target)


def _script(*args: str, timeout: float) -> None:
    done = subprocess.run(["bash", str(IMAGES_SCRIPT), *args], capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise HarnessError(f"compose/images.sh {' '.join(args)}: {last_line(done.stderr)}")
