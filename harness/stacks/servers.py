"""The throwaway Postgres, Redis and RabbitMQ servers of the local stack, loopback only."""
from __future__ import annotations

import re
import signal
import subprocess
from pathlib import Path

from harness import binaries
from harness.stacks.health import postgres_ready, redis_ready
from harness.stacks.process import ManagedProcess, chown_to_service_user, free_port, service_user_prefix

REDIS_DATABASES = 64


class PostgresServer:
    """A Postgres cluster initialised in a temp dir and run as the unprivileged 'postgres' user."""

    name = "postgres"

    def __init__(self, root: Path, max_connections: int = 200) -> None:
        self.dir = root / self.name
        self.port = free_port()
        self.max_connections = max_connections
        self.process: ManagedProcess | None = None

    def dsn(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def start(self) -> None:
        if self.process is None:
            self._initdb()
            self.process = ManagedProcess(self.name, self._command(), self.port,
                                          lambda: postgres_ready(self.dsn()), self.dir / "server.log",
                                          stop_signal=signal.SIGINT)
        self.process.start()

    def stop(self) -> None:
        if self.process is not None:
            self.process.close()

    def version(self) -> str:
        out = subprocess.run([binaries.find("postgres"), "--version"], capture_output=True, text=True).stdout
        match = re.search(r"\(PostgreSQL\) (\S+)", out)
        return match.group(1) if match else "unknown"

    def _initdb(self) -> None:
        (self.dir / "sock").mkdir(parents=True, exist_ok=True)
        chown_to_service_user(self.dir)
        command = [*service_user_prefix(), str(binaries.find("initdb")), "-D", str(self.dir / "data"),
                   "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise_last_line("initdb failed", done.stderr)

    def _command(self) -> list[str]:
        settings = {
            "listen_addresses": "127.0.0.1", "port": self.port, "unix_socket_directories": self.dir / "sock",
            "max_connections": self.max_connections, "fsync": "off", "synchronous_commit": "off",
            "full_page_writes": "off", "log_connections": "on", "track_activities": "on",
        }
        flags = [item for key, value in settings.items() for item in ("-c", f"{key}={value}")]
        return [*service_user_prefix(), str(binaries.find("postgres")), "-D", str(self.dir / "data"), *flags]


class RedisServer:
    """A Redis server without persistence (or with an fsync'd append-only file) on its own port."""

    name = "redis"

    def __init__(self, root: Path, appendonly: bool = False) -> None:
        self.dir = root / self.name
        self.port = free_port()
        self.appendonly = appendonly
        self.process: ManagedProcess | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        if self.process is None:
            self.dir.mkdir(parents=True, exist_ok=True)
            self.process = ManagedProcess(self.name, self._command(), self.port,
                                          lambda: redis_ready(self.port), self.dir / "server.log")
        self.process.start()

    def stop(self) -> None:
        if self.process is not None:
            self.process.close()

    def version(self) -> str:
        out = subprocess.run([binaries.find("redis-server"), "--version"], capture_output=True, text=True).stdout
        match = re.search(r"v=(\S+)", out)
        return match.group(1) if match else "unknown"

    def _command(self) -> list[str]:
        persistence = ["--appendonly", "yes", "--appendfsync", "always"] if self.appendonly else ["--appendonly", "no"]
        return [str(binaries.find("redis-server")), "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--dir", str(self.dir), "--databases", str(REDIS_DATABASES),
                "--daemonize", "no", *persistence]


def raise_last_line(what: str, output: str) -> None:
    """Raise a HarnessError carrying the last non-empty line of a tool's output."""
    from harness.errors import HarnessError

    lines = [line for line in output.strip().splitlines() if line.strip()]
    raise HarnessError(f"{what}: {lines[-1] if lines else 'no output'}")
