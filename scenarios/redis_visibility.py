"""redis_visibility: how long a task of a lost worker waits on Redis before it runs again, and double runs.

In production: with `task_acks_late` on the Redis transport, a message delivered to a worker that
dies stays in kombu's `unacked` hash until a live worker's restore sweep finds it older than
`visibility_timeout` (1 h by default) and puts it back. The claim (kombu PR #2558, #6229) is that the
sweep itself runs only about every 100 s (a 10 s timer that scans on every 10th call), so a lost task
waits far longer than `visibility_timeout` says; kombu 5.7.0 makes both numbers options
(`unacked_restore_interval`, `unacked_restore_throttle`). And a task that runs longer than
`visibility_timeout` is restored while it still runs: it runs twice.

Kill cells: a prefork worker (concurrency 2, prefetch 1) gets 4 tasks, is SIGKILLed with its children
once both slots run one, and a new worker is watched until the two killed tasks run again. The
double-run cell: tasks longer than `visibility_timeout` on a worker with free slots, nothing killed.
"""
from __future__ import annotations

from harness.applicability import acks_late, broker
from harness.compare import cell_line, verdict_is
from harness.scenario import BROKEN, FIXED, INCONCLUSIVE, Cell, Claim, Scenario
from harness.workloads import Burst, LostWorker

TASK = "ledger.tasks.started_then_sleep"
VISIBILITY_S = 30
LATE_FACTOR = 2  # broken when a killed task waits more than twice visibility_timeout to run again
EVERY_SWEEP = {"unacked_restore_interval": 10, "unacked_restore_throttle": 1}  # kombu 5.7.0 options


def celery_settings(visibility_s: int, **transport) -> dict:
    return {"task_acks_late": True, "worker_prefetch_multiplier": 1,
            "broker_transport_options": {"visibility_timeout": visibility_s, **transport}}


SETTINGS = {"conn_max_age": 60, "pool": "prefork", "concurrency": 2, "broker": "redis", "task_sleep_s": 3.0,
            "celery": celery_settings(VISIBILITY_S)}
SWEEP_CLAIM = Claim(BROKEN, "kombu PR #2558 (#6229): the restore sweep runs about every 100 s whatever "
                            "visibility_timeout says")


def verdict(summary: dict) -> str:
    """Kill cells: broken when a killed task did not run again within twice visibility_timeout, inconclusive when
    the kill did not find every pool slot busy (nothing or not enough was tested). Other cells: broken when a task
    ran twice though its worker lived."""
    if "killed_tasks" in summary:
        if not summary.get("all_slots_busy") or not summary["killed_tasks"]:
            return INCONCLUSIVE
        delay, done = summary.get("redelivery_delay_max_s"), summary["redelivered_tasks"] == summary["killed_tasks"]
        return FIXED if done and delay is not None and delay <= LATE_FACTOR * _visibility(summary) else BROKEN
    return BROKEN if summary.get("tasks_duplicated") else FIXED


def _visibility(summary: dict) -> float:
    return summary.get("visibility_timeout_s") or VISIBILITY_S


def derive(summary: dict, data: dict) -> dict:
    """The visibility_timeout the cell ran with (its broker_transport_options)."""
    options = data["settings"].celery.get("broker_transport_options") or {}
    return {"visibility_timeout_s": options.get("visibility_timeout", 3600)}


def _numbers(record: dict) -> str:
    s = record["summary"]
    if s.get("killed_tasks"):
        after = (f"after {s['redelivery_delay_min_s']}-{s['redelivery_delay_max_s']} s"
                 if s["redelivered_tasks"] else "none within the watch")
        return (f"{record['cell']['name']}: {s['redelivered_tasks']}/{s['killed_tasks']} killed tasks ran again, "
                f"{after} (visibility_timeout {_visibility(s):g} s)")
    return f"{record['cell']['name']}: {s['tasks_duplicated']} of {s['tasks_dispatched']} tasks ran twice"


def _line(records: list[dict], cell: str, sentence: str, expect_broken: bool) -> str:
    return cell_line(records, cell, sentence, verdict_is(BROKEN if expect_broken else FIXED), _numbers)


def _within_one_interval(record: dict) -> bool | None:
    s, interval = record["summary"], EVERY_SWEEP["unacked_restore_interval"]
    if record["verdict"] == INCONCLUSIVE:
        return None
    delay = s.get("redelivery_delay_max_s")
    return s["redelivered_tasks"] == s["killed_tasks"] and delay is not None and delay <= _visibility(s) + interval


def assess(records: list[dict]) -> list[str]:
    return [
        _line(records, "5.5.3 kill", "kombu 5.5: a lost task waits far longer than visibility_timeout",
              expect_broken=True),
        _line(records, "5.7.0 kill", "kombu 5.7.0 with its default options: the same", expect_broken=True),
        cell_line(records, "5.7.0 kill, restore every sweep", "kombu 5.7.0 with unacked_restore_throttle=1: within "
                  "visibility_timeout plus one unacked_restore_interval", _within_one_interval, _numbers),
        _line(records, "5.7.0 task longer than visibility_timeout", "a task longer than visibility_timeout runs "
              "twice", expect_broken=True),
    ]


def applies(project: dict) -> str | None:
    """Late acks on Redis: a lost worker's tasks come back only after visibility_timeout."""
    if broker(project) != "redis" or not acks_late(project):
        return None
    timeout = (project["celery"].get("broker_transport_options") or {}).get("visibility_timeout", "default 3600")
    return f"task_acks_late on a Redis broker, visibility_timeout {timeout}"


SCENARIO = Scenario(
    name="redis_visibility",
    applies=applies,
    title="Redis redelivery after a lost worker: visibility_timeout and the restore sweep",
    claim="kombu PR #2558: with acks_late on Redis, a lost worker's tasks run again only when a restore sweep "
          "(about every 100 s up to kombu 5.6) finds them older than visibility_timeout; a task longer than "
          "visibility_timeout runs twice.",
    services=("postgres", "redis"),
    settings=SETTINGS,
    workload=LostWorker(task=TASK, count=4, observe_s=180),
    cells=(
        Cell("5.5.3 kill", "5.5.3", SWEEP_CLAIM),
        Cell("5.7.0 kill", "5.7.0", SWEEP_CLAIM),
        Cell("5.7.0 kill, restore every sweep", "5.7.0", Claim(FIXED, "kombu 5.7.0 (PR #2558): with "
             "unacked_restore_throttle=1 the sweep runs every unacked_restore_interval seconds"),
             settings={"celery": celery_settings(VISIBILITY_S, **EVERY_SWEEP)}),
        Cell("5.7.0 task longer than visibility_timeout", "5.7.0", Claim(BROKEN, "Celery docs (Redis caveats): a "
             "task not acknowledged within visibility_timeout is redelivered to another worker"),
             settings={"concurrency": 4, "task_sleep_s": 25.0, "celery": celery_settings(10, **EVERY_SWEEP)},
             workload=Burst(task=TASK, count=2, settle_s=40.0)),
    ),
    metrics=("killed_tasks", "all_slots_busy", "redelivered_tasks", "redelivery_delay_min_s", "redelivery_delay_max_s",
             "replacement_start_s", "tasks_duplicated", "tasks_lost", "visibility_timeout_s"),
    verdict_rule=f"broken if a killed task did not run again within {LATE_FACTOR} x visibility_timeout, or a task "
                 f"ran twice though its worker lived; inconclusive if the kill did not find every pool slot busy; "
                 f"else fixed",
    verdict=verdict,
    headline="redelivery_delay_max_s",
    derive=derive,
    assess=assess,
)
