"""fork_inherited_conn: a Django connection opened in the worker parent, broken across the prefork fork.

In production: the worker parent touches the database before the pool forks (AppConfig.ready(),
a `worker_init` handler, a startup check) with `CONN_MAX_AGE > 0`; the pool children inherit that
socket. Celery's fixup (`on_worker_process_init`) closes the inherited file descriptor and then
calls `_close_database()`: releases where that ends in `close_if_unusable_or_obsolete()` (4.2.0 to
4.3.1) keep a connection whose socket is gone, so a child's first query fails ("Bad file
descriptor", "connection already closed", "server closed the connection unexpectedly") or
hangs; releases where it ends in `close()` start clean. A child that calls `close()` on the
inherited connection *before* the descriptor is gone sends Postgres a Terminate on the parent's
socket. Upstream: #5483, #4878; the #5483 fix page carries the `fix_django_db` workaround.
"""
from __future__ import annotations

from packaging.version import Version

from harness.applicability import prefork
from harness.compare import twins
from harness.pages import FIX_5483
from harness.scenario import BROKEN, FIXED, Cell, Claim, Scenario
from harness.settings import flat
from harness.workloads import Burst

PAGE = FIX_5483.name
# on_worker_process_init closes the inherited fd, then keeps the connection (close_if_unusable_or_obsolete)
KEEPS_DEAD_CONNECTION = ("4.2.0", "4.4.0rc1")
SYMPTOMS = ("SSL SYSCALL error: Bad file descriptor", "Bad file descriptor", "connection already closed",
            "server closed the connection unexpectedly")
SSL = {"db_sslmode": "require"}
SETTINGS = {"conn_max_age": 60, "pool": "prefork", "concurrency": 4, "broker": "redis", "parent_conn": True,
            "db_sslmode": "disable", "child_hook": "none", "time_limit_s": 15}


def claim_for_release(release: str) -> Claim:
    """What the release's own fixup code implies for a connection inherited by the pool children."""
    first, end = map(Version, KEEPS_DEAD_CONNECTION)
    if first <= Version(release) < end:
        return Claim(BROKEN, "upstream code: after closing the fd, on_worker_process_init keeps the connection")
    return Claim(FIXED, "upstream code: on_worker_process_init closes the fd, then the connection")


def breakage(summary: dict) -> int:
    """Every measured sign of a broken connection: failed tasks, lost tasks (a task killed at the time limit
    writes no ledger row, so hung tasks are among the lost), failed parent checks."""
    return summary["task_errors"] + summary["tasks_lost"] + summary.get("parent_checks_failed", 0)


def derive(summary: dict, data: dict) -> dict:
    return {"breakage_events": breakage(summary)}


def verdict(summary: dict) -> str:
    return BROKEN if summary["breakage_events"] > 0 else FIXED


def _errors(record: dict) -> list[tuple[str, str, int]]:
    """(where, message, count) for the children's task errors and the parent's failed checks."""
    found = [("tasks", message, count) for message, count in record["errors"].items()]
    return found + [("parent", check["error"], 1) for check in record["parent_checks"] if not check["ok"]]


def _symptom_line(records: list[dict], text: str) -> str:
    hits = {}
    for record in records:
        for where, message, count in _errors(record):
            if text in message:
                key = f"{record['cell']['name']} ({where})"
                hits[key] = hits.get(key, 0) + count
    if not hits:
        return f"'{text}': not seen in any cell"
    return f"'{text}': confirmed, " + ", ".join(f"{count} in {key}" for key, count in hits.items())


def _hang_line(records: list[dict]) -> str:
    hung = {r["cell"]["name"]: r["summary"]["tasks_timed_out"] for r in records if r["summary"]["tasks_timed_out"]}
    if not hung:
        bound = flat(records[0]["settings"])["time_limit_s"]
        return f"children hang: not seen, no task hit the {bound} s hard time limit in any cell"
    return "children hang: confirmed, " + ", ".join(f"{n} tasks killed at the time limit in {k}" for k, n in hung.items())


def _parent_line(records: list[dict]) -> str:
    naive = [r for r in records if flat(r["settings"])["child_hook"] == "close_all"]
    if not naive:
        return "close() in a child breaks the parent's connection: no close_all cell in this run"
    broken = [r for r in naive if r["summary"].get("parent_checks_failed")]
    detail = "; ".join(f"{r['cell']['name']}: parent checks failed {r['summary'].get('parent_checks_failed')} of "
                       f"{len(r['parent_checks'])}" for r in naive)
    return f"close() in a child breaks the parent's connection: {'confirmed' if broken else 'refuted'} ({detail})"


def _mitigation_line(records: list[dict], what: str, key: str, value) -> str:
    pairs = twins(records, key, value, SETTINGS[key])
    if not pairs:
        return f"{what}: no pair of cells (same release, with and without it) in this run"
    changes = "; ".join(f"{base['cell']['name']} {base['summary']['breakage_events']} -> {variant['cell']['name']} "
                        f"{variant['summary']['breakage_events']}" for base, variant in pairs)
    helped = all(v["summary"]["breakage_events"] < b["summary"]["breakage_events"] for b, v in pairs)
    return f"{what}: {'confirmed' if helped else 'refuted'}, breakage events without -> with: {changes}"


def assess(records: list[dict]) -> list[str]:
    """One line per sentence of the #5483 fix page about post-fork breakage, with the numbers behind it."""
    return [_parent_line(records), *(_symptom_line(records, text) for text in SYMPTOMS), _hang_line(records),
            _mitigation_line(records, "the fix_django_db workaround prevents it", "child_hook", "fix_django_db"),
            _mitigation_line(records, "CONN_MAX_AGE = 0 avoids it", "conn_max_age", 0)]


def applies(project: dict) -> str | None:
    """Pool children forked from a parent that may hold a connection."""
    return ("prefork pool: children inherit any connection the parent opened (the project's code at import, "
            "in AppConfig.ready or worker_init)") if prefork(project) else None


SCENARIO = Scenario(
    name="fork_inherited_conn",
    applies=applies,
    takes_own_task=True,  # errors after the fork, whatever the task does
    title="Django connection opened in the worker parent, inherited across the prefork fork",
    claim="The #5483 fix page: a parent connection inherited by pool children breaks them (Bad file descriptor, "
          "connection already closed, hangs) or, when a child closes it, the parent; fix_django_db prevents it.",
    services=("postgres", "redis"),
    settings=SETTINGS,
    workload=Burst(task="ledger.tasks.touch_db", count=500),
    cells=(
        Cell("4.2.0", "4.2.0", claim_for_release("4.2.0")),
        Cell("4.2.0 ssl", "4.2.0", claim_for_release("4.2.0"), settings=SSL),
        Cell("4.2.0 ssl + fix_django_db", "4.2.0", Claim(FIXED, f"{PAGE}: the fix_django_db workaround"),
             settings={**SSL, "child_hook": "fix_django_db"}),
        Cell("4.2.0 ssl, CONN_MAX_AGE=0", "4.2.0", Claim(FIXED, f"{PAGE}'s thread: 'set CONN_MAX_AGE to 0'"),
             settings={**SSL, "conn_max_age": 0}),
        Cell("4.2.0 + close_all", "4.2.0", Claim(BROKEN, f"{PAGE}: close() on an inherited connection "
             "breaks the parent's too"), settings={"child_hook": "close_all"}),
        Cell("4.4.0rc5 ssl", "4.4.0rc5", Claim(FIXED, f"{PAGE}: first fixed release 4.4.0rc5"), settings=SSL),
        Cell("5.5.3 ssl", "5.5.3", claim_for_release("5.5.3"), settings=SSL),
        Cell("5.5.3 ssl + close_all", "5.5.3", Claim(BROKEN, f"{PAGE}: close() on an inherited connection "
             "breaks the parent's too"), settings={**SSL, "child_hook": "close_all"}),
        Cell("5.7.0 ssl", "5.7.0", claim_for_release("5.7.0"), settings=SSL),
    ),
    metrics=("breakage_events", "task_errors", "tasks_lost", "tasks_timed_out", "parent_checks_failed", "sessions_opened",
             "distinct_backend_pids", "worker_log_errors"),
    verdict_rule="broken if breakage_events > 0 (tasks failed, lost or killed at the time limit, plus failed "
                 "parent checks); else fixed",
    verdict=verdict,
    headline="breakage_events",
    claim_for_release=claim_for_release,
    assess=assess,
    derive=derive,
    probes=("postgres", "parent_checks"),
)
