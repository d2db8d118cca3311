"""The Compose stack: compose.yaml's servers in one project, cell processes as one-off containers."""
from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import time
from contextlib import nullcontext
from urllib.parse import quote

import psycopg

from harness.errors import HarnessError, last_line
from harness.paths import REPO_ROOT
from harness.reaper import leftovers
from harness.pglimits import set_max_connections
from harness.stacks.base import ProcessSpec, listening_at
from harness.stacks.containers import HEALTHY_TIMEOUT_S, ContainerNode, exec_in, find_container
from harness.stacks.images import build_args, image_name, minor
from harness.stacks.offline import python_base, server_variables, use_local_images, wheelhouse
from harness.stacks.one_off import ContainerProcess, container_environment, container_name
from harness.stacks.process import free_port
from harness.stacks.servers import REDIS_DATABASES

COMPOSE_FILE = REPO_ROOT / "compose" / "compose.yaml"
PASSWORDS = ("REPRO_POSTGRES_PASSWORD", "REPRO_REDIS_PASSWORD", "REPRO_RABBITMQ_PASSWORD")
PORT_VARIABLES = {"postgres": "REPRO_POSTGRES_PORT", "redis": "REPRO_REDIS_PORT", "redis-aof": "REPRO_REDIS_AOF_PORT",
                  "rabbitmq": "REPRO_RABBITMQ_PORT", "web": "REPRO_WEB_PORT"}
VERSION_COMMANDS = {"postgres": (["postgres", "--version"], r"\(PostgreSQL\) (\S+)"),
                    "redis": (["redis-server", "--version"], r"v=(\S+)"),
                    "redis-aof": (["redis-server", "--version"], r"v=(\S+)"),
                    "rabbitmq": (["rabbitmqctl", "version"], r"(\S+)")}
RABBIT_USER = "repro"
PG_MAX_CONNECTIONS = 200  # the local backend's Postgres has the same
BUILD_TIMEOUT_S = 1800  # a cold image: the Python base image and every pin from PyPI
CELL_IMAGE = "REPRO_CELL_IMAGE"  # the image of compose.yaml's worker and web services
IN_NETWORK_PORTS = {"postgres": 5432, "redis": 6379, "redis-aof": 6379, "rabbitmq": 5672}
SERVING, BACKGROUND = "web", "worker"  # compose.yaml's cell services: one-offs that serve a port, and the others


def docker_client():
    """A docker SDK client whose engine answered a ping, or a one-line HarnessError."""
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    try:
        import docker
    except ImportError:
        raise HarnessError("no Docker engine is reachable: the 'docker' Python package is not installed") from None
    try:
        client = docker.from_env(timeout=5)
        client.ping()
    except Exception as error:
        raise HarnessError(f"no Docker engine is reachable at {host} ({type(error).__name__}): "
                           "--stack compose needs Docker with the compose plugin; use --stack local") from None
    compose_v2()
    return client


def compose_v2() -> str:
    """The version of the `docker compose` plugin, or a one-line HarnessError saying that Compose v2 is needed."""
    done = subprocess.run(["docker", "compose", "version", "--short"], capture_output=True, text=True) \
        if shutil.which("docker") else None
    version = done.stdout.strip().lstrip("v") if done and done.returncode == 0 else ""
    if version.startswith("2"):
        return version
    v1 = shutil.which("docker-compose")
    found = f"{v1} is Compose v1; " if v1 else ""
    raise HarnessError(f"{found}--stack compose needs Compose v2, the `docker compose` plugin (make engine installs "
                       "it)")


class ComposeStack:
    """One Compose project (`-p`) per stack, every published port on 127.0.0.1, random passwords per run."""

    kind = "compose"

    def __init__(self, services: tuple[str, ...] = ("postgres", "redis", "rabbitmq"), project: str | None = None,
                 client=None) -> None:
        self.services, self.client, self.start_s = services, client, 0.0
        self.project = project or f"celery-repro-{os.getpid()}-{secrets.token_hex(3)}"
        self.passwords = {name: os.environ.get(name) or secrets.token_urlsafe(18) for name in PASSWORDS}
        self.ports = {service: free_port() for service in PORT_VARIABLES}
        self.vhosts: set[str] = set()
        self.images: set[str] = set()
        self.freezes: dict[str, dict[str, str]] = {}  # image -> its pip freeze, read once
        self.local_images = False

    def variables(self) -> dict[str, str]:
        """What compose.yaml interpolates: the passwords, the host ports of this project, the local server image."""
        ports = {PORT_VARIABLES[name]: str(port) for name, port in self.ports.items()}
        return {**self.passwords, **ports, **(server_variables() if self.local_images else {})}

    def __enter__(self) -> "ComposeStack":
        self.client = self.client or docker_client()
        self.local_images = use_local_images(self.client)
        started = time.monotonic()
        leftovers().add("compose", self.project)
        try:
            self.compose("up", "--detach", "--wait", "--wait-timeout", str(HEALTHY_TIMEOUT_S), *self.services)
            if "postgres" in self.services:  # as the local server's (ALTER SYSTEM: a cell may change it)
                set_max_connections(self, PG_MAX_CONNECTIONS)
        except BaseException:
            self.__exit__()
            raise
        self.start_s = round(time.monotonic() - started, 3)
        return self

    def __exit__(self, *exc) -> None:
        self.compose("down", "--volumes", "--remove-orphans", "--timeout", "10")
        leftovers().discard("compose", self.project)

    def compose(self, *args: str, env: dict[str, str] | None = None, timeout: float = HEALTHY_TIMEOUT_S + 60) -> str:
        command = ["docker", "compose", "--file", str(COMPOSE_FILE), "--project-name", self.project, *args]
        done = subprocess.run(command, capture_output=True, text=True,
                              env={**os.environ, **self.variables(), **(env or {})}, timeout=timeout)
        if done.returncode != 0:
            raise HarnessError(f"docker compose {args[0]} failed: {last_line(done.stderr)}")
        return done.stdout

    def container(self, service: str):
        return find_container(self.client, self.project, service)

    def exec(self, service: str, command: list[str]) -> str:
        return exec_in(self.container(service), service, command)

    def node(self, service: str) -> ContainerNode:
        """A server container of this project, for faults."""
        if service not in self.services:
            raise HarnessError(f"no server '{service}' in this stack (started: {', '.join(self.services)})")
        return ContainerNode(self.client, self.project, service)

    def log_size(self, service: str) -> int:
        return len(self.container(service).logs())

    def log_since(self, service: str, mark: int) -> str:
        return self.container(service).logs()[mark:].decode(errors="replace")

    def versions(self) -> dict[str, str]:
        found = {}
        for service in self.services:
            command, pattern = VERSION_COMMANDS[service]
            match = re.search(pattern, self.exec(service, command))
            found[service] = match.group(1) if match else "unknown"
        return found

    def dsn(self, dbname: str = "postgres") -> str:
        password = quote(self.passwords["REPRO_POSTGRES_PASSWORD"], safe="")
        return f"postgresql://postgres:{password}@127.0.0.1:{self.ports['postgres']}/{dbname}?sslmode=disable"

    def admin_dsn(self) -> str:
        return self.dsn()

    def create_database(self, name: str, template: str = "template1") -> str:
        with psycopg.connect(self.admin_dsn(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.dsn(name)

    def broker_url(self, broker: str, index: int) -> str:
        if broker.startswith("redis"):
            db = index % REDIS_DATABASES
            self.exec(broker, ["redis-cli", "-n", str(db), "FLUSHDB"])
            password = quote(self.passwords["REPRO_REDIS_PASSWORD"], safe="")
            return f"redis://:{password}@127.0.0.1:{self.ports[broker]}/{db}"
        vhost = f"cell{index}"
        if vhost not in self.vhosts:
            self.exec("rabbitmq", ["rabbitmqctl", "add_vhost", vhost])
            self.exec("rabbitmq", ["rabbitmqctl", "set_permissions", "-p", vhost, RABBIT_USER, ".*", ".*", ".*"])
            self.vhosts.add(vhost)
        password = quote(self.passwords["REPRO_RABBITMQ_PASSWORD"], safe="")
        return f"amqp://{RABBIT_USER}:{password}@127.0.0.1:{self.ports['rabbitmq']}/{vhost}"

    def in_network(self) -> dict[int, str]:
        """Published loopback port -> the same server's "service:port" inside the Compose network."""
        return {self.ports[service]: f"{service}:{port}" for service, port in IN_NETWORK_PORTS.items()}

    def image(self, python_version: str, pins: dict[str, str]) -> str:
        """compose/Dockerfile built with this Python and these pins (harness.stacks.images), once per run; with the
        local images, on this machine's build of that Python and from wheels built here."""
        args = build_args(minor(python_version), pins)
        if self.local_images:
            args["BASE_IMAGE"] = python_base(self.client, minor(python_version))
        image = image_name(args)
        if image not in self.images:
            with wheelhouse(image.rpartition("-")[2], minor(python_version), args) if self.local_images \
                    else nullcontext({}) as wheels:
                self.compose("build", *[f"--build-arg={key}={value}" for key, value in {**args, **wheels}.items()],
                             BACKGROUND, env={CELL_IMAGE: image}, timeout=BUILD_TIMEOUT_S)
            self.images.add(image)
        return image

    def installed(self, python_version: str, pins: dict[str, str]) -> dict[str, str]:
        """The cell image's own `pip freeze` (written when it was built): its pins, and whatever else pip chose."""
        image = self.image(python_version, pins)
        if image not in self.freezes:
            output = self.client.containers.run(image, ["cat", "/pip-freeze.txt"], remove=True,
                                                network_disabled=True)
            lines = (line.split("==", 1) for line in output.decode().splitlines() if "==" in line)
            self.freezes[image] = {name.lower(): version for name, version in lines}
        return self.freezes[image]

    def start_process(self, spec: ProcessSpec) -> ContainerProcess:
        """A detached one-off container of a cell service with the spec's image and environment (passed by name, so
        no password is on a command line); a spec's port is published on a free loopback port."""
        service, host_port = (SERVING, free_port()) if spec.port is not None else (BACKGROUND, None)
        name, image = container_name(self.project, service, spec), self.image(spec.python_version, spec.pins)
        variables = container_environment(spec, self.in_network())
        command = ["python", *listening_at(spec.args, f"0.0.0.0:{spec.port}" if host_port else None)]
        publish = [f"--publish=127.0.0.1:{host_port}:{spec.port}"] if host_port else []
        self.compose("run", "--detach", "--no-deps", "--no-TTY", f"--name={name}", *publish,
                     *[f"--env={key}" for key in variables], service, *command, env={**variables, CELL_IMAGE: image})
        url = f"http://127.0.0.1:{host_port}" if host_port else None
        return ContainerProcess(self.client.containers.get(name), name, spec, " ".join(command), url).start()
