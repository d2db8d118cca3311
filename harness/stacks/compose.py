"""The Compose stack: the servers of compose/compose.yaml in one Compose project, faults and pids via the docker SDK."""
from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
import time
from urllib.parse import quote

import psycopg

from harness.errors import HarnessError, last_line
from harness.matrix import build_args
from harness.paths import REPO_ROOT
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
REDIS_DROP = [["redis-cli", "CLIENT", "KILL", "TYPE", kind] for kind in ("normal", "pubsub")]
DROP_COMMANDS = {"redis": REDIS_DROP, "redis-aof": REDIS_DROP,
                 "rabbitmq": [["rabbitmqctl", "close_all_connections", "dropped by the harness"]]}
RABBIT_USER = "repro"
HEALTHY_TIMEOUT_S = 120
BUILD_TIMEOUT_S = 1800  # a cold image: the Python base image and every pin from PyPI
CELL_IMAGE = "REPRO_CELL_IMAGE"  # the image of compose.yaml's worker and web services
IN_NETWORK_PORTS = {"postgres": 5432, "redis": 6379, "redis-aof": 6379, "rabbitmq": 5672}
CONTAINER_APP = "/app"  # django_project/ in the image
CONTAINER_PARENT_LOG = "/tmp/parent_checks.jsonl"


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
    if shutil.which("docker") is None or subprocess.run(["docker", "compose", "version"],
                                                        capture_output=True).returncode != 0:
        raise HarnessError("the Docker engine answers but `docker compose` (the Compose v2 plugin) is missing")
    return client


def pool_pids(top: dict) -> tuple[int, list[int]]:
    """(main pid, pool children pids) of the celery worker in a `docker top` answer; host pids, for psutil."""
    column = {title: index for index, title in enumerate(top["Titles"])}
    rows = [(int(row[column["PID"]]), int(row[column["PPID"]]), row[column["CMD"]]) for row in top["Processes"]]
    celery = {pid: ppid for pid, ppid, command in rows if "celery" in command and "worker" in command}
    mains = [pid for pid, ppid in celery.items() if ppid not in celery]
    if len(mains) != 1:
        raise HarnessError(f"expected one celery worker main process in the container, found {len(mains)}")
    return mains[0], sorted(pid for pid, ppid in celery.items() if ppid == mains[0])


def image_name(args: dict[str, str]) -> str:
    """The cell image for these build arguments, tagged by their hash: cells with the same pins share it."""
    digest = hashlib.sha256(json.dumps(args, sort_keys=True).encode()).hexdigest()[:16]
    return f"celery-repro-cell:celery{args['CELERY_VERSION']}-py{args['PYTHON_VERSION']}-{digest}"


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

    def variables(self) -> dict[str, str]:
        """What compose.yaml interpolates: the passwords and the host ports of this project."""
        return {**self.passwords, **{PORT_VARIABLES[name]: str(port) for name, port in self.ports.items()}}

    def __enter__(self) -> "ComposeStack":
        self.client = self.client or docker_client()
        started = time.monotonic()
        try:
            self.compose("up", "--detach", "--wait", "--wait-timeout", str(HEALTHY_TIMEOUT_S), *self.services)
        except BaseException:
            self.__exit__()
            raise
        self.start_s = round(time.monotonic() - started, 3)
        return self

    def __exit__(self, *exc) -> None:
        self.compose("down", "--volumes", "--remove-orphans", "--timeout", "10")

    def compose(self, *args: str, env: dict[str, str] | None = None, timeout: float = HEALTHY_TIMEOUT_S + 60) -> str:
        command = ["docker", "compose", "--file", str(COMPOSE_FILE), "--project-name", self.project, *args]
        done = subprocess.run(command, capture_output=True, text=True,
                              env={**os.environ, **self.variables(), **(env or {})}, timeout=timeout)
        if done.returncode != 0:
            raise HarnessError(f"docker compose {args[0]} failed: {last_line(done.stderr)}")
        return done.stdout

    def container(self, service: str):
        labels = [f"com.docker.compose.project={self.project}", f"com.docker.compose.service={service}"]
        found = self.client.containers.list(all=True, filters={"label": labels})
        if not found:
            raise HarnessError(f"no container for service '{service}' in compose project {self.project}")
        return found[0]

    def exec(self, service: str, command: list[str]) -> str:
        code, output = self.container(service).exec_run(command)
        if code != 0:
            raise HarnessError(f"{' '.join(command[:2])} failed in {service}: "
                               f"{last_line(output.decode(errors='replace'))}")
        return output.decode(errors="replace")

    def wait_healthy(self, service: str) -> None:
        deadline = time.monotonic() + HEALTHY_TIMEOUT_S
        while time.monotonic() < deadline:
            container = self.container(service)
            if container.attrs.get("State", {}).get("Health", {}).get("Status") == "healthy":
                return
            time.sleep(0.2)
        raise HarnessError(f"{service} did not become healthy within {HEALTHY_TIMEOUT_S} s")

    def inject(self, service: str, fault) -> dict:
        """Restart, kill, pause or drop one server container (harness.faults.Fault); its wall-clock start and end."""
        started, container = time.time(), self.container(service)
        if fault.method in ("restart", "kill"):
            if fault.method == "kill":
                container.kill()
            else:
                container.stop(timeout=30)
            time.sleep(fault.down_s)
            container.start()
        elif fault.method == "pause":
            container.pause()
            try:
                time.sleep(fault.pause_s)
            finally:
                container.unpause()
        else:
            for command in DROP_COMMANDS[service]:
                self.exec(service, command)
        self.wait_healthy(service)
        return {"method": fault.method, "server": service, "started_at": round(started, 3),
                "finished_at": round(time.time(), 3)}

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

    def in_network(self, url: str) -> str:
        """A URL this stack handed out, aimed at the service's name and port inside the Compose network instead of
        its published loopback port."""
        for service, port in IN_NETWORK_PORTS.items():
            url = url.replace(f"@127.0.0.1:{self.ports[service]}/", f"@{service}:{port}/")
        return url

    def cell_environment(self, variables: dict[str, str]) -> dict[str, str]:
        """A cell's REPRO_* environment as its containers see it: servers by service name, the image's paths."""
        return {**variables, "REPRO_DATABASE_URL": self.in_network(variables["REPRO_DATABASE_URL"]),
                "REPRO_BROKER_URL": self.in_network(variables["REPRO_BROKER_URL"]),
                "REPRO_PARENT_LOG": CONTAINER_PARENT_LOG, "PYTHONPATH": CONTAINER_APP}

    def cell_image(self, env) -> str:
        """compose/Dockerfile built with a cell's Python and pins (harness.matrix.build_args), once per run."""
        args = build_args(".".join(env.python_version.split(".")[:2]), env.pins)
        image = image_name(args)
        if image not in self.images:
            self.compose("build", *[f"--build-arg={key}={value}" for key, value in args.items()], "worker",
                         env={CELL_IMAGE: image}, timeout=BUILD_TIMEOUT_S)
            self.images.add(image)
        return image

    def run_cell(self, service: str, project, name: str, command: list[str], publish: bool = False):
        """A detached one-off container of compose.yaml's `service` with the cell's image and environment (passed
        by name, so no password is on a command line) and, if `publish`, the service's loopback port."""
        image, variables = self.cell_image(project.env), self.cell_environment(project.variables)
        ports = ["--service-ports"] if publish else []
        self.compose("run", "--detach", "--no-deps", "--no-TTY", f"--name={name}", *ports,
                     *[f"--env={key}" for key in variables], service, *command, env={**variables, CELL_IMAGE: image})
        return self.client.containers.get(name)

    def worker(self, project, name: str):
        from harness.stacks.compose_cell import ComposeWorker

        return ComposeWorker(self, project, name)

    def web(self, project, workers: int):
        from harness.stacks.compose_cell import ComposeWeb

        return ComposeWeb(self, project, workers)

    def worker_pids(self, service: str = "worker") -> tuple[int, list[int]]:
        """Host pids of the worker container's celery main process and its pool children (not container stats)."""
        return pool_pids(self.container(service).top())
