"""The parent-checks probe: whether the worker parent's own Django connection still worked (fork scenarios)."""
from __future__ import annotations

from contextlib import contextmanager

from harness.cellrun import CellRun
from harness.probes.base import Probe


def summarize_parent(checks: list[dict]) -> dict:
    """Failed checks, and whether the check after the burst worked (None: the cell's parent holds no connection)."""
    if not checks:
        return {}
    last = checks[-1]
    return {"parent_checks_failed": sum(1 for check in checks if not check["ok"]),
            "parent_conn_ok_after_burst": bool(last["ok"]) if last["event"] == "worker_shutdown" else None}


class ParentChecksProbe(Probe):
    """Reads the checks the worker parent logged at worker_init, worker_ready and worker_shutdown (hooks setting
    parent_conn), once the worker has stopped."""

    name = "parent_checks"

    @contextmanager
    def measure(self, run: CellRun):
        yield
        checks = run.project.parent_checks()
        run.data["parent_checks"] = checks
        run.summary.update(summarize_parent(checks))
