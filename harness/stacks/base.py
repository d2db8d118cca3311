"""What every stack (local processes or Docker Compose) offers a scenario run: servers as nodes, and processes."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol

LISTEN = "{listen}"  # in ProcessSpec.args: replaced by the host:port the stack has the process listen on


def listening_at(args: tuple[str, ...], address: str | None) -> list[str]:
    """`args` with LISTEN replaced by `address` ("host:port"); unchanged for a process that serves no port."""
    return [arg.replace(LISTEN, address) for arg in args] if address else list(args)


class Node(Protocol):
    """One server of a stack; every fault (harness.faults) is made of these methods."""

    name: str

    def restart(self, kill: bool = False, down_s: float = 0.0) -> None:
        """Stop (gracefully, or SIGKILL), stay down `down_s`, start again with the same port and data; returns once
        the server answers again."""

    def pause(self, seconds: float) -> None:
        """Freeze the server for `seconds`, then let it run on."""

    def drop_clients(self) -> None:
        """Close every client connection without a restart."""


class RabbitNode(Node, Protocol):
    """The RabbitMQ server of a stack, which also takes rabbitmqctl commands."""

    def rabbitmqctl(self, *args: str) -> str:
        """Run rabbitmqctl against this node; its output."""


@dataclass(frozen=True)
class ProcessSpec:
    """An application process of a cell, as a local virtualenv and a container image both can run it."""

    label: str  # in messages: "celery worker (5.5.3)"
    args: tuple[str, ...]  # the interpreter's arguments: ("-m", "celery", ...); LISTEN where it binds
    environment: dict[str, str]
    app_dir: Path  # the application's directory (its working directory; /app in the image)
    log: Path  # stdout and stderr, appended; its stem names the process's container
    ready: Callable[[str | None], bool]  # called with the handle's url (None: no port) until it says True
    python: Path  # the cell virtualenv's interpreter
    python_version: str  # "3.11.9": the image's Python
    pins: dict[str, str]  # what the virtualenv has installed: the image's pins
    port: int | None = None  # the port it listens on in a container, published on a loopback port
    stop_grace_s: float = 10.0  # between SIGTERM to the main process and SIGKILL
    copy_out: tuple[Path, ...] = ()  # files the process writes (their paths are in `environment`), kept after stop


class ProcessHandle(Protocol):
    """A started ProcessSpec."""

    pid: int | None  # the host pid of its main process
    url: str | None  # http://127.0.0.1:PORT when the spec has a port

    def running(self) -> bool:
        """Whether the main process still runs."""

    def stop(self) -> None:
        """SIGTERM to the main process, `stop_grace_s`, then SIGKILL to what is left; its copy_out files in place."""

    def kill(self) -> None:
        """SIGKILL to the process and all of its children at once, as the OOM killer or a lost node does."""


class Stack(Protocol):
    """Servers up and healthy for the whole run; cells isolated by database, Redis db or vhost."""

    kind: str
    start_s: float

    def versions(self) -> dict[str, str]:
        """Server name -> version string."""

    def admin_dsn(self) -> str:
        """A DSN to the 'postgres' maintenance database, for probes."""

    def create_database(self, name: str, template: str = "template1") -> str:
        """Create a fresh database (a copy of `template`) and return its DSN."""

    def broker_url(self, broker: str, index: int) -> str:
        """A broker URL private to cell number `index` ('redis', 'redis-aof' or 'rabbitmq')."""

    def installed(self, python_version: str, pins: dict[str, str]) -> dict[str, str] | None:
        """Package -> version as a cell's processes run with them here, when that is not the cell's own virtualenv
        (None: it is)."""

    def node(self, service: str) -> Node:
        """One server of the stack, for faults."""

    def log_size(self, service: str) -> int:
        """A mark in one server's log; log_since(service, mark) returns what it logged after it."""

    def log_since(self, service: str, mark: int) -> str:
        """What one server logged after `mark`."""

    def start_process(self, spec: ProcessSpec) -> ProcessHandle:
        """Start a cell's application process and wait until `spec.ready`; a one-line HarnessError (the process
        stopped) if it exits or times out first."""
