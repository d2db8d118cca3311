"""consumer_timeout: RabbitMQ closing the channel under tasks that hold their delivery too long.

In production: since RabbitMQ 3.8.15 a delivery that is not acknowledged within `consumer_timeout`
(30 min by default from 3.8.17) closes the consumer's channel with PRECONDITION_FAILED. With
`task_acks_late` a task that runs longer than that never gets to ack: the claims (celery #6760,
#6954) are that the task is redelivered and runs again, or that the worker stops consuming; quorum
queues (Celery 5.5, #9207) are sometimes named as the way out.

Each cell sets consumer_timeout to a few seconds on the harness's own RabbitMQ (and the channel's
check to once a second), then sends tasks that run longer than that, followed by short ones, to a
prefork worker with concurrency 2; it counts executions per task, the channel closures the worker
logged, and whether the short tasks behind them ever ran.
"""
from __future__ import annotations

from harness.applicability import acks_late, broker
from harness.compare import cell_line
from harness.scenario import BROKEN, FIXED, Cell, Claim, Scenario
from harness.workloads import Burst

LONG, SHORT = "touch_db_slowly", "touch_db"
TIMEOUT_S, TASK_S = 4, 10
SETTINGS = {"conn_max_age": 60, "pool": "prefork", "concurrency": 2, "broker": "rabbitmq",
            "rabbitmq_consumer_timeout_s": TIMEOUT_S, "task_sleep_s": float(TASK_S),
            "celery": {"task_acks_late": True, "worker_prefetch_multiplier": 1}}
ACKS_LATE = Claim(BROKEN, "celery #6760, #6954: with acks_late a task longer than consumer_timeout ends in a "
                          "channel error, and is run again or never finished")
EARLY_ACK = {"task_acks_late": False, "worker_prefetch_multiplier": 1}


def derive(summary: dict, data: dict) -> dict:
    """How many of the short tasks ran, and the executions per long task."""
    rows, count = data["rows"], summary.get("tasks_dispatched", 0) // 2
    long_runs = [row for row in rows if row.task == LONG]
    return {"short_tasks_run": len({row.index for row in rows if row.task == SHORT}), "short_tasks": count,
            "long_task_executions": len(long_runs), "long_tasks_run": len({row.index for row in long_runs}),
            "tasks_not_run_once": summary.get("tasks_lost", 0) + summary.get("tasks_duplicated", 0)}


def verdict(summary: dict) -> str:
    """Broken when a task ran twice or never, fixed when every task ran exactly once."""
    return BROKEN if summary.get("tasks_not_run_once") else FIXED


def _numbers(record: dict) -> str:
    s = record["summary"]
    return (f"{record['cell']['name']}: {s['timeout_crashes']} unrecoverable channel closure, "
            f"{s['long_task_executions']} executions of {s['tasks_dispatched'] // 2} long tasks, "
            f"{s['short_tasks_run']}/{s['short_tasks']} short tasks ran, {s['tasks_lost']} never ran, worker "
            f"{'alive' if s['worker_alive_at_end'] else 'gone'} at the end")


def _line(records: list[dict], cell: str, sentence: str, holds) -> str:
    """`holds(summary)` says whether the sentence is true of the cell's measurement."""
    return cell_line(records, cell, sentence, lambda record: holds(record["summary"]), _numbers)


def _stops(summary: dict) -> bool:
    return not summary["worker_alive_at_end"] or summary["short_tasks_run"] < summary["short_tasks"]


def assess(records: list[dict]) -> list[str]:
    return [
        _line(records, "5.5.3 acks_late", "celery #6760: with acks_late, a task longer than consumer_timeout "
              "stops the worker consuming", _stops),
        _line(records, "5.5.3 acks_late", "with acks_late, the task is redelivered and runs twice",
              lambda s: s["tasks_duplicated"] > 0),
        _line(records, "5.7.0 acks_late", "the newest release still stops consuming", _stops),
        _line(records, "5.5.3 acks_late quorum", "quorum queues (Celery 5.5, #9207) avoid it",
              lambda s: not _stops(s)),
        _line(records, "5.5.3 early ack", "without acks_late the timeout does not hit (tasks are acknowledged as "
              "they start)", lambda s: not _stops(s)),
    ]


def applies(project: dict) -> str | None:
    """Late acks on RabbitMQ: a task longer than consumer_timeout closes the channel."""
    return "task_acks_late on RabbitMQ" if broker(project) == "amqp" and acks_late(project) else None


SCENARIO = Scenario(
    name="consumer_timeout",
    applies=applies,
    title="RabbitMQ's consumer_timeout under tasks longer than it",
    claim="celery #6760, #6954: with task_acks_late, a task that runs longer than RabbitMQ's consumer_timeout "
          "(3.8.15+) ends in a channel error; it runs twice, or the worker stops consuming.",
    services=("postgres", "rabbitmq"),
    settings=SETTINGS,
    workload=Burst(task=f"ledger.tasks.{LONG}", count=4, then=(f"ledger.tasks.{SHORT}",), settle_s=TASK_S + 2,
                   drain_timeout_s=60, log_markers=(("timeout_crashes", "Unrecoverable error: PreconditionFailed"),)),
    cells=(
        Cell("5.4.0 acks_late", "5.4.0", ACKS_LATE),
        Cell("5.5.3 acks_late", "5.5.3", ACKS_LATE),
        Cell("5.5.3 acks_late quorum", "5.5.3", Claim(FIXED, "the claim that quorum queues with native delayed "
             "delivery (Celery 5.5, #9207) avoid consumer_timeout"),
             settings={"celery": {**SETTINGS["celery"], "task_default_queue_type": "quorum"}}),
        Cell("5.7.0 acks_late", "5.7.0", ACKS_LATE),
        Cell("5.5.3 early ack", "5.5.3", Claim(FIXED, "Celery docs: a task is acknowledged when it is received "
             "unless acks_late is set"), settings={"celery": EARLY_ACK}),
    ),
    metrics=("tasks_not_run_once", "tasks_duplicated", "tasks_lost", "timeout_crashes", "long_task_executions",
             "short_tasks_run",
             "drained", "worker_alive_at_end"),
    verdict_rule="broken if a task ran twice or never ran, fixed if every task ran exactly once",
    verdict=verdict,
    headline="tasks_not_run_once",
    derive=derive,
    assess=assess,
)
