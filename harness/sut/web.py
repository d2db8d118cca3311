"""django_project/ under gunicorn: the web server of a web-load cell."""
from __future__ import annotations

import urllib.request

from harness.stacks.base import LISTEN, ProcessHandle, ProcessSpec, Stack
from harness.sut.project import DjangoProject

WEB_PORT = 8000  # where gunicorn listens in a container
WEB_STOP_GRACE_S = 10


def answers(url: str | None) -> bool:
    """Whether the project's health view answers 200 at `url`."""
    try:
        with urllib.request.urlopen(f"{url}/health/", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def gunicorn_args(workers: int) -> tuple[str, ...]:
    return ("-m", "gunicorn", "repro.wsgi:application", "--bind", LISTEN, "--workers", str(workers),
            "--worker-class", "sync", "--graceful-timeout", "5")


class Gunicorn:
    """gunicorn serving repro.wsgi with sync workers from the cell's Python on a stack (context manager); its `url`
    once entered."""

    def __init__(self, stack: Stack, project: DjangoProject, workers: int) -> None:
        env = project.env
        self.stack, self.url = stack, None
        self.process: ProcessHandle | None = None
        self.spec = ProcessSpec(label=f"gunicorn ({env.pins.get('gunicorn', '?')})", args=gunicorn_args(workers),
                                environment=project.variables, app_dir=project.code.app_dir,
                                log=project.logdir / "gunicorn.log", ready=answers, python=env.python,
                                python_version=env.python_version, pins=env.pins, port=WEB_PORT,
                                stop_grace_s=WEB_STOP_GRACE_S)

    def __enter__(self) -> "Gunicorn":
        self.process = self.stack.start_process(self.spec)
        self.url = self.process.url
        return self

    def __exit__(self, *exc) -> None:
        self.process.stop()
