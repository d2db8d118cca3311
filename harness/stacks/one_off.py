"""A ProcessSpec in a one-off container: its environment as seen inside, its host pid, its log, its files kept."""
from __future__ import annotations

import io
import math
import re
import tarfile
import threading
import time
from pathlib import Path

from harness.errors import HarnessError, last_line
from harness.stacks.base import ProcessSpec
from harness.stacks.process import STARTUP_TIMEOUT_S

CONTAINER_APP = "/app"  # the app directory (django_project/) in the image
CONTAINER_FILES = "/tmp"  # where a spec's copy_out files are written inside
LOOPBACK_URL = re.compile(r"(?<=[@/])127\.0\.0\.1:(\d+)(?!\d)")  # the host and port of a URL


def container_name(project: str, service: str, spec: ProcessSpec) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{project}-{service}-{spec.log.stem}")


def inside_paths(spec: ProcessSpec) -> dict[Path, str]:
    """Host path -> path in the container of each file the spec keeps."""
    return {path: f"{CONTAINER_FILES}/{path.name}" for path in spec.copy_out}


def container_environment(spec: ProcessSpec, in_network: dict[int, str]) -> dict[str, str]:
    """The spec's environment as its container sees it: URLs at a published loopback port aimed at
    `in_network[port]` ("service:port"), its kept files and its app directory at their paths inside."""
    def inside(value: str) -> str:
        value = LOOPBACK_URL.sub(lambda url: in_network.get(int(url.group(1)), url.group(0)), value)
        for path, there in inside_paths(spec).items():
            value = value.replace(str(path), there)
        return value.replace(str(spec.app_dir), CONTAINER_APP)

    return {key: inside(value) for key, value in spec.environment.items()}


def main_pid(top: dict, command: str) -> int:
    """The host pid of a container's main process in a `docker top` answer: a process whose parent is outside the
    container (its children are not), the one running `command` if exec'd health checks are there too."""
    column = {title: index for index, title in enumerate(top["Titles"])}
    rows = [(int(row[column["PID"]]), int(row[column["PPID"]]), row[column["CMD"]]) for row in top["Processes"]]
    pids = {pid for pid, _, _ in rows}
    roots = {pid: cmd for pid, ppid, cmd in rows if ppid not in pids}
    mains = [pid for pid, cmd in roots.items() if command in cmd] or list(roots)
    if len(mains) != 1:
        raise HarnessError(f"expected one main process running '{command[:60]}' in the container, found {len(mains)}")
    return mains[0]


def copy_out(container, inside: str, here: Path) -> None:
    """One file out of a (stopped) container, if it is there."""
    from docker.errors import NotFound  # the docker SDK only where a Compose stack runs

    try:
        chunks, _ = container.get_archive(inside)
    except NotFound:
        return
    with tarfile.open(fileobj=io.BytesIO(b"".join(chunks))) as tar:
        here.write_bytes(tar.extractfile(tar.getmembers()[0]).read())


class ContainerProcess:
    """A started one-off container: its output appended to the spec's log as it comes; stopped with SIGTERM to its
    main process and the spec's grace (then SIGKILL), its kept files copied out, then removed."""

    def __init__(self, container, name: str, spec: ProcessSpec, command: str, url: str | None) -> None:
        self.container, self.name, self.spec, self.command, self.url = container, name, spec, command, url
        self.pid: int | None = None
        self._copier = threading.Thread(target=self._copy_logs, name=f"logs-{name}", daemon=True)
        self._removed = False

    def start(self) -> "ContainerProcess":
        """Follow its log and wait until it is ready; stopped, then a one-line HarnessError, if it is not."""
        try:
            self._copier.start()
            self._wait_ready()
            self.pid = main_pid(self.container.top(), self.command)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not self.spec.ready(self.url):
            if not self.running() or time.monotonic() > deadline:
                self._copier.join(1)
                log = self.spec.log.read_text(errors="replace") if self.spec.log.exists() else ""
                raise HarnessError(f"{self.spec.label} in container {self.name} did not become ready: "
                                   f"{last_line(log)}")
            time.sleep(0.1)

    def _copy_logs(self) -> None:
        with self.spec.log.open("ab") as out:
            for chunk in self.container.logs(stream=True, follow=True):
                out.write(chunk)
                out.flush()

    def running(self) -> bool:
        if self._removed:
            return False
        self.container.reload()
        return self.container.status == "running"

    def kill(self) -> None:
        """docker kill: SIGKILL to the container's main process, which takes the pool's children with it."""
        if not self._removed:
            self.container.kill()

    def stop(self) -> None:
        """docker stop with the spec's grace; the kept files copied to their host paths; the container removed."""
        if self._removed:
            return
        try:
            self.container.stop(timeout=math.ceil(self.spec.stop_grace_s))
            if self._copier.is_alive():
                self._copier.join(5)
            for here, inside in inside_paths(self.spec).items():
                copy_out(self.container, inside, here)
        finally:
            self.container.remove(force=True)
            self._removed = True
