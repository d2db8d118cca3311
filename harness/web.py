"""The web path beside the worker path: django_project/ under gunicorn, loaded by locust (harness.webload)."""
from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request

from harness.errors import HarnessError, last_line
from harness.paths import DJANGO_PROJECT
from harness.scenario import Burst
from harness.stacks.process import ManagedProcess, free_port
from harness.sut import DjangoProject

LOAD_GRACE_S = 60  # locust's own start and stop, beyond the load's duration


class Gunicorn:
    """gunicorn serving repro.wsgi with sync workers from the cell's virtualenv, on a free loopback port."""

    def __init__(self, project: DjangoProject, workers: int) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [str(project.env.python), "-m", "gunicorn", "repro.wsgi:application", "--bind",
                   f"127.0.0.1:{self.port}", "--workers", str(workers), "--worker-class", "sync",
                   "--graceful-timeout", "5"]
        self.process = ManagedProcess(f"gunicorn ({project.env.pins.get('gunicorn', '?')})", command, self.port,
                                      self._answers, project.logdir / "gunicorn.log", env=project.variables,
                                      cwd=str(DJANGO_PROJECT))

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/health/", timeout=1) as response:
                return response.status == 200
        except OSError:
            return False

    def __enter__(self) -> "Gunicorn":
        self.process.start()
        return self

    def __exit__(self, *exc) -> None:
        self.process.stop_main_first(10)
        self.process.close()


def run_load(url: str, users: int, seconds: float, out) -> dict:
    """Locust's numbers for `users` users hammering the work views for `seconds`."""
    command = [sys.executable, "-m", "harness.webload", url, str(users), str(seconds), str(out)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + LOAD_GRACE_S)
    except subprocess.TimeoutExpired:
        raise HarnessError(f"locust did not finish within {seconds + LOAD_GRACE_S:.0f} s") from None
    if done.returncode != 0:
        raise HarnessError(f"locust failed: {last_line(done.stderr)}")
    return json.loads(out.read_text())


def run_web_load(stack, project: DjangoProject, workload: Burst, settings: dict) -> dict:
    """Baseline, the locust load through gunicorn (`concurrency` sync workers), settle: the web counterpart of
    a task burst, with the same phase marks."""
    starting = time.monotonic()
    with stack.web(project, settings["concurrency"]) as server:
        ready = time.monotonic()
        time.sleep(workload.baseline_s)
        marks = {"dispatch": time.monotonic()}
        load = run_load(server.url, settings["WEB_USERS"], settings["WEB_SECONDS"], project.logdir / "locust.json")
        marks["drained"] = time.monotonic()
        time.sleep(workload.settle_s)
        marks["settled"] = time.monotonic()
    timings = {"server_start_s": round(ready - starting, 3), "load_s": round(marks["drained"] - marks["dispatch"], 3)}
    return {"load": load, "marks": marks, "timings": timings}
