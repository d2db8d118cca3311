"""The local stack: the harness's own Postgres, Redis and RabbitMQ processes on free loopback ports."""
from __future__ import annotations

import os
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg

from harness.errors import HarnessError
from harness.paths import check_free_space
from harness.reaper import TEMP_PREFIX, leftovers
from harness.stacks.base import ProcessSpec
from harness.stacks.health import redis_flush_db
from harness.stacks.process import LocalProcess
from harness.stacks.rabbitmq import RabbitMQServer
from harness.stacks.servers import PostgresServer, RedisAofServer, RedisServer, REDIS_DATABASES, Server

SERVERS_FREE_MB = 300  # Postgres' cluster and WAL, RabbitMQ's node, logs: about 120 MB, with room to grow
SERVER_CLASSES = {"postgres": PostgresServer, "redis": RedisServer, "redis-aof": RedisAofServer,
                  "rabbitmq": RabbitMQServer}


class LocalStack:
    """Starts the requested servers in parallel, hands out per-cell namespaces, stops them all on exit."""

    kind = "local"

    def __init__(self, services: tuple[str, ...] = ("postgres", "redis", "rabbitmq")) -> None:
        self.services = services
        self.servers: dict = {}
        self.start_s = 0.0

    def __enter__(self) -> "LocalStack":
        check_free_space(Path(tempfile.gettempdir()), SERVERS_FREE_MB, "the local stack's servers (TMPDIR)")
        record = leftovers()
        self.root = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX))
        record.add("dirs", str(self.root))
        os.chmod(self.root, 0o711)  # the Postgres user must pass through to its own dir; nobody may list it
        self.servers = {name: SERVER_CLASSES[name](self.root) for name in self.services}
        started = time.monotonic()
        try:
            with ThreadPoolExecutor(len(self.servers)) as pool:
                for future in [pool.submit(server.start) for server in self.servers.values()]:
                    future.result()
        except BaseException:
            self.__exit__()
            raise
        self.start_s = round(time.monotonic() - started, 3)
        return self

    def installed(self, python_version: str, pins: dict[str, str]) -> None:
        """Cell processes run from the cell's own virtualenv."""
        return None

    def __exit__(self, *exc) -> None:
        failures, interrupted = [], None
        for server in reversed(list(self.servers.values())):
            try:
                server.stop()
            except Exception as error:  # keep stopping the others; report once all are down
                failures.append(f"{server.name}: {error}")
            except BaseException as interrupt:  # a second Ctrl-C or SIGTERM while stopping: stop the rest first
                interrupted = interrupt
        if server_root := getattr(self, "root", None):
            shutil.rmtree(server_root, ignore_errors=True)
            leftovers().discard("dirs", str(server_root))
        if interrupted is not None:
            raise interrupted
        if failures:
            raise HarnessError(f"could not stop cleanly: {'; '.join(failures)}")

    def node(self, service: str) -> Server:
        """One of our servers, for faults."""
        if service not in self.servers:
            raise HarnessError(f"no server '{service}' in this stack (started: {', '.join(self.services)})")
        return self.servers[service]

    def log_size(self, service: str) -> int:
        """Bytes in a server's log so far (a mark to read what it logs from now on)."""
        return self.servers[service].process.log.stat().st_size

    def log_since(self, service: str, mark: int) -> str:
        """What a server logged after `mark` (from log_size)."""
        with self.servers[service].process.log.open("rb") as log:
            log.seek(mark)
            return log.read().decode(errors="replace")

    def versions(self) -> dict[str, str]:
        return {name: server.version() for name, server in self.servers.items()}

    def admin_dsn(self) -> str:
        return self.servers["postgres"].dsn()

    def create_database(self, name: str, template: str = "template1") -> str:
        with psycopg.connect(self.admin_dsn(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.servers["postgres"].dsn(name)

    def broker_url(self, broker: str, index: int) -> str:
        if broker.startswith("redis"):
            db = index % REDIS_DATABASES
            redis_flush_db(self.servers[broker].port, self.servers[broker].password, db)
            return self.servers[broker].url(db)
        rabbit = self.servers["rabbitmq"]
        return rabbit.amqp_url(rabbit.cell_vhost(index))

    def start_process(self, spec: ProcessSpec) -> LocalProcess:
        """The spec run from its virtualenv, in its app directory, on loopback."""
        return LocalProcess(spec).start()
