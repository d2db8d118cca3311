"""Cached envs on disk: two first-time builds of one env build it once, and a damaged env is found and rebuilt with
one warning (real uv builds in a cache dir of the test's own)."""
import json
import marshal
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from harness.envs import ensure_env
from harness.paths import REPO_ROOT
from harness.pins import resolve

pytestmark = pytest.mark.integration
CELERY, PYTHON = "5.5.3", "3.11"
BUILD = ("import json, sys; from harness.envs import ensure_env; from harness.pins import resolve; "
         f"env = ensure_env('{PYTHON}', resolve('{CELERY}', '{PYTHON}')); "
         "print(json.dumps({'path': str(env.path), 'reused': env.reused}))")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("REPRO_CACHE_DIR", str(tmp_path))
    return tmp_path


def build_in_a_process(cache) -> dict:
    done = subprocess.run([sys.executable, "-c", BUILD], capture_output=True, text=True, timeout=600, cwd=REPO_ROOT,
                          env={**os.environ, "REPRO_CACHE_DIR": str(cache)})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_two_first_time_builds_of_one_env_both_succeed_and_build_it_once(cache):
    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(build_in_a_process, [cache, cache])
    assert first["path"] == second["path"] and sorted([first["reused"], second["reused"]]) == [False, True]
    assert [path.name for path in (cache / "venvs").iterdir() if not path.name.endswith(".lock")] == \
        [os.path.basename(first["path"])]  # no scratch dir left


@pytest.fixture
def built(cache):
    pins = resolve(CELERY, PYTHON)
    return ensure_env(PYTHON, pins), pins


def test_a_built_env_is_byte_compiled_under_its_final_path(built):
    env, _ = built
    [compiled] = env.path.glob("lib/python*/site-packages/celery/__pycache__/__init__.cpython-*.pyc")
    code = marshal.loads(compiled.read_bytes()[16:])
    assert code.co_filename == str(compiled.parent.parent / "__init__.py")  # tracebacks name the real file


@pytest.mark.parametrize("damage", ["a package file", "the ready marker", "the interpreter"])
def test_a_damaged_env_is_rebuilt_with_one_warning(built, capfd, damage):
    env, pins = built
    site = next(env.path.glob("lib/python*/site-packages"))
    broken = {"a package file": site / "celery" / "__init__.py", "the ready marker": env.path / "celery-repro-env.json",
              "the interpreter": env.path / "bin" / "python"}[damage]
    broken.unlink()
    capfd.readouterr()
    again = ensure_env(PYTHON, pins)
    [warning] = capfd.readouterr().err.strip().splitlines()
    assert warning.startswith(f"warning: cached env {env.path.name} is damaged (") and "rebuilding it" in warning
    assert again.path == env.path and again.reused is False and broken.exists()
    runs = subprocess.run([str(again.python), "-c", "import celery; print(celery.__version__)"], capture_output=True,
                          text=True)
    assert runs.stdout.strip() == CELERY
    assert ensure_env(PYTHON, pins).reused is True
