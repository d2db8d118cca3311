"""A Compose server container as a node: found by its labels, faulted through the docker SDK, healthy again."""
from __future__ import annotations

import time

from harness.errors import HarnessError, last_line

HEALTHY_TIMEOUT_S = 120
STOP_TIMEOUT_S = 30
REDIS_DROP = [["redis-cli", "CLIENT", "KILL", "TYPE", kind] for kind in ("normal", "pubsub")]
DROP_COMMANDS = {"redis": REDIS_DROP, "redis-aof": REDIS_DROP,
                 "rabbitmq": [["rabbitmqctl", "close_all_connections", "dropped by the harness"]]}


def find_container(client, project: str, service: str):
    """The container of `service` in Compose project `project`, running or not."""
    labels = [f"com.docker.compose.project={project}", f"com.docker.compose.service={service}"]
    found = client.containers.list(all=True, filters={"label": labels})
    if not found:
        raise HarnessError(f"no container for service '{service}' in compose project {project}")
    return found[0]


def exec_in(container, service: str, command: list[str]) -> str:
    """Run `command` in a service's container; its output, or a one-line error."""
    code, output = container.exec_run(command)
    if code != 0:
        raise HarnessError(f"{' '.join(command[:2])} failed in {service}: {last_line(output.decode(errors='replace'))}")
    return output.decode(errors="replace")


class ContainerNode:
    """One server service of a Compose project; every method returns once the container is healthy again."""

    def __init__(self, client, project: str, service: str) -> None:
        self.client, self.project, self.name = client, project, service

    def container(self):
        return find_container(self.client, self.project, self.name)

    def restart(self, kill: bool = False, down_s: float = 0.0) -> None:
        """docker stop (SIGTERM, then SIGKILL after a grace) or docker kill, `down_s` down, docker start."""
        container = self.container()
        if kill:
            container.kill()
        else:
            container.stop(timeout=STOP_TIMEOUT_S)
        time.sleep(down_s)
        container.start()
        self.wait_healthy()

    def pause(self, seconds: float) -> None:
        """docker pause (the cgroup freezer) for `seconds`, then docker unpause."""
        container = self.container()
        container.pause()
        try:
            time.sleep(seconds)
        finally:
            container.unpause()
        self.wait_healthy()

    def drop_clients(self) -> None:
        """The server's own command for closing client connections, run in its container."""
        if self.name not in DROP_COMMANDS:
            raise HarnessError(f"no way to drop the clients of '{self.name}' (known: {', '.join(DROP_COMMANDS)})")
        container = self.container()
        for command in DROP_COMMANDS[self.name]:
            exec_in(container, self.name, command)
        self.wait_healthy()

    def rabbitmqctl(self, *args: str) -> str:
        """rabbitmqctl in the RabbitMQ container; its output, or a one-line error."""
        if self.name != "rabbitmq":
            raise HarnessError(f"rabbitmqctl runs against the rabbitmq service, not '{self.name}'")
        return exec_in(self.container(), self.name, ["rabbitmqctl", *args])

    def wait_healthy(self) -> None:
        deadline = time.monotonic() + HEALTHY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.container().attrs.get("State", {}).get("Health", {}).get("Status") == "healthy":
                return
            time.sleep(0.2)
        raise HarnessError(f"{self.name} did not become healthy within {HEALTHY_TIMEOUT_S} s")
