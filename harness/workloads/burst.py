"""The burst workload: a worker, N tasks dispatched at once (or phase by phase in steps until decided), the drain
waited for in the ledger, a settle period, and a cold stop once every task ran exactly once."""
from __future__ import annotations

import time
from dataclasses import dataclass, replace

from harness.cellrun import CellRun
from harness.errors import HarnessError
from harness.harness_conn import probe_connection
from harness.ledger import TaskLog, burst_counts, burst_errors, burst_rows, wait_for_drain
from harness.sequential import SequentialStop, side
from harness.sut.worker import Worker
from harness.workloads.base import Workload

DRAIN_S_PER_TASK = 0.1  # the drain timeout grows with the burst beyond the workload's floor
HARNESS_SESSIONS = 1  # the ledger connection the burst opens to the cell database


@dataclass(frozen=True)
class Burst(Workload):
    """Dispatch `count` tasks named `task` (then `count` of each task in `then`, or with `interleave` in rounds of
    one of each) at once, then wait for the drain."""

    task: str
    count: int
    drain_timeout_s: float = 120.0
    then: tuple[str, ...] = ()
    baseline_s: float = 0.0  # sampled with the worker idle before dispatch
    settle_s: float = 0.5  # sampled after the drain, before the worker stops
    interleave: bool = False  # task, then..., task, then...: each `then` task runs right after a `task`
    log_markers: tuple[tuple[str, str], ...] = ()  # (summary name, text): worker log lines containing the text
    stop: SequentialStop | None = None  # end each task's phase early once its estimate is decided (not with --tasks)
    task_args: str = "[]"  # `task`'s arguments as JSON (a list, or an object of keyword arguments)

    kind = "burst"

    def __post_init__(self) -> None:
        if self.stop is not None and self.interleave:
            raise HarnessError("a Burst stops sequentially phase by phase: `stop` and `interleave` do not combine")

    @property
    def tasks(self) -> list[str]:
        return [self.task, *self.then]

    def describe(self) -> str:
        if self.interleave:
            return f"{self.count} rounds of " + ", ".join(self.tasks)
        return " then ".join(f"{self.count} x {task}" for task in self.tasks)

    def params(self) -> dict:
        return {"drain_timeout_s": self.drain_timeout_s, "baseline_s": self.baseline_s, "settle_s": self.settle_s,
                "interleave": self.interleave, "log_markers": dict(self.log_markers),
                **({"stop": self.stop.params()} if self.stop else {}),
                **({"task_args": self.task_args} if self.own_tasks else {})}

    @property
    def own_tasks(self) -> set[str]:
        """Tasks of a user's project: they write no ledger row, the file ledger counts them."""
        return {task for task in self.tasks if not task.startswith("ledger.")}

    def with_task(self, task: str, args: str) -> "Burst":
        """The same burst sending a project's own task, with these arguments, in place of `task`."""
        return replace(self, task=task, task_args=args)

    def server(self, run: CellRun) -> Worker:
        if self.own_tasks:
            run.task_log = TaskLog(run.project.note_finished_tasks(), self.own_tasks)
        return Worker(run.stack, run.project, run.worker_name)

    def _dispatch(self, run: CellRun, tasks: list[str], count: int, start: int = 0) -> dict:
        return run.project.dispatch(tasks, count, run.prefix, start, self.interleave, (self.task, self.task_args))

    def run(self, run: CellRun) -> None:
        """Baseline, dispatch the burst (with `stop`, in steps with a look after each), wait until the ledger (or the
        worker's log) shows every task, settle; the worker may then stop cold."""
        worker = run.server
        with probe_connection(run.dsn) as ledger:
            time.sleep(self.baseline_s)
            run.mark("dispatch")
            if self.stop is None or run.fixed_count:
                dispatch = self._dispatch(run, self.tasks, run.count)
                drained = self._drain(run, ledger, dispatch["count"], dispatch["count"])
            else:
                dispatch, drained = self._run_sequentially(run, ledger)
            run.mark("drained")
            read_ledger(run, ledger, dispatch, drained, self.settle_s)
        run.mark("settled")
        run.data["tasks_reported"] = worker.tasks_reported(run.prefix)
        run.summary["worker_alive_at_end"] = worker.alive()
        if drained and run.summary["tasks_duplicated"] == 0:  # every task ran once: nothing left to finish
            worker.may_stop_cold()

    def _drain(self, run: CellRun, ledger, total: int, planned: int) -> bool:
        """Wait until `total` tasks of the burst ran (progress shown against `planned`); a worker that exits (an
        unrecoverable error) runs nothing more: stop waiting, not drained."""
        worker, timeout = run.server, max(self.drain_timeout_s, total * DRAIN_S_PER_TASK)
        finished = lambda: worker.tasks_reported(run.prefix) >= total  # noqa: E731
        drained = wait_for_drain(ledger, run.prefix, total, timeout, lambda: finished() or not worker.alive(),
                                 lambda done: run.progress("tasks", done, planned))
        return drained and (worker.alive() or finished() or
                            burst_counts(ledger, run.prefix, run.task_log).distinct_tasks >= total)

    def _run_sequentially(self, run: CellRun, ledger) -> tuple[dict, bool]:
        """Each task's phase in steps, looking after each step, until the estimate is decided or the count is
        reached; the tasks each phase took and the rule are recorded."""
        stop, sent, dispatches, phases = self.stop, 0, [], {}
        planned, level = run.count * len(self.tasks), stop.level(run.count)
        drained = True
        for task in self.tasks:
            phase_start, decided = sent, None
            for look in stop.looks(run.count):
                dispatches.append(self._dispatch(run, [task], look - (sent - phase_start), sent))
                sent = phase_start + look
                drained = self._drain(run, ledger, sent, planned)
                interval = stop.estimate(run, burst_rows(ledger, run.prefix, run.task_log), task, level) \
                    if drained else None
                decided = side(*interval, stop.threshold) if interval else None
                if decided or not drained:
                    break
            phases[task.rsplit(".", 1)[-1]] = {"tasks": sent - phase_start, "decided": decided}
            if not drained:
                break
        run.data["interval_level"] = level
        run.summary.update(phase_tasks={name: phase["tasks"] for name, phase in phases.items()},
                           phase_decided={name: phase["decided"] for name, phase in phases.items()},
                           stopping_rule=stop.rule(run.count))
        return merged(dispatches), drained

    def finish(self, run: CellRun) -> None:
        finish_worker(run)
        run.summary.update({name: run.server.log_count(text) for name, text in self.log_markers})

    def progress(self, summary: dict) -> str:
        return burst_progress(summary)


def merged(dispatches: list[dict]) -> dict:
    """Several dispatches of one burst as one: from the first start to the last finish, every count and failure."""
    failed = [index for dispatch in dispatches for index in dispatch["publish_failed"]]
    sending = sum(dispatch.get("sending_s", dispatch["dispatch_finished"] - dispatch["dispatch_started"])
                  for dispatch in dispatches)
    return {"dispatch_started": dispatches[0]["dispatch_started"], "sending_s": sending,
            "dispatch_finished": dispatches[-1]["dispatch_finished"],
            "count": sum(dispatch["count"] for dispatch in dispatches), "publish_failed": failed,
            "publish_error": next((d["publish_error"] for d in reversed(dispatches) if d["publish_error"]), "")}


def read_ledger(run: CellRun, ledger, dispatch: dict, drained: bool, settle_s: float) -> None:
    """After the settle period: the burst's ledger counts, errors and rows, and its summary numbers."""
    time.sleep(settle_s)
    counts = burst_counts(ledger, run.prefix, run.task_log)
    run.data.update(dispatch=dispatch, rows=burst_rows(ledger, run.prefix, run.task_log), unit="task",
                    errors=burst_errors(ledger, run.prefix, run.task_log), units_done=counts.distinct_tasks,
                    harness_sessions=HARNESS_SESSIONS)
    sending = dispatch.get("sending_s", dispatch["dispatch_finished"] - dispatch["dispatch_started"])
    run.timings["dispatch_s"] = round(sending, 3)  # publishing only (several dispatches: their sum)
    run.summary.update(summarize(counts, dispatch, drained, run.data["errors"]))


def summarize(counts, dispatch: dict, drained: bool, errors: dict[str, int]) -> dict:
    """The ledger's numbers of a burst, each with its unit in its name."""
    count, executed = dispatch["count"], counts.distinct_tasks
    wall = (counts.last_finish - dispatch["dispatch_started"]) if counts.last_finish else None
    return {"tasks_dispatched": count, "drained": drained, "tasks_executed": executed,
            "tasks_lost": count - executed, "tasks_duplicated": counts.executions - executed,
            "task_errors": counts.errors, "task_errors_by_class": errors_by_class(errors),
            "distinct_backend_pids": counts.distinct_backend_pids, "distinct_worker_pids": counts.distinct_worker_pids,
            "burst_wall_s": round(wall, 3) if wall else None, "tasks_per_s": round(executed / wall, 1) if wall else None}


def errors_by_class(errors: dict[str, int]) -> dict[str, int]:
    """Ledger error messages folded into their exception class names."""
    classes: dict[str, int] = {}
    for message, count in errors.items():
        name = message.split(":", 1)[0]
        classes[name] = classes.get(name, 0) + count
    return classes


def finish_worker(run: CellRun) -> None:
    """What the stopped worker's log says: errors (by exception class) and tasks killed at the hard time limit."""
    worker = run.server
    run.summary.update(worker_log_errors=worker.log_errors(), worker_log_errors_by_class=worker.log_errors_by_class(),
                       tasks_timed_out=worker.time_limits_hit())


def burst_progress(summary: dict) -> str:
    return (f"{summary['tasks_executed']}/{summary['tasks_dispatched']} tasks"
            f"{'' if summary['drained'] else ' (not drained)'}, {summary['task_errors']} failed, "
            f"{summary.get('sessions_opened', '-')} sessions, {summary['burst_wall_s']}s")
