"""The lost-worker workload: tasks started, the whole worker SIGKILLed, a new worker watched for redeliveries."""
from __future__ import annotations

import time
from dataclasses import dataclass
from statistics import median

from harness.cellrun import CellRun
from harness.harness_conn import probe_connection
from harness.ledger import ledger_rows, wait_for_drain
from harness.sut.worker import Worker
from harness.workloads.base import Workload
from harness.workloads.burst import burst_progress, finish_worker, read_ledger

START_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class LostWorker(Workload):
    """Dispatch `count` tasks named `task` (which write their ledger row when they start); once every pool slot
    runs one, SIGKILL the worker and its children, start a new worker, and watch it for `observe_s` seconds for
    the killed tasks to run again."""

    task: str
    count: int
    observe_s: float = 150.0
    settle_s: float = 0.5

    kind = "lost_worker"
    panels = ("completions",)

    @property
    def tasks(self) -> list[str]:
        return [self.task]

    def describe(self) -> str:
        return (f"{self.count} x {self.task}, the worker SIGKILLed once every pool slot runs one, a new worker "
                f"watched for {self.observe_s:g}s")

    def params(self) -> dict:
        return {"observe_s": self.observe_s, "settle_s": self.settle_s}

    def server(self, run: CellRun) -> Worker:
        return Worker(run.stack, run.project, run.worker_name)

    def run(self, run: CellRun) -> None:
        busy = min(run.settings.worker.concurrency, run.count)
        with probe_connection(run.dsn) as ledger:
            run.mark("dispatch")
            dispatch = run.project.dispatch([self.task], run.count, run.prefix)
            started = wait_for_drain(ledger, run.prefix, busy, START_TIMEOUT_S)
            killed = {row.index for row in ledger_rows(ledger, run.prefix)}
            killed_at = time.time()
            run.server.kill()
            run.mark("killed")
            with Worker(run.stack, run.project, f"{run.worker_name}-new") as replacement:
                replaced_at = time.time()
                drained = wait_for_rows(ledger, run.prefix, run.count + len(killed), self.observe_s)
                run.mark("drained")
                read_ledger(run, ledger, dispatch, drained, self.settle_s)
                run.summary["worker_alive_at_end"] = replacement.alive()
                run.data["tasks_reported"] = replacement.tasks_reported(run.prefix)
            run.mark("settled")
        run.server = replacement  # the finish step reads the new worker's log (the killed one's stays in logs/)
        fault = {"method": "kill_worker", "server": "celery worker", "started_at": round(killed_at, 3),
                 "finished_at": round(replaced_at, 3)}
        run.data.update(fault=fault, completions=[round(row.finished, 3) for row in run.data["rows"]])
        run.summary.update(redeliveries(run.data["rows"], killed, killed_at, replaced_at), all_slots_busy=started)

    def finish(self, run: CellRun) -> None:
        finish_worker(run)

    def progress(self, summary: dict) -> str:
        delay = summary["redelivery_delay_max_s"]
        again = f"last after {delay}s" if delay is not None else "none within the watch"
        return (f"{summary['killed_tasks']} killed, {summary['redelivered_tasks']} run again ({again}); "
                + burst_progress(summary))


def wait_for_rows(ledger, prefix: str, rows: int, timeout_s: float) -> bool:
    """Wait until the burst has `rows` executions in the ledger (each killed task once more), or the timeout."""
    deadline = time.monotonic() + timeout_s
    query = "SELECT count(*) FROM ledger_execution WHERE dispatch_id LIKE %s"
    while time.monotonic() < deadline:
        if ledger.execute(query, (prefix + "-%",)).fetchone()[0] >= rows:
            return True
        time.sleep(0.2)
    return False


def redeliveries(rows: list, killed: set[int], killed_at: float, replaced_at: float) -> dict:
    """How many of the tasks running at the kill ran again, and how long after the kill each did."""
    again = {}
    for row in sorted(rows, key=lambda r: r.started):
        if row.index in killed and row.started > killed_at and row.index not in again:
            again[row.index] = row.started - killed_at
    delays = sorted(again.values())
    return {"killed_tasks": len(killed), "redelivered_tasks": len(again),
            "replacement_start_s": round(replaced_at - killed_at, 3),
            "redelivery_delay_min_s": round(delays[0], 1) if delays else None,
            "redelivery_delay_median_s": round(median(delays), 1) if delays else None,
            "redelivery_delay_max_s": round(delays[-1], 1) if delays else None}
