"""The throwaway Postgres and Redis servers of the local stack, loopback only."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

from harness import binaries
from harness.errors import HarnessError, last_line
from harness.stacks.health import postgres_ready, redis_kill_clients, redis_ready
from harness.stacks.process import ManagedProcess, chown_to_service_user, free_port, service_user_prefix

REDIS_DATABASES = 64


class Server:
    """A server process of ours: prepared once, started until its protocol answers, stopped by pid."""

    name = "server"
    stop_signal = signal.SIGTERM

    def __init__(self, root: Path) -> None:
        self.dir = root / self.name
        self.port = free_port()
        self.process: ManagedProcess | None = None

    def start(self) -> None:
        if self.process is None:
            self.dir.mkdir(parents=True, exist_ok=True)
            self.prepare()
            self.process = ManagedProcess(self.name, self.command(), self.port, self.ready,
                                          self.dir / "server.log", env=self.env(), stop_signal=self.stop_signal)
        self.process.start()

    def stop(self) -> None:
        if self.process is not None:
            self.process.close()

    def restart(self, kill: bool = False, down_s: float = 0.0) -> None:
        """Stop (gracefully, or SIGKILL), stay down `down_s`, start again on the same port and data directory."""
        self.process.stop(signal.SIGKILL if kill else None)
        time.sleep(down_s)
        self.process.start()

    def pause(self, seconds: float) -> None:
        """Freeze the server (SIGSTOP) for `seconds`, then let it run on (SIGCONT)."""
        os.kill(self.process.pid, signal.SIGSTOP)
        try:
            time.sleep(seconds)
        finally:
            os.kill(self.process.pid, signal.SIGCONT)

    def drop_clients(self) -> None:
        """Close every client connection without restarting."""
        raise NotImplementedError

    def prepare(self) -> None:
        """One-time setup before the first start (data directories, config files)."""

    def command(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        """Environment variables the server process needs beyond ours."""
        return {}

    def ready(self) -> bool:
        raise NotImplementedError


class PostgresServer(Server):
    """A Postgres cluster initialised in a temp dir and run as the unprivileged 'postgres' user."""

    name = "postgres"
    stop_signal = signal.SIGINT  # fast shutdown; SIGTERM waits for every client to leave

    def __init__(self, root: Path, max_connections: int = 200) -> None:
        super().__init__(root)
        self.max_connections = max_connections

    def dsn(self, dbname: str = "postgres") -> str:
        """The harness's own connections never use SSL; a cell chooses its sslmode in Django's OPTIONS."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}?sslmode=disable"

    def ready(self) -> bool:
        return postgres_ready(self.dsn())

    def version(self) -> str:
        out = subprocess.run([binaries.find("postgres"), "--version"], capture_output=True, text=True).stdout
        match = re.search(r"\(PostgreSQL\) (\S+)", out)
        return match.group(1) if match else "unknown"

    def prepare(self) -> None:
        (self.dir / "sock").mkdir(exist_ok=True)
        chown_to_service_user(self.dir)
        command = [*service_user_prefix(), str(binaries.find("initdb")), "-D", str(self.dir / "data"),
                   "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise HarnessError(f"initdb failed: {last_line(done.stderr)}")
        with (self.dir / "data" / "postgresql.conf").open("a") as conf:  # ALTER SYSTEM can override it per cell
            conf.write(f"\nmax_connections = {self.max_connections}\n")
        self._make_certificate()

    def _make_certificate(self) -> None:
        """A self-signed certificate so that cells can connect with sslmode=require."""
        data = self.dir / "data"
        command = [*service_user_prefix(), str(binaries.find("openssl")), "req", "-x509", "-newkey", "ec", "-pkeyopt",
                   "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                   "-keyout", str(data / "server.key"), "-out", str(data / "server.crt")]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise HarnessError(f"openssl could not make the Postgres certificate: {last_line(done.stderr)}")
        (data / "server.key").chmod(0o600)

    def command(self) -> list[str]:
        settings = {
            "listen_addresses": "127.0.0.1", "port": self.port, "unix_socket_directories": self.dir / "sock",
            "fsync": "off", "synchronous_commit": "off",
            "full_page_writes": "off", "log_connections": "on", "track_activities": "on",
            "ssl": "on", "ssl_cert_file": "server.crt", "ssl_key_file": "server.key",
        }
        flags = [item for key, value in settings.items() for item in ("-c", f"{key}={value}")]
        return [*service_user_prefix(), str(binaries.find("postgres")), "-D", str(self.dir / "data"), *flags]


class RedisServer(Server):
    """A Redis server without persistence on its own port."""

    name = "redis"
    persistence = ("--appendonly", "no")

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def ready(self) -> bool:
        return redis_ready(self.port)

    def version(self) -> str:
        out = subprocess.run([binaries.find("redis-server"), "--version"], capture_output=True, text=True).stdout
        match = re.search(r"v=(\S+)", out)
        return match.group(1) if match else "unknown"

    def drop_clients(self) -> None:
        redis_kill_clients(self.port)

    def command(self) -> list[str]:
        return [str(binaries.find("redis-server")), "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", *self.persistence, "--dir", str(self.dir), "--databases", str(REDIS_DATABASES),
                "--daemonize", "no"]


class RedisAofServer(RedisServer):
    """A Redis server that appends every write to its log and fsyncs it: queued messages survive a kill."""

    name = "redis-aof"
    persistence = ("--appendonly", "yes", "--appendfsync", "always")
