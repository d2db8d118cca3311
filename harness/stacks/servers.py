"""The throwaway Postgres and Redis servers of the local stack, loopback only."""
from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

from harness import binaries
from harness.errors import HarnessError, last_line
from harness.stacks.health import postgres_ready, redis_kill_clients, redis_ready
from harness.stacks.process import ManagedProcess, free_port
from harness.stacks.service_user import as_service_user, give_to_service_user

REDIS_DATABASES = 64


def new_password() -> str:
    """A server's password for one run; never on a command line, in a log or in a result file."""
    return secrets.token_urlsafe(24)


class Server:
    """A server process of ours: prepared once, started until its protocol answers, stopped by pid."""

    name = "server"
    stop_signal = signal.SIGTERM

    def __init__(self, root: Path) -> None:
        self.dir = root / self.name
        self.port = free_port()
        self.password = new_password()
        self.process: ManagedProcess | None = None

    def start(self) -> None:
        if self.process is None:
            self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            self.prepare()
            self.process = ManagedProcess(self.name, self.command(), self.port, self.ready, self.dir / "server.log",
                                          env=self.env(), stop_signal=self.stop_signal, cwd=str(self.dir))
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
    """A Postgres cluster initialised in a private temp dir, scram passwords only, run as an unprivileged user of
    its own (harness.stacks.service_user)."""

    name = "postgres"
    stop_signal = signal.SIGINT  # fast shutdown; SIGTERM waits for every client to leave

    def __init__(self, root: Path, max_connections: int = 200) -> None:
        super().__init__(root)
        self.max_connections = max_connections

    def dsn(self, dbname: str = "postgres") -> str:
        """The harness's own connections never use SSL; a cell chooses its sslmode in Django's OPTIONS."""
        password = quote(self.password, safe="")
        return f"postgresql://postgres:{password}@127.0.0.1:{self.port}/{dbname}?sslmode=disable"

    def ready(self) -> bool:
        return postgres_ready(self.dsn())

    def version(self) -> str:
        out = subprocess.run([binaries.find("postgres"), "--version"], capture_output=True, text=True).stdout
        match = re.search(r"\(PostgreSQL\) (\S+)", out)
        return match.group(1) if match else "unknown"

    def prepare(self) -> None:
        (self.dir / "sock").mkdir(mode=0o700, exist_ok=True)
        password_file = self.dir / "password"
        password_file.touch(mode=0o600)
        password_file.write_text(self.password)
        give_to_service_user(self.dir)
        command = [*as_service_user(), str(binaries.find("initdb")), "-D", str(self.dir / "data"),
                   "-A", "scram-sha-256", f"--pwfile={password_file}", "-U", "postgres", "-E", "UTF8",
                   "--locale=C", "--no-sync"]
        try:
            done = subprocess.run(command, capture_output=True, text=True)
        finally:
            password_file.unlink()
        if done.returncode != 0:
            raise HarnessError(f"initdb failed: {last_line(done.stderr)}")
        with (self.dir / "data" / "postgresql.conf").open("a") as conf:  # ALTER SYSTEM can override it per cell
            conf.write(f"\nmax_connections = {self.max_connections}\n")
        self._make_certificate()

    def _make_certificate(self) -> None:
        """A self-signed certificate so that cells can connect with sslmode=require."""
        data = self.dir / "data"
        command = [*as_service_user(), str(binaries.find("openssl")), "req", "-x509", "-newkey", "ec", "-pkeyopt",
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
        return [*as_service_user(), str(binaries.find("postgres")), "-D", str(self.dir / "data"), *flags]


class RedisServer(Server):
    """A Redis server without persistence on its own port."""

    name = "redis"
    persistence = ("--appendonly", "no")

    def url(self, db: int = 0) -> str:
        return f"redis://:{quote(self.password, safe='')}@127.0.0.1:{self.port}/{db}"

    def ready(self) -> bool:
        return redis_ready(self.port, self.password)

    def version(self) -> str:
        out = subprocess.run([binaries.find("redis-server"), "--version"], capture_output=True, text=True).stdout
        match = re.search(r"v=(\S+)", out)
        return match.group(1) if match else "unknown"

    def drop_clients(self) -> None:
        redis_kill_clients(self.port, self.password)

    def prepare(self) -> None:
        """The password goes in a config file only we can read, not on the command line."""
        config = self.dir / "redis.conf"
        config.touch(mode=0o600)
        # set-proc-title no: Redis would overwrite its environment, and with it the run's mark for the reaper
        config.write_text(f"requirepass {self.password}\nset-proc-title no\n")

    def command(self) -> list[str]:
        return [str(binaries.find("redis-server")), str(self.dir / "redis.conf"), "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", *self.persistence, "--dir", str(self.dir), "--databases", str(REDIS_DATABASES),
                "--daemonize", "no"]


class RedisAofServer(RedisServer):
    """A Redis server that appends every write to its log and fsyncs it: queued messages survive a kill."""

    name = "redis-aof"
    persistence = ("--appendonly", "yes", "--appendfsync", "always")
