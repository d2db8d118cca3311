"""Broker faults any scenario can inject, by name: restart, kill, pause, drop; each one timestamped."""
from __future__ import annotations

import time
from dataclasses import dataclass

from harness.errors import HarnessError

METHODS = {
    "restart": "graceful stop (SIGTERM), down for down_s, then start again on the same port and data",
    "kill": "SIGKILL, down for down_s, then start again on the same port and data",
    "pause": "SIGSTOP for pause_s seconds, then SIGCONT",
    "drop": "close every client connection without a restart (Redis CLIENT KILL, rabbitmqctl close_all_connections)",
}


@dataclass(frozen=True)
class Fault:
    """What happens to the broker, and after how many completed tasks."""

    method: str
    after_tasks: int = 100
    pause_s: float = 10.0
    down_s: float = 0.0

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise HarnessError(f"unknown fault '{self.method}' (known: {', '.join(METHODS)})")

    @classmethod
    def from_settings(cls, settings: dict) -> "Fault":
        """The fault a cell's settings name (FAULT, FAULT_AFTER_TASKS, PAUSE_S, DOWN_S)."""
        given = {"after_tasks": settings.get("FAULT_AFTER_TASKS"), "pause_s": settings.get("PAUSE_S"),
                 "down_s": settings.get("DOWN_S")}
        return cls(settings["FAULT"], **{key: value for key, value in given.items() if value is not None})


def inject(server, fault: Fault) -> dict:
    """Do it to one server of the stack; wall-clock start and end (the broker answers again at the end)."""
    started = time.time()
    if fault.method in ("restart", "kill"):
        server.restart(kill=fault.method == "kill", down_s=fault.down_s)
    elif fault.method == "pause":
        server.pause(fault.pause_s)
    else:
        server.drop_clients()
    return {"method": fault.method, "server": server.name, "started_at": round(started, 3),
            "finished_at": round(time.time(), 3)}
