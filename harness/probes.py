"""What is measured on Postgres: sessions, backends by state on a timeline, and the task ledger."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, NamedTuple

import psycopg

from harness.errors import HarnessError
from harness.sampling import PeriodicSampling

PROBE_APP = "celery-repro-probe"
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


def probe_connection(dsn: str) -> psycopg.Connection:
    """An autocommit connection tagged so that the probes never count themselves."""
    return psycopg.connect(dsn, autocommit=True, application_name=PROBE_APP)


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


LEDGER_SQL = """
SELECT count(*), count(DISTINCT dispatch_id), count(DISTINCT backend_pid), count(DISTINCT worker_pid),
       count(*) FILTER (WHERE error <> ''), min(started), max(finished)
FROM ledger_execution WHERE dispatch_id LIKE %s
"""


@dataclass(frozen=True)
class LedgerCounts:
    """Exact counts from the ledger for one burst's dispatch ids."""

    executions: int
    distinct_tasks: int
    distinct_backend_pids: int
    distinct_worker_pids: int
    errors: int
    first_start: float | None
    last_finish: float | None


def ledger_counts(conn: psycopg.Connection, prefix: str) -> LedgerCounts:
    return LedgerCounts(*conn.execute(LEDGER_SQL, (prefix + "-%",)).fetchone())


def wait_for_drain(conn: psycopg.Connection, prefix: str, count: int, timeout_s: float,
                   done_elsewhere: Callable[[], bool] | None = None) -> bool:
    """Poll the ledger (one cheap count) until every dispatched task has run once, or `done_elsewhere` says
    all finished (a worker whose ledger writes were rolled back still logs its tasks); False on timeout."""
    deadline, polls = time.monotonic() + timeout_s, 0
    query = "SELECT count(DISTINCT dispatch_id) FROM ledger_execution WHERE dispatch_id LIKE %s"
    while time.monotonic() < deadline:
        if conn.execute(query, (prefix + "-%",)).fetchone()[0] >= count:
            return True
        polls += 1
        if done_elsewhere and polls % 10 == 0 and done_elsewhere():
            return True
        time.sleep(0.05)
    return False


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


def ledger_errors(conn: psycopg.Connection, prefix: str) -> dict[str, int]:
    """How many executions of one burst failed with each error message ('Class: message' on one line)."""
    rows = conn.execute("SELECT error, count(*) FROM ledger_execution WHERE dispatch_id LIKE %s AND error <> '' "
                        "GROUP BY error ORDER BY count(*) DESC", (prefix + "-%",)).fetchall()
    return {error: count for error, count in rows}


class LedgerRow(NamedTuple):
    """One execution of one task of a burst."""

    task: str
    index: int  # the number in its dispatch id
    started: float
    finished: float
    gc_objects: int | None


def ledger_rows(conn: psycopg.Connection, prefix: str) -> list[LedgerRow]:
    """Every execution of one burst, in finishing order."""
    rows = conn.execute("SELECT task, dispatch_id, started, finished, gc_objects FROM ledger_execution "
                        "WHERE dispatch_id LIKE %s ORDER BY finished", (prefix + "-%",)).fetchall()
    return [LedgerRow(task, int(dispatch_id.rsplit("-", 1)[1]), started, finished, gc)
            for task, dispatch_id, started, finished, gc in rows]
