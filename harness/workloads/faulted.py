"""The faulted burst: half a burst, a fault on the broker while the rest is published, a bounded wait after."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from harness.cellrun import CellRun
from harness.errors import HarnessError
from harness.faults import Fault
from harness.ledger import wait_for_drain
from harness.harness_conn import probe_connection
from harness.workloads.base import Workload
from harness.workloads.burst import Burst, merged, read_ledger


@dataclass(frozen=True)
class FaultedBurst(Burst):
    """A Burst with `fault` applied to the broker node once `fault.after_tasks` tasks are done."""

    fault: Fault = Fault("restart")

    kind = "faulted_burst"
    panels = ("completions",)

    def __post_init__(self) -> None:
        if self.then or self.stop:
            raise HarnessError("FaultedBurst runs one burst of one task name; `then` and `stop` are for Burst")

    def with_task(self, task: str, args: str) -> "FaultedBurst":
        return Workload.with_task(self, task, args)  # its two dispatches and drain know the ledger's tasks only

    def describe(self) -> str:
        return f"{super().describe()}, broker {self.fault.method} after {self.fault.after_tasks} tasks"

    def params(self) -> dict:
        fault = {"fault": self.fault.method, "after_tasks": self.fault.after_tasks, "pause_s": self.fault.pause_s,
                 "down_s": self.fault.down_s}
        return {**super().params(), **fault}

    def run(self, run: CellRun) -> None:
        first, node = run.count // 2, run.stack.node(run.settings.harness.broker)
        with probe_connection(run.dsn) as ledger:
            time.sleep(self.baseline_s)
            run.mark("dispatch")
            early = run.project.dispatch([self.task], first, run.prefix)
            reached = wait_for_drain(ledger, run.prefix, min(self.fault.after_tasks, first), self.drain_timeout_s)
            with ThreadPoolExecutor(1) as pool:
                later = pool.submit(run.project.dispatch, [self.task], run.count - first, run.prefix, first)
                fault = {**self.fault.apply(node), "after_tasks_reached": reached}
                late = later.result()
            dispatch = merge_dispatches(early, late, run.count, first)
            drained = wait_for_drain(ledger, run.prefix, dispatch["count"], self.drain_timeout_s,
                                     seen=lambda done: run.progress("tasks", done, dispatch["count"]))
            run.mark("drained")
            read_ledger(run, ledger, dispatch, drained, self.settle_s)
        run.mark("settled")
        run.data.update(fault=fault, queue_depth_end=run.project.queue_depth(),
                        completions=[round(row.finished, 3) for row in run.data["rows"]])
        run.summary["worker_alive_at_end"] = run.server.alive()


def merge_dispatches(early: dict, late: dict, count: int, first: int) -> dict:
    """One dispatch record for the two halves: what was published, and from which index during the fault."""
    both = merged([early, late])
    return {**both, "count": count - len(both["publish_failed"]), "published_during_fault_from": first}
