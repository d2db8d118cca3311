"""The task ledger: one row per task execution in the cell database, counted exactly per dispatch-id prefix."""
from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
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


class TaskLog:
    """The file ledger of tasks that write no row (a user's own tasks, by name): the JSON lines ledger/tasklog.py
    appends as each task finishes, read for one burst's dispatch ids."""

    def __init__(self, path: Path, tasks: set[str]) -> None:
        self.path, self.tasks = path, tasks

    def entries(self, prefix: str) -> list[dict]:
        if not self.path.exists():
            return []
        lines = self.path.read_text().splitlines()
        found = (json.loads(line) for line in lines if line.endswith("}"))  # a line being written is left out
        return [entry for entry in found if entry["task"] in self.tasks and str(entry["id"]).startswith(prefix + "-")]

    def counts(self, prefix: str) -> LedgerCounts:
        done = self.entries(prefix)
        return LedgerCounts(len(done), len({e["id"] for e in done}), 0, len({e["pid"] for e in done}),
                            sum(1 for e in done if e["error"]), min((e["started"] or e["finished"] for e in done),
                                                                    default=None),
                            max((e["finished"] for e in done), default=None))

    def rows(self, prefix: str) -> list[LedgerRow]:
        return [LedgerRow(entry["task"].rsplit(".", 1)[-1], int(entry["id"].rsplit("-", 1)[1]),
                          entry["started"] or entry["finished"], entry["finished"], None, entry["error"])
                for entry in self.entries(prefix)]

    def errors(self, prefix: str) -> dict[str, int]:
        """How many executions failed with each error ('Class: message', as the ledger writes it)."""
        return dict(Counter(row.error for row in self.rows(prefix) if row.error))


def burst_counts(conn: psycopg.Connection, prefix: str, task_log: TaskLog | None) -> LedgerCounts:
    """A burst's counts from the ledger, and from the file ledger where the burst sends tasks of a project
    (backend pids: the ledger's only)."""
    counts = [ledger_counts(conn, prefix), *([task_log.counts(prefix)] if task_log else [])]
    starts = [c.first_start for c in counts if c.first_start is not None]
    finishes = [c.last_finish for c in counts if c.last_finish is not None]
    return LedgerCounts(sum(c.executions for c in counts), sum(c.distinct_tasks for c in counts),
                        sum(c.distinct_backend_pids for c in counts), max(c.distinct_worker_pids for c in counts),
                        sum(c.errors for c in counts), min(starts, default=None), max(finishes, default=None))


def burst_rows(conn: psycopg.Connection, prefix: str, task_log: TaskLog | None) -> list[LedgerRow]:
    rows = ledger_rows(conn, prefix) + (task_log.rows(prefix) if task_log else [])
    return sorted(rows, key=lambda row: row.finished)


def burst_errors(conn: psycopg.Connection, prefix: str, task_log: TaskLog | None) -> dict[str, int]:
    return {**ledger_errors(conn, prefix), **(task_log.errors(prefix) if task_log else {})}
