"""Running a cell's workload against its worker: a plain burst, or one with a broker fault in the middle."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from harness.faults import Fault
from harness.probes import ledger_counts, ledger_errors, ledger_rows, probe_connection, wait_for_drain
from harness.scenario import Burst
from harness.sut import DjangoProject, Worker

DRAIN_S_PER_TASK = 0.1  # the drain timeout grows with the burst beyond the workload's floor


def run_burst(project: DjangoProject, workload: Burst, count: int, prefix: str, dsn: str,
              worker: Worker | None = None) -> dict:
    """Baseline, dispatch the burst, wait until the ledger (or the worker's log) shows every task, settle."""
    total = count * len(workload.tasks)
    with probe_connection(dsn) as ledger:
        time.sleep(workload.baseline_s)
        marks = {"dispatch": time.monotonic()}
        dispatch = project.dispatch(workload.tasks, count, prefix)
        reported = (lambda: worker.tasks_reported(prefix) >= total) if worker else None
        drained = wait_for_drain(ledger, prefix, total, max(workload.drain_timeout_s, total * DRAIN_S_PER_TASK),
                                 reported)
        marks["drained"] = time.monotonic()
        burst = _finish(ledger, prefix, dispatch, drained, workload.settle_s)
    reported_count = worker.tasks_reported(prefix) if worker else None
    return {**burst, "marks": {**marks, "settled": time.monotonic()}, "tasks_reported": reported_count}


def run_faulted_burst(project: DjangoProject, stack, workload: Burst, count: int, prefix: str, dsn: str,
                      settings: dict) -> dict:
    """Half the burst, the fault once `after_tasks` are done (the other half published meanwhile), then a
    bounded wait for whatever still arrives (late redelivery included)."""
    fault, first = Fault.from_settings(settings), count // 2
    with probe_connection(dsn) as ledger:
        early = project.dispatch([workload.task], first, prefix)
        triggered = wait_for_drain(ledger, prefix, min(fault.after_tasks, first), workload.drain_timeout_s)
        with ThreadPoolExecutor(1) as pool:
            later = pool.submit(project.dispatch, [workload.task], count - first, prefix, first)
            fault_record = {**stack.inject(settings["broker"], fault), "after_tasks_reached": triggered}
            late = later.result()
        dispatch = _merge(early, late, count, first)
        drained = wait_for_drain(ledger, prefix, dispatch["count"], workload.drain_timeout_s)
        burst = _finish(ledger, prefix, dispatch, drained, workload.settle_s)
    return {**burst, "fault": fault_record, "queue_depth_end": project.queue_depth()}


def _merge(early: dict, late: dict, count: int, first: int) -> dict:
    """One dispatch record for the two halves: what was published, and from which index during the fault."""
    failed = early["publish_failed"] + late["publish_failed"]
    return {"dispatch_started": early["dispatch_started"], "dispatch_finished": late["dispatch_finished"],
            "count": count - len(failed), "publish_failed": failed, "published_during_fault_from": first,
            "publish_error": late["publish_error"] or early["publish_error"]}


def _finish(ledger, prefix: str, dispatch: dict, drained: bool, settle_s: float) -> dict:
    time.sleep(settle_s)
    counts, errors, rows = ledger_counts(ledger, prefix), ledger_errors(ledger, prefix), ledger_rows(ledger, prefix)
    return {"dispatch": dispatch, "counts": counts, "drained": drained, "errors": errors, "rows": rows,
            "timings": {"dispatch_s": round(dispatch["dispatch_finished"] - dispatch["dispatch_started"], 3)}}
