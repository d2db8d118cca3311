"""conn_max_age: Celery's Django fixup ignoring CONN_MAX_AGE, one new Postgres session per task.

In production: with `CONN_MAX_AGE = 60` Django should keep a connection per worker process
for a minute, but Postgres shows a new session (and a new backend) for every task, so the
database spends its time on connection setup. The per-task hook is
`celery/fixups/django.py::DjangoWorkerFixup._close_database`: releases that call
`conn.close()` there open a session per task; releases that call
`conn.close_if_unusable_or_obsolete()` reuse it. Upstream: issue #5483, PR #4292 (4.2.0),
its revert (4.4.0rc1), PR #6134 (4.4.4) and the deliberate revert PR #9824 (5.6.0).
The #5483 fix page claims 4.4.0rc5 is the first fixed release.
"""
from __future__ import annotations

from packaging.version import Version

from harness.applicability import persistent_text
from harness.pages import FIX_5483
from harness.scenario import BROKEN, FIXED, Cell, Claim, Scenario
from harness.workloads import Burst

PAGE = FIX_5483.quote("'first fixed release: 4.4.0rc5'")
BROKEN_SESSIONS_PER_TASK = 0.5

# Per-task call in _close_database, read from each release's celery/fixups/django.py.
CLOSE_PER_TASK = [("4.0.0", "4.2.0"), ("4.4.0rc1", "4.4.4"), ("5.6.0b1", "99")]


def claim_for_release(release: str) -> Claim:
    """What the release's own fixup code implies (conn.close() per task means broken)."""
    version = Version(release)
    for first, end in CLOSE_PER_TASK:
        if Version(first) <= version < Version(end):
            return Claim(BROKEN, "upstream code: _close_database calls conn.close() per task")
    return Claim(FIXED, "upstream code: _close_database calls close_if_unusable_or_obsolete()")


def verdict(summary: dict) -> str:
    return BROKEN if summary["sessions_per_task"] > BROKEN_SESSIONS_PER_TASK else FIXED


def applies(project: dict) -> str | None:
    """Any alias keeping connections: the fixup decides whether they survive each task."""
    return persistent_text(project)


SCENARIO = Scenario(
    name="conn_max_age",
    applies=applies,
    takes_own_task=True,  # sessions per task, whatever the task does
    title="CONN_MAX_AGE ignored: a new Postgres session per task",
    claim="The #5483 fix page: broken up to 4.4.0rc4, fixed in 4.4.0rc5 (celery #5483, PR #4292).",
    services=("postgres", "redis"),
    settings={"conn_max_age": 60, "db_pool": False, "pool": "prefork", "concurrency": 2, "broker": "redis"},
    workload=Burst(task="ledger.tasks.touch_db", count=500, settle_s=0.0),  # every number is read after the stop
    cells=(
        Cell("4.4.0rc4", "4.4.0rc4", Claim(BROKEN, PAGE)),
        Cell("4.4.0rc5", "4.4.0rc5", Claim(FIXED, PAGE)),
        Cell("5.5.3", "5.5.3", Claim(FIXED, "upstream: PR #6134 (4.4.4) reuses connections up to 5.5.x")),
        Cell("5.7.0", "5.7.0", Claim(BROKEN, "upstream: PR #9824 (5.6.0) closes per task again, on purpose")),
        Cell("5.7.0 + django pool", "5.7.0", Claim(FIXED, "Django 5.1+ docs: OPTIONS['pool'] reuses connections"),
             settings={"conn_max_age": 0, "db_pool": True}),
    ),
    metrics=("sessions_opened", "sessions_per_task", "distinct_backend_pids", "peak_backends",
             "task_errors", "tasks_lost", "burst_wall_s"),
    verdict_rule=f"broken if sessions_per_task > {BROKEN_SESSIONS_PER_TASK}, else fixed",
    verdict=verdict,
    headline="sessions_per_task",
    threshold=BROKEN_SESSIONS_PER_TASK,
    claim_for_release=claim_for_release,
)
