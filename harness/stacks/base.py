"""What every stack (local processes or Docker Compose) offers a scenario run."""
from __future__ import annotations

from typing import Protocol


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

    def inject(self, service: str, fault) -> dict:
        """Apply a harness.faults.Fault to one server; its wall-clock start and end."""

    def log_size(self, service: str) -> int:
        """A mark in one server's log; log_since(service, mark) returns what it logged after it."""

    def log_since(self, service: str, mark: int) -> str:
        """What one server logged after `mark`."""

    def worker(self, project, name: str):
        """A cell's `celery worker` (context manager) with harness.sut.Worker's interface: `pid`, `alive()`,
        `logfile` and the log counts."""

    def web(self, project, workers: int):
        """A cell's Django under gunicorn with `workers` sync workers (context manager); its `url`."""
