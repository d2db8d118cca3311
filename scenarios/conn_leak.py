"""conn_leak: idle and idle-in-transaction Postgres connections a worker leaves behind after a burst.

In production (the connection-leak guide, harness/pages.py): a worker keeps its Django connections between tasks, a task
that fails inside a transaction leaves it open with its locks, and the guide says connections
pile up until Postgres answers "too many connections"; its remedy is a `task_postrun` hook
calling `connections.close_all()` or `close_old_connections()`, checked by "after a 500-task
burst the idle count is back to baseline ±10%". Each cell samples pg_stat_activity at 10 Hz:
2 s idle baseline, 500 mixed tasks (1 in 10 fails holding a row lock in a transaction, 2 use a raw
cursor, 7 the ORM), 5 s settle. The web cells put the same mix through gunicorn under locust.
"""
from __future__ import annotations

from harness.applicability import handlers, persistent_text
from harness.compare import twins
from harness.connstates import TOLERANCE, phase_numbers
from harness.pages import LEAK_GUIDE
from harness.probes.postgres import PostgresProbe
from harness.scenario import BROKEN, FIXED, INCONCLUSIVE, Cell, Claim, Scenario
from harness.settings import flat
from harness.workloads import Burst, WebLoad

PAGE = LEAK_GUIDE.name
BASELINE_S, SETTLE_S = 2.0, 5.0
ON_PURPOSE = "FailedMidTransaction"  # the workload's own failures, not errors
SETTINGS = {"conn_max_age": 60, "pool": "prefork", "concurrency": 4, "broker": "redis", "task_hook": "none",
            "txn_style": "begin", "time_limit_s": 30}
# the burst's task mix as requests: 7 ORM, 2 raw cursor, 1 failing in a transaction (its 500 is the workload's own)
WEB = WebLoad(paths={"/work/orm_query/": 7, "/work/raw_cursor/": 2, "/work/fail_in_transaction/": 1}, users=8,
              seconds=10, expected_status={"/work/fail_in_transaction/": 500}, baseline_s=BASELINE_S, settle_s=SETTLE_S)
GUNICORN, GEVENT = {"gunicorn": "*"}, {"gevent": "*"}
# 24 children each busy 50 ms per task, so that all of them hold a connection at once
BUSY_24 = {"concurrency": 24, "pg_max_connections": 20, "work_sleep_s": 0.05}
EXHAUSTED = Claim(BROKEN, f"{PAGE}: the limit is reached: OperationalError: too many connections")
LEAKS = Claim(BROKEN, f"{PAGE}: without teardown, idle and idle-in-transaction connections accumulate")


def _hook(name: str) -> Claim:
    return Claim(FIXED, f"{PAGE}: a task_postrun hook calling {name}() fixes it")


def derive(summary: dict, data: dict) -> dict:
    """Connections by state per phase, plus what went wrong beyond the workload's own failures."""
    numbers = phase_numbers(data["series"]["postgres"], data["phases"], BASELINE_S)
    reported = data.get("tasks_reported")
    # the web load's failed requests and the worker's failures beyond the workload's own: whichever the cell has
    unexpected = summary.get("request_failures", 0) + sum(
        n for name, n in summary.get("worker_log_errors_by_class", {}).items() if name != ON_PURPOSE)
    # ledger_rows_missing: tasks the worker logged as finished whose ledger row is not committed (rolled back
    # with a leaked transaction, or never written for want of a connection)
    return {**numbers, "unexpected_errors": unexpected, "tasks_reported_by_worker": reported,
            "tasks_never_run": summary.get("tasks_dispatched", 0) - reported if reported is not None else None,
            "ledger_rows_missing": reported - summary["tasks_executed"] if reported is not None else None}


def verdict(summary: dict) -> str:
    """Broken if the cell leaves connections above baseline ±10% or in a transaction, or anything failed
    beyond the workload's own failures (refused connections and tasks that never ran included); inconclusive
    when the samples cannot say whether connections came back."""
    leaked = summary["back_to_baseline"] is False or (summary["idle_in_transaction_final"] or 0) > 0
    failed = (summary["too_many_connections"] > 0 or summary["unexpected_errors"] > 0
              or (summary.get("tasks_never_run") or 0) > 0)
    if leaked or failed:
        return BROKEN
    return INCONCLUSIVE if summary["back_to_baseline"] is None else FIXED


def _name(record: dict) -> str:
    return record["cell"]["name"]


def _s(record: dict, key: str):
    return record["summary"].get(key)


def _set(record: dict, name: str):
    return flat(record["settings"])[name]


def _is_web(record: dict) -> bool:
    return record["workload"]["kind"] == WEB.kind


def _pile_up_line(records: list[dict]) -> str:
    unlimited = [r for r in records if not _set(r, "pg_max_connections")]
    over = [r for r in unlimited if (_s(r, "backends_peak") or 0) > _set(r, "concurrency")]
    within = [r for r in unlimited if r not in over]
    refused = "; ".join(f"{_name(r)}: {_s(r, 'too_many_connections')} connections refused"
                        for r in records if _set(r, "pg_max_connections"))
    grew = "; ".join(f"{_name(r)} peak {_s(r, 'backends_peak'):g} with concurrency {_set(r, 'concurrency')}"
                     for r in over)
    bounded = max((_s(r, "backends_peak") or 0) - _set(r, "concurrency") for r in within) if within else None
    word = "confirmed" if over else "refuted"
    stays = (f"; in {len(within)} other cells the peak stays within the concurrency (peak minus concurrency at "
             f"most {bounded:g})" if within else "")
    return (f"connections pile up until 'too many connections': {word} where connections outgrow the pool "
            f"({grew or 'no cell'}){stays}" + (f"; at a lowered max_connections: {refused}" if refused else ""))


def _hook_line(records: list[dict], hook: str) -> str:
    pairs = twins(records, "task_hook", hook, "none")
    if not pairs:
        return f"a task_postrun hook calling {hook}() fixes it: no pair of cells with and without it in this run"
    helped = all(_s(v, "back_to_baseline") and not _s(v, "idle_in_transaction_final") for _, v in pairs)
    detail = "; ".join(f"{_name(b)} {_s(b, 'backends_final'):g} left ({_s(b, 'idle_in_transaction_final'):g} in a "
                       f"transaction) -> {_name(v)} {_s(v, 'backends_final'):g} ({_s(v, 'idle_in_transaction_final'):g})"
                       for b, v in pairs)
    return f"a task_postrun hook calling {hook}() fixes it: {'confirmed' if helped else 'refuted'}, {detail}"


def _baseline_rule_line(records: list[dict]) -> str:
    met = [_name(r) for r in records if _s(r, "back_to_baseline")]
    missed = [f"{_name(r)} ({_s(r, 'final_minus_baseline'):+g})" for r in records if _s(r, "back_to_baseline") is False]
    return (f"idle count back to baseline ±{TOLERANCE:.0%} after the burst: met by {len(met)} of {len(records)} "
            f"cells ({', '.join(met) or 'none'}); missed by {', '.join(missed) or 'none'}")


def _close_old_none_line(records: list[dict]) -> str:
    cells = [r for r in records if _set(r, "conn_max_age") is None and _set(r, "task_hook") == "close_old_connections"]
    if not cells:
        return "close_old_connections() with CONN_MAX_AGE=None closes nothing: no such cell in this run"
    closed_nothing = all((_s(r, "backends_final") or 0) >= (_s(r, "backends_peak") or 0) for r in cells)
    detail = "; ".join(f"{_name(r)}: peak {_s(r, 'backends_peak'):g}, left {_s(r, 'backends_final'):g}" for r in cells)
    return f"close_old_connections() with CONN_MAX_AGE=None closes nothing: " \
           f"{'confirmed' if closed_nothing else 'refuted'} ({detail})"


def _transaction_line(records: list[dict], style: str) -> str:
    cells = [r for r in records if _set(r, "txn_style") == style and not _is_web(r)]
    held = [r for r in cells if (_s(r, "idle_in_transaction_final") or 0) > 0]
    detail = "; ".join(f"{_name(r)}: {_s(r, 'idle_in_transaction_final'):g} idle in transaction at the end "
                       f"(oldest {_s(r, 'idle_in_transaction_max_age_s'):.1f} s, "
                       f"{_s(r, 'locks_held_idle_in_transaction_final'):g} locks held, "
                       f"{_s(r, 'ledger_rows_missing')} finished tasks without a committed ledger row)" for r in held[:3])
    how = {"begin": "a raw BEGIN", "atomic": "transaction.atomic()"}[style]
    word = "confirmed" if held else "refuted"
    active = max((_s(r, "active_final") or 0 for r in held), default=0)
    waits = max((_s(r, "waiting_on_lock_peak") or 0 for r in cells), default=0)
    return (f"failing tasks leave transactions open and hold locks ({how}): {word}, {len(held)} of {len(cells)} "
            f"cells left a transaction open" + (f"; {detail}" if detail else "") +
            (f"; such a connection is 'idle in transaction', not 'active' (active at the end: {active:g}); "
             f"backends waiting on a lock: at most {waits:g} (the tasks lock distinct rows)" if held else ""))


def _conn_max_age_zero_line(records: list[dict]) -> str:
    pairs = twins(records, "conn_max_age", 0, SETTINGS["conn_max_age"])
    if not pairs:
        return "CONN_MAX_AGE=0 does not address the leak: no pair of cells in this run"
    fixed = all(_s(v, "back_to_baseline") and not _s(v, "idle_in_transaction_final") for _, v in pairs)
    detail = "; ".join(f"{_name(v)}: {_s(v, 'backends_final'):g} left, {_s(v, 'sessions_opened')} sessions for "
                       f"{_load(v)} (vs {_s(b, 'sessions_opened')} in {_name(b)})" for b, v in pairs)
    return f"CONN_MAX_AGE=0 does not address the leak: {'refuted' if fixed else 'confirmed'}, {detail}"


def _load(record: dict) -> str:
    return f"{_s(record, 'requests')} requests" if _is_web(record) else f"{record['workload']['count']} tasks"


def _gunicorn_line(records: list[dict]) -> str:
    web = [r for r in records if _is_web(r)]
    if not web:
        return "leaks in Celery but not in Gunicorn: no web cell in this run"
    web_leaks = [r for r in web if r["verdict"] == BROKEN]
    detail = "; ".join(f"{_name(r)}: {_s(r, 'backends_final'):g} left of peak {_s(r, 'backends_peak'):g}, "
                       f"{_s(r, 'idle_in_transaction_final'):g} idle in transaction, {_s(r, 'requests')} requests"
                       for r in web)
    return (f"leaks in Celery but not in Gunicorn: {'refuted' if web_leaks else 'confirmed'}, gunicorn with the "
            f"same settings: {detail}")


def assess(records: list[dict]) -> list[str]:
    """One line per sentence of the connection-leak guide, with the numbers behind it."""
    return [_pile_up_line(records), _hook_line(records, "close_all"), _hook_line(records, "close_old_connections"),
            _baseline_rule_line(records), _close_old_none_line(records), _transaction_line(records, "begin"),
            _transaction_line(records, "atomic"), _conn_max_age_zero_line(records), _gunicorn_line(records)]


def applies(project: dict) -> str | None:
    """Connections kept between tasks can be left behind, idle or in a transaction."""
    kept = persistent_text(project)
    hooks = handlers(project, "task_postrun")
    return kept and kept + (f"; task_postrun handlers: {', '.join(hooks)}" if hooks else "; no task_postrun handler")


SCENARIO = Scenario(
    name="conn_leak",
    applies=applies,
    takes_own_task=True,  # connections left after the burst, whatever the task does
    title="Idle and idle-in-transaction connections after a burst, teardown hooks compared",
    claim="The connection-leak guide: without a task_postrun teardown, idle and idle-in-transaction connections "
          "pile up until 'too many connections'; close_all() or close_old_connections() fixes it (not with "
          "CONN_MAX_AGE=None).",
    services=("postgres", "redis"),
    settings=SETTINGS,
    workload=Burst(task="ledger.tasks.mixed_db_work", count=500, drain_timeout_s=60, baseline_s=BASELINE_S,
                   settle_s=SETTLE_S),
    cells=(
        Cell("4.4.7 prefork", "4.4.7", LEAKS),
        Cell("5.5.3 prefork", "5.5.3", LEAKS),
        Cell("5.5.3 prefork + close_all", "5.5.3", _hook("close_all"), settings={"task_hook": "close_all"}),
        Cell("5.5.3 prefork + close_old_connections", "5.5.3", _hook("close_old_connections"),
             settings={"task_hook": "close_old_connections"}),
        Cell("5.5.3 prefork, CONN_MAX_AGE=None + close_old_connections", "5.5.3",
             Claim(BROKEN, f"{PAGE}: close_old_connections() with CONN_MAX_AGE=None closes nothing"),
             settings={"conn_max_age": None, "task_hook": "close_old_connections"}),
        Cell("5.5.3 prefork, CONN_MAX_AGE=0", "5.5.3",
             Claim(BROKEN, f"{PAGE}: CONN_MAX_AGE=0 does not address the leak"), settings={"conn_max_age": 0}),
        Cell("5.5.3 prefork, failures in atomic()", "5.5.3", LEAKS, settings={"txn_style": "atomic"}),
        Cell("5.5.3 threads", "5.5.3", LEAKS, settings={"pool": "threads"}),
        Cell("5.5.3 gevent", "5.5.3", LEAKS, pins=GEVENT, settings={"pool": "gevent", "concurrency": 20}),
        Cell("5.7.0 prefork", "5.7.0", Claim(FIXED, "upstream code: 5.6+ closes the connection after every task"
                                             " (PR #9824)")),
        Cell("5.5.3 prefork 24, max_connections 20", "5.5.3", EXHAUSTED, settings=BUSY_24),
        Cell("5.5.3 gevent, max_connections 20", "5.5.3", EXHAUSTED, pins=GEVENT,
             settings={"pool": "gevent", "concurrency": 20, "pg_max_connections": 20}),
        Cell("web: gunicorn 4 sync workers", "5.5.3", Claim(FIXED, f"{PAGE}: 'leak in Celery but not in Gunicorn'"),
             pins=GUNICORN, workload=WEB),
        Cell("5.5.3 threads + close_all", "5.5.3", _hook("close_all"),
             settings={"pool": "threads", "task_hook": "close_all"}, optional=True),
        Cell("5.5.3 gevent + close_all", "5.5.3", _hook("close_all"), pins=GEVENT,
             settings={"pool": "gevent", "concurrency": 20, "task_hook": "close_all"}, optional=True),
        Cell("5.5.3 gevent, CONN_MAX_AGE=0", "5.5.3", Claim(BROKEN, f"{PAGE}: CONN_MAX_AGE=0 does not address the leak"),
             pins=GEVENT, settings={"pool": "gevent", "concurrency": 20, "conn_max_age": 0}, optional=True),
        Cell("4.4.7 prefork + close_all", "4.4.7", _hook("close_all"), settings={"task_hook": "close_all"},
             optional=True),
        Cell("5.7.0 gevent", "5.7.0", None, pins=GEVENT, settings={"pool": "gevent", "concurrency": 20},
             optional=True),
        Cell("5.5.3 prefork 24, max_connections 20 + close_all", "5.5.3", _hook("close_all"),
             settings={**BUSY_24, "task_hook": "close_all"}, optional=True),
        Cell("web: gunicorn, CONN_MAX_AGE=0", "5.5.3", Claim(FIXED, f"{PAGE}: 'leak in Celery but not in Gunicorn'"),
             pins=GUNICORN, settings={"conn_max_age": 0}, workload=WEB, optional=True),
    ),
    metrics=("backends_baseline", "backends_peak", "backends_final", "final_minus_baseline", "idle_final",
             "idle_in_transaction_final", "idle_in_transaction_max_age_s", "locks_held_idle_in_transaction_final",
             "too_many_connections", "unexpected_errors", "ledger_rows_missing", "tasks_never_run",
             "sessions_opened"),
    verdict_rule=f"broken if the connections left after the settle period are outside baseline ±{TOLERANCE:.0%} "
                 "or any is idle in transaction, or a connection was refused or anything failed beyond the "
                 "workload's own failures; else fixed",
    verdict=verdict,
    headline="final_minus_baseline",
    probes=(PostgresProbe(panel="connection_states"),),
    assess=assess,
    derive=derive,
)
