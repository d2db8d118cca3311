"""broker_restart: Redis and RabbitMQ restarted, killed, paused or cut off mid-burst.

In production: after a broker restart the worker logs "Connection to broker lost. Trying to
re-establish the connection...", reconnects, answers ping, and yet may never take another task;
or it recovers but tasks in flight are lost or run twice. Upstream: kombu 5.2.3 to 5.3.x stop
consuming after a Redis reconnect (celery #8030, #8091, #9054; fixed by kombu PR #2007 in
5.4.0rc1); the broker-loss guide recommends heartbeats, connection retries, a pool limit and
`task_acks_late` + `task_reject_on_worker_lost`.

Each cell: 250 `touch_db_slowly` tasks (20 ms each, prefork concurrency 2), the fault once 100
have finished, 250 more published while it happens (publishers retry for about 20 s), then up
to 30 s for whatever still arrives. Restarts and kills keep the broker down for 5 s. The ledger says what ran once, twice or never.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import replace

from harness.applicability import broker
from harness.compare import twins
from harness.faults import Fault
from harness.pages import BROKER_GUIDE
from harness.scenario import BROKEN, FIXED, INCONCLUSIVE, Cell, Claim, Scenario
from harness.settings import flat
from harness.workloads import FaultedBurst

KOMBU_BUG = "upstream: kombu 5.2.3 to 5.3.x stop consuming after a Redis reconnect (#8030, #9054)"
KOMBU_FIX = "upstream: kombu PR #2007 (5.4.0rc1) restores consuming after a Redis reconnect"
LATE_S = 15.0  # executions starting this long after the broker is back count as late redelivery
SETTINGS = {"conn_max_age": 60, "pool": "prefork", "concurrency": 2, "broker": "redis", "task_sleep_s": 0.02,
            "remote_features": True, "celery": {}}
WORKLOAD = FaultedBurst(task="ledger.tasks.touch_db_slowly", count=500, drain_timeout_s=30.0,
                        fault=Fault("restart", after_tasks=100, pause_s=10.0, down_s=5.0))
ACKS_LATE = {"task_acks_late": True, "task_reject_on_worker_lost": True,
             "broker_transport_options": {"visibility_timeout": 10}}


def derive(summary: dict, data: dict) -> dict:
    """Exact ledger counts around the fault, time to the first task that ran after it, queue left over."""
    fault, rows, dispatch = data.get("fault"), data["rows"], data["dispatch"]
    if not fault:
        return {}
    runs = Counter(row.index for row in rows)
    after = [row for row in rows if row.started >= fault["finished_at"]]
    # published while the broker was away or after it came back: running any of them needs a live consumer
    later = [row for row in after if row.index >= dispatch["published_during_fault_from"]]
    first_after = min((row.finished for row in later), default=None)
    depth = data.get("queue_depth_end")
    # consuming again: tasks published during the fault ran, and nothing is left waiting in the queue
    recovered = None if depth is None else bool(later) and depth == 0
    return {
        "tasks_published": dispatch["count"],
        "publish_failed": len(dispatch["publish_failed"]),
        "executed_once": sum(1 for n in runs.values() if n == 1),
        "executed_more_than_once": sum(1 for n in runs.values() if n > 1),
        "never_executed": dispatch["count"] - len(runs),
        "executed_late": sum(1 for row in after if row.started > fault["finished_at"] + LATE_S),
        "fault_s": round(fault["finished_at"] - fault["started_at"], 2),
        "recovery_s": round(first_after - fault["started_at"], 2) if recovered else None,
        "recovered": recovered,
        "queue_depth_end": depth,
    }


def verdict(summary: dict) -> str:
    """Broken when the worker stopped consuming; inconclusive when the broker could not be asked its queue."""
    recovered = summary.get("recovered")
    return INCONCLUSIVE if recovered is None else (FIXED if recovered else BROKEN)


def cell(name: str, release: str, claim: Claim, broker: str = "redis", fault: str = "restart", pins=None,
         optional: bool = False, **settings) -> Cell:
    """A cell with its broker and fault; further keyword arguments are settings (celery={...} for Celery's)."""
    workload = replace(WORKLOAD, fault=replace(WORKLOAD.fault, method=fault))
    return Cell(name, release, claim, pins=pins or {}, settings={"broker": broker, **settings}, workload=workload,
                optional=optional)


def _outcome(record: dict) -> str:
    summary = record["summary"]
    state = "recovered" if summary.get("recovered") else ("worker died" if not summary.get("worker_alive_at_end")
                                                         else "alive but stopped consuming")
    return (f"{record['cell']['name']} (kombu {record['pins'].get('kombu')}): {state}, "
            f"{summary.get('never_executed')} never run, {summary.get('executed_more_than_once')} run twice")


def _redis_restart_line(records: list[dict]) -> str:
    cells = [r for r in records if flat(r["settings"])["broker"] == "redis" and not flat(r["settings"])["celery"]
             and r["workload"]["params"].get("fault") == "restart"]
    if not cells:
        return "kombu 5.2.3 to 5.3.x stop consuming after a Redis restart: no Redis restart cell in this run"
    return "kombu 5.2.3 to 5.3.x stop consuming after a Redis restart, by release: " + "; ".join(map(_outcome, cells))


def _setting_line(records: list[dict], sentence: str, value, default) -> str:
    pairs = twins(records, "celery", value, default)
    if not pairs:
        return f"{sentence}: no pair of cells (with and without) in this run"
    return f"{sentence}: " + "; ".join(f"{_outcome(base)} -> with it: {_outcome(variant)}" for base, variant in pairs)


def assess(records: list[dict]) -> list[str]:
    """One line per claim (upstream and the broker-loss guide), with the ledger counts behind it."""
    return [
        _redis_restart_line(records),
        _setting_line(records, BROKER_GUIDE.quote(
            "task_acks_late + task_reject_on_worker_lost (visibility_timeout 10 s) keep in-flight tasks"), ACKS_LATE, {}),
        _setting_line(records, BROKER_GUIDE.quote("broker_heartbeat lets the worker notice a frozen broker"),
                      {"broker_heartbeat": 4}, {"broker_heartbeat": 0}),
        BROKER_GUIDE.quote("broker_connection_retry reconnects: ") + "; ".join(
            _outcome(r) for r in records if not flat(r["settings"])["celery"] and r["pins"]["celery"] == "5.7.0"),
    ]


RECOVERS = Claim(FIXED, BROKER_GUIDE.quote("with broker_connection_retry the worker reconnects"))
def applies(project: dict) -> str | None:
    """Every worker outlives some broker restart."""
    return f"{broker(project)} broker" if broker(project) in ("redis", "amqp") else None


SCENARIO = Scenario(
    name="broker_restart",
    applies=applies,
    title="Broker restarted, killed, paused or cut off mid-burst: tasks lost, run twice, recovery",
    claim="Upstream: kombu 5.2.3 to 5.3.x stop consuming after a Redis restart (fixed in kombu 5.4.0rc1). The "
          "broker-loss guide: heartbeats, retries and acks_late + reject_on_worker_lost keep tasks from being lost.",
    services=("postgres", "redis", "redis-aof", "rabbitmq"),
    settings=SETTINGS,
    workload=WORKLOAD,
    cells=(
        cell("5.2.2 + kombu 5.2.2, redis restart", "5.2.2", Claim(FIXED, KOMBU_FIX), pins={"kombu": "5.2.2"}),
        cell("5.2.7 + kombu 5.3.7, redis restart", "5.2.7", Claim(BROKEN, KOMBU_BUG), pins={"kombu": "5.3.7"}),
        cell("5.4.0 + kombu 5.4.0, redis restart", "5.4.0", Claim(FIXED, KOMBU_FIX), pins={"kombu": "5.4.0"}),
        cell("5.7.0, redis restart", "5.7.0", Claim(FIXED, KOMBU_FIX)),
        cell("5.7.0, redis kill", "5.7.0", RECOVERS, fault="kill", optional=True),
        cell("5.7.0, redis-aof kill", "5.7.0", RECOVERS, broker="redis-aof", fault="kill"),
        cell("5.7.0, redis drop", "5.7.0", RECOVERS, fault="drop"),
        cell("5.7.0, redis drop, acks_late", "5.7.0", RECOVERS, fault="drop", celery=ACKS_LATE),
        cell("5.7.0, rabbitmq restart", "5.7.0", RECOVERS, broker="rabbitmq"),
        cell("5.7.0, rabbitmq kill", "5.7.0", RECOVERS, broker="rabbitmq", fault="kill"),
        cell("5.7.0, rabbitmq kill, acks_late", "5.7.0", RECOVERS, broker="rabbitmq", fault="kill",
             celery=ACKS_LATE),
        cell("5.7.0, rabbitmq drop", "5.7.0", RECOVERS, broker="rabbitmq", fault="drop"),
        cell("5.7.0, rabbitmq pause 10 s, heartbeat 4", "5.7.0", RECOVERS, broker="rabbitmq", fault="pause",
             celery={"broker_heartbeat": 4}),
        cell("5.3.6 + kombu 5.3.7, redis restart", "5.3.6", Claim(BROKEN, KOMBU_BUG), pins={"kombu": "5.3.7"},
             optional=True),
        cell("5.7.0, redis pause 10 s", "5.7.0", RECOVERS, fault="pause", optional=True),
        cell("5.7.0, rabbitmq pause 10 s, no heartbeat", "5.7.0", RECOVERS, broker="rabbitmq", fault="pause",
             celery={"broker_heartbeat": 0}, optional=True),
    ),
    metrics=("recovered", "worker_alive_at_end", "recovery_s", "tasks_published", "executed_once", "executed_more_than_once",
             "never_executed", "executed_late", "publish_failed", "queue_depth_end", "worker_log_errors"),
    verdict_rule="fixed if tasks published during the fault ran and the queue was empty at the end of the "
                 "bound (recovered), broken if not (the worker stopped consuming or died), inconclusive if the "
                 "broker could not be asked its queue depth; lost and duplicated tasks are reported beside it",
    verdict=verdict,
    headline="never_executed",
    derive=derive,
    assess=assess,
)
