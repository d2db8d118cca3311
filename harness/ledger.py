"""The task ledger: one row per task execution in the cell database, counted exactly per dispatch-id prefix."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, NamedTuple

import psycopg

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
                   done_elsewhere: Callable[[], bool] | None = None,
                   seen: Callable[[int], None] = lambda done: None) -> bool:
    """Poll the ledger (one cheap count) until every dispatched task has run once, or `done_elsewhere` says
    all finished (a worker whose ledger writes were rolled back still logs its tasks); False on timeout. `seen`
    hears each count."""
    deadline, polls = time.monotonic() + timeout_s, 0
    query = "SELECT count(DISTINCT dispatch_id) FROM ledger_execution WHERE dispatch_id LIKE %s"
    while time.monotonic() < deadline:
        done = conn.execute(query, (prefix + "-%",)).fetchone()[0]
        seen(done)
        if done >= count:
            return True
        polls += 1
        if done_elsewhere and polls % 10 == 0 and done_elsewhere():
            return True
        time.sleep(0.05)
    return False


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
    error: str = ""  # 'Class: message' when the execution failed


def ledger_rows(conn: psycopg.Connection, prefix: str) -> list[LedgerRow]:
    """Every execution of one burst, in finishing order."""
    rows = conn.execute("SELECT task, dispatch_id, started, finished, gc_objects, error FROM ledger_execution "
                        "WHERE dispatch_id LIKE %s ORDER BY finished", (prefix + "-%",)).fetchall()
    return [LedgerRow(task, int(dispatch_id.rsplit("-", 1)[1]), started, finished, gc, error)
            for task, dispatch_id, started, finished, gc, error in rows]
