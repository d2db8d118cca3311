"""A cell's celery worker and gunicorn as one-off containers of the Compose project, from an image of its pins."""
from __future__ import annotations

import io
import re
import tarfile
import threading
import time
from pathlib import Path
from typing import Callable

from docker.errors import NotFound

from harness.errors import HarnessError, last_line
from harness.stacks.compose import CONTAINER_PARENT_LOG, ComposeStack, pool_pids
from harness.stacks.process import STARTUP_TIMEOUT_S
from harness.sut import WORKER_STOP_GRACE_S, DjangoProject, WorkerLog, worker_args
from harness.web import Gunicorn

WEB_STOP_GRACE_S = 10
CONTAINER_WEB_PORT = 8000  # compose.yaml publishes it on 127.0.0.1:REPRO_WEB_PORT


class OneOff:
    """One `docker compose run` container of a cell service: its output appended to a log file as it comes,
    stopped with SIGTERM to its main process and a grace period (then SIGKILL), then removed."""

    def __init__(self, stack: ComposeStack, project: DjangoProject, service: str, name: str, log: Path) -> None:
        self.stack, self.project, self.service, self.log = stack, project, service, log
        self.name = re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{stack.project}-{service}-{name}")
        self.container, self._copier = None, None

    def start(self, command: list[str], ready: Callable[[], bool], publish: bool = False) -> None:
        """Start the container and wait until `ready()`; a HarnessError with its last log line if it exits first."""
        self.container = self.stack.run_cell(self.service, self.project, self.name, command, publish)
        self._copier = threading.Thread(target=self._copy_logs, name=f"logs-{self.name}", daemon=True)
        self._copier.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not ready():
            if not self.running() or time.monotonic() > deadline:
                self._copier.join(1)
                raise HarnessError(f"{self.service} container {self.name} did not become ready: "
                                   f"{last_line(self.log.read_text(errors='replace') if self.log.exists() else '')}")
            time.sleep(0.1)

    def _copy_logs(self) -> None:
        with self.log.open("ab") as out:
            for chunk in self.container.logs(stream=True, follow=True):
                out.write(chunk)
                out.flush()

    def running(self) -> bool:
        self.container.reload()
        return self.container.status == "running"

    def stop(self, grace_s: float, keep: tuple[str, Path] | None = None) -> None:
        """SIGTERM, `grace_s`, SIGKILL (docker stop); copy `keep` = (path inside, path here) out; remove."""
        if self.container is None:
            return
        try:
            self.container.stop(timeout=grace_s)
            if self._copier is not None:
                self._copier.join(5)
            if keep:
                copy_out(self.container, *keep)
        finally:
            self.container.remove(force=True)


def copy_out(container, inside: str, here: Path) -> None:
    """One file out of a (stopped) container, if it is there."""
    try:
        chunks, _ = container.get_archive(inside)
    except NotFound:
        return
    with tarfile.open(fileobj=io.BytesIO(b"".join(chunks))) as tar:
        here.write_bytes(tar.extractfile(tar.getmembers()[0]).read())


class ComposeWorker(WorkerLog):
    """The cell's `celery worker` in a one-off `worker` container, logging into the file a local Worker uses;
    `pid` is the host pid of its main process (docker top)."""

    def __init__(self, stack: ComposeStack, project: DjangoProject, name: str) -> None:
        super().__init__(project.logdir / f"{name}.log")
        self.project, self.name, self.pid = project, name, None
        self.one_off = OneOff(stack, project, "worker", name, self.logfile)

    def __enter__(self) -> "ComposeWorker":
        try:
            self.one_off.start(["python", *worker_args(self.project.variables, self.name)], self._ready)
            self.pid = pool_pids(self.one_off.container.top())[0]
        except BaseException:
            self.__exit__()
            raise
        return self

    def alive(self) -> bool:
        return self.one_off.running()

    def __exit__(self, *exc) -> None:
        self.one_off.stop(WORKER_STOP_GRACE_S, keep=(CONTAINER_PARENT_LOG, self.project.parent_log))


class ComposeWeb(Gunicorn):
    """gunicorn with sync workers in a one-off `web` container, answering on the service's published port."""

    def __init__(self, stack: ComposeStack, project: DjangoProject, workers: int) -> None:
        self.port, self.workers = stack.ports["web"], workers
        self.url = f"http://127.0.0.1:{self.port}"
        self.one_off = OneOff(stack, project, "web", "gunicorn", project.logdir / "gunicorn.log")

    def __enter__(self) -> "ComposeWeb":
        command = ["python", "-m", "gunicorn", "repro.wsgi:application", "--bind", f"0.0.0.0:{CONTAINER_WEB_PORT}",
                   "--workers", str(self.workers), "--worker-class", "sync", "--graceful-timeout", "5"]
        try:
            self.one_off.start(command, self._answers, publish=True)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.one_off.stop(WEB_STOP_GRACE_S)
