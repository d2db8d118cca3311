"""Server faults by name (restart, kill, pause, drop), applied to a stack's node and timestamped."""
from __future__ import annotations

import time
from dataclasses import dataclass

from harness.errors import HarnessError
from harness.stacks.base import Node

METHODS = {
    "restart": "graceful stop (SIGTERM), down for down_s, then start again on the same port and data",
    "kill": "SIGKILL, down for down_s, then start again on the same port and data",
    "pause": "SIGSTOP for pause_s seconds, then SIGCONT",
    "drop": "close every client connection without a restart (Redis CLIENT KILL, rabbitmqctl close_all_connections)",
}


@dataclass(frozen=True)
class Fault:
    """What happens to a server, and after how many completed tasks."""

    method: str
    after_tasks: int = 100
    pause_s: float = 10.0
    down_s: float = 0.0

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise HarnessError(f"unknown fault '{self.method}' (known: {', '.join(METHODS)})")

    def apply(self, node: Node) -> dict:
        """Do it to one server of a stack; wall-clock start and end (the server answers again at the end)."""
        started = time.time()
        if self.method in ("restart", "kill"):
            node.restart(kill=self.method == "kill", down_s=self.down_s)
        elif self.method == "pause":
            node.pause(self.pause_s)
        else:
            node.drop_clients()
        return {"method": self.method, "server": node.name, "started_at": round(started, 3),
                "finished_at": round(time.time(), 3)}
