"""soft_time_limit: a query interrupted by a time limit, and the task that runs next on the same connection.

In production: a task hits its `soft_time_limit` while its query is still running; the
`SoftTimeLimitExceeded` raised in the pool child leaves Django's connection mid-query, and with
persistent connections (`CONN_MAX_AGE`) the next task of that child gets the unusable connection.
Upstream: PR #9824 (5.6.0) went back to closing the connection after every task, citing Django
ticket 30646; that is the per-task session `conn_max_age` measures, and this scenario measures what
it buys.

Each cell runs a prefork worker with concurrency 1 and rounds of three tasks: `slow_query`
(`pg_sleep` longer than the limit), then two `touch_db`. The rate that matters is how often the
first task after an interrupted one fails, with its error, against the sessions opened.
"""
from __future__ import annotations

from collections import Counter

from harness.applicability import persistent_text
from harness.compare import cell_line, verdict_is
from harness.scenario import BROKEN, FIXED, Cell, Claim, Scenario, interval_side
from harness.stats import wilson
from harness.workloads import Burst

SLOW, FOLLOWER = "slow_query", "touch_db"
ROUND = (SLOW, FOLLOWER, FOLLOWER)  # dispatch index % 3: 0 the interrupted query, 1 the next task, 2 the one after
POISONED_RATE = 0.25  # broken when the next task fails after more than a quarter of the interruptions
SETTINGS = {"conn_max_age": 60, "pool": "prefork", "concurrency": 1, "broker": "redis", "soft_time_limit_s": 1.0,
            "query_sleep_s": 3.0}
RELEASE_CLAIM = Claim(BROKEN, "PR #9824 (5.6.0), citing Django #30646: a query interrupted by "
                              "SoftTimeLimitExceeded leaves the connection unusable for the child's next task")
CLOSES_PER_TASK = Claim(FIXED, "PR #9824 (5.6.0): the connection is closed after every task")
PSYCOPG2 = {"psycopg": "-", "psycopg-pool": "-", "psycopg2-binary": "2.9.10"}


def _rate(rows: list, position: int) -> tuple[int, int]:
    """(failed, ran) of the tasks at this position of a round."""
    at = [row for row in rows if row.index % len(ROUND) == position]
    return sum(1 for row in at if row.error), len(at)


def derive(summary: dict, data: dict) -> dict:
    """Interruptions seen in the worker log, failure rates of the next and the second task, their errors."""
    rows = data["rows"]
    failed, ran = _rate(rows, 1)
    second_failed, second_ran = _rate(rows, 2)
    interval = wilson(failed, ran)
    errors = Counter(row.error for row in rows if row.error and row.index % len(ROUND) == 1)
    soft = (summary.get("worker_log_errors_by_class") or {}).get("SoftTimeLimitExceeded", 0)
    return {
        "interrupted_soft": soft, "interrupted_hard": summary.get("tasks_timed_out", 0),
        "next_task_failed": failed, "next_tasks": ran,
        "next_task_failure_rate": round(failed / ran, 4) if ran else None,
        "next_task_failure_low": interval[0] if interval else None,
        "next_task_failure_high": interval[1] if interval else None,
        "second_task_failed": second_failed, "second_tasks": second_ran,
        "next_task_error": errors.most_common(1)[0][0][:160] if errors else "",
        "sessions_per_round": round(summary.get("sessions_opened", 0) / max(ran, 1), 3),
    }


def verdict(summary: dict) -> str:
    """Broken when the failure rate of the next task lies wholly above the bound, fixed when wholly below."""
    return interval_side(summary.get("next_task_failure_low"), summary.get("next_task_failure_high"), POISONED_RATE)


def _numbers(record: dict) -> str:
    summary = record["summary"]
    error = f", error {summary['next_task_error']!r}" if summary["next_task_error"] else ""
    return (f"{record['cell']['name']}: next task failed {summary['next_task_failed']}/{summary['next_tasks']} "
            f"(95% {summary['next_task_failure_low']}-{summary['next_task_failure_high']}), the one after "
            f"{summary['second_task_failed']}/{summary['second_tasks']}, {summary['sessions_per_round']} "
            f"sessions per round{error}")


def _line(records: list[dict], cell: str, sentence: str, expect_broken: bool) -> str:
    return cell_line(records, cell, sentence, verdict_is(BROKEN if expect_broken else FIXED), _numbers)


def assess(records: list[dict]) -> list[str]:
    """One line per claim, with the rates and sessions behind it."""
    return [
        _line(records, "5.5.3 soft", "on releases that reuse connections, a soft time limit mid-query breaks the "
              "next task", expect_broken=True),
        _line(records, "5.7.0 soft", "PR #9824 (5.6.0): closing after every task avoids it", expect_broken=False),
        _line(records, "5.5.3 hard", "a hard time limit does not break the next task (the child is replaced)",
              expect_broken=False),
        _line(records, "5.5.3 soft + CONN_HEALTH_CHECKS", "Django's CONN_HEALTH_CHECKS avoids it",
              expect_broken=False),
        _line(records, "5.5.3 soft + close in task_failure", "closing connections in a task_failure handler "
              "avoids it", expect_broken=False),
        _line(records, "5.5.3 soft, psycopg2", "Django #30646: psycopg2 breaks the same way", expect_broken=True),
    ]


def applies(project: dict) -> str | None:
    """A soft time limit that can interrupt a query on a connection kept for the next task."""
    limit, kept = project["celery"].get("task_soft_time_limit"), persistent_text(project)
    return f"task_soft_time_limit={limit} with {kept}" if limit and kept else None


SCENARIO = Scenario(
    name="soft_time_limit",
    applies=applies,
    title="A time limit mid-query, and the next task on the same connection",
    claim="PR #9824 (5.6.0), citing Django #30646: with persistent connections a soft time limit that interrupts a "
          "query leaves the connection unusable, and the child's next task fails; closing per task avoids it.",
    services=("postgres", "redis"),
    settings=SETTINGS,
    workload=Burst(task=f"ledger.tasks.{SLOW}", count=20, then=(f"ledger.tasks.{FOLLOWER}",) * 2, interleave=True),
    cells=(
        Cell("5.5.3 soft", "5.5.3", RELEASE_CLAIM),
        Cell("5.7.0 soft", "5.7.0", CLOSES_PER_TASK),
        Cell("5.5.3 hard", "5.5.3", Claim(FIXED, "Celery docs: the hard time limit replaces the pool child"),
             settings={"soft_time_limit_s": None, "time_limit_s": 1}),
        Cell("5.5.3 soft + CONN_HEALTH_CHECKS", "5.5.3", Claim(FIXED, "Django 4.1 docs: CONN_HEALTH_CHECKS checks a "
             "persistent connection before reusing it"), settings={"conn_health_checks": True}),
        Cell("5.5.3 soft + close in task_failure", "5.5.3", Claim(FIXED, "common workaround: "
             "connections.close_all() in a task_failure handler"), settings={"failure_hook": "close_all"}),
        Cell("5.5.3 soft, psycopg2", "5.5.3", RELEASE_CLAIM, pins=PSYCOPG2),
        Cell("5.5.3 soft, CONN_MAX_AGE=0", "5.5.3", Claim(FIXED, "Django docs: CONN_MAX_AGE=0 closes the "
             "connection at the end of each task"), settings={"conn_max_age": 0}),
        Cell("5.7.0 soft, psycopg2", "5.7.0", CLOSES_PER_TASK, pins=PSYCOPG2, optional=True),
    ),
    metrics=("next_task_failure_rate", "next_task_failure_low", "next_task_failure_high", "next_task_failed",
             "next_tasks", "second_task_failed", "interrupted_soft", "interrupted_hard", "sessions_per_round",
             "next_task_error", "tasks_lost"),
    verdict_rule=f"broken if the 95% interval of the rate at which the task after an interrupted query fails is "
                 f"above {POISONED_RATE:g}, fixed if below, else inconclusive",
    verdict=verdict,
    headline="next_task_failure_rate",
    threshold=POISONED_RATE,
    derive=derive,
    assess=assess,
)
