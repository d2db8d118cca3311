"""The Postgres probe: sessions opened, backends by state on a 10 Hz timeline, connections refused."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from contextlib import contextmanager

import psycopg

from harness.cellrun import CellRun
from harness.errors import HarnessError
from harness.harness_conn import PROBE_APP, probe_connection
from harness.pglimits import too_many_connections
from harness.probes.base import Probe, sampling_info
from harness.sampling import PeriodicSampling

STATES = ("active", "idle", "idle in transaction", "idle in transaction (aborted)")

ACTIVITY_SQL = """
SELECT (SELECT sessions FROM pg_stat_database WHERE datname = %(db)s),
       count(*),
       count(*) FILTER (WHERE state = 'active'),
       count(*) FILTER (WHERE state = 'idle'),
       count(*) FILTER (WHERE state LIKE 'idle in transaction%%'),
       coalesce(max(extract(epoch FROM now() - xact_start))
                FILTER (WHERE state LIKE 'idle in transaction%%'), 0),
       (SELECT count(*) FROM pg_locks l JOIN pg_stat_activity i ON i.pid = l.pid
        WHERE i.datname = %(db)s AND i.state LIKE 'idle in transaction%%' AND l.granted
          AND l.locktype IN ('relation', 'tuple', 'transactionid')),
       count(*) FILTER (WHERE wait_event_type = 'Lock')
FROM pg_stat_activity
WHERE datname = %(db)s AND backend_type = 'client backend' AND application_name <> %(probe)s
"""
COLUMNS = ("sessions", "backends", "active", "idle", "idle_in_transaction", "idle_in_transaction_age_s",
           "locks_held_idle_in_transaction", "waiting_on_lock")


def sessions_total(conn: psycopg.Connection, db: str) -> int:
    """pg_stat_database.sessions for one database (sessions ever opened; Postgres 14+)."""
    row = conn.execute("SELECT sessions FROM pg_stat_database WHERE datname = %s", (db,)).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def wait_for_no_backends(conn: psycopg.Connection, db: str, timeout_s: float = 10.0) -> None:
    """Wait until no client backend of the database is left, so that its session stats are flushed."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND "
                           "backend_type = 'client backend' AND application_name <> %s", (db, PROBE_APP)).fetchone()
        if row[0] == 0:
            return
        time.sleep(0.05)
    raise HarnessError(f"backends of database {db} still open {timeout_s:.0f}s after the worker stopped")


@dataclass
class ActivitySampler(PeriodicSampling):
    """Samples sessions and backends by state of one database on a background thread."""

    dsn: str
    db: str
    hz: float = 10.0
    series: dict[str, list[float]] = field(default_factory=lambda: {"t": [], **{c: [] for c in COLUMNS}})
    cpu_s: float = 0.0
    wall_s: float = 0.0

    def __enter__(self) -> "ActivitySampler":
        self._conn = probe_connection(self.dsn)
        self.start_sampling("pg-sampler")
        return self

    def __exit__(self, *exc) -> None:
        self.stop_sampling()
        self._conn.close()

    def sample(self) -> None:
        row = self._conn.execute(ACTIVITY_SQL, {"db": self.db, "probe": PROBE_APP}).fetchone()
        self.series["t"].append(round(time.monotonic() - self._t0, 3))
        for column, value in zip(COLUMNS, row):
            self.series[column].append(round(float(value or 0), 3))

    def peak(self, column: str) -> float:
        return max(self.series[column], default=0)


def settled_sessions(conn: psycopg.Connection, db: str, quiet_s: float = 0.15, timeout_s: float = 5.0) -> int:
    """pg_stat_database.sessions once no backend is left and the counter has stopped moving."""
    wait_for_no_backends(conn, db)
    deadline = time.monotonic() + timeout_s
    last = sessions_total(conn, db)
    while time.monotonic() < deadline:
        time.sleep(quiet_s)
        now = sessions_total(conn, db)
        if now == last:
            return now
        last = now
    return last


class PostgresProbe(Probe):
    """Sessions the cell opened (pg_stat_database.sessions, settled, before the process under load starts and
    after it stopped, less the workload's own), backends by state at 10 Hz, connections refused in the log."""

    name = "postgres"

    def __init__(self, panel: str = "sessions", hz: float = 10.0) -> None:
        self.panel, self.hz = panel, hz

    @contextmanager
    def measure(self, run: CellRun):
        log_mark = run.stack.log_size("postgres")
        with probe_connection(run.stack.admin_dsn()) as admin:
            before = settled_sessions(admin, run.db, quiet_s=0.0)  # a fresh database nobody has the DSN of yet
            with ActivitySampler(run.stack.admin_dsn(), run.db, hz=self.hz) as sampler:
                yield
            after = settled_sessions(admin, run.db)
        opened = after - before - run.data.get("harness_sessions", 0)
        unit, done = run.data.get("unit", "task"), run.data.get("units_done", 0)
        run.summary.update({"sessions_opened": opened, f"sessions_per_{unit}": round(opened / max(done, 1), 4),
                            "peak_backends": int(sampler.peak("backends")),
                            "too_many_connections": too_many_connections(run.stack.log_since("postgres", log_mark))})
        run.data["phases"] = {phase: sampler.at(at) for phase, at in run.marks.items()}
        run.series[self.name], run.probes[self.name] = sampler.series, sampling_info(sampler)
