"""exception_leak: prefork child memory that grows with every task that raises.

In production: a worker whose tasks fail now and then grows until the OOM killer or
`max_memory_per_child` steps in. A task that raises keeps its frame, and with it every local,
alive through the traceback Celery holds while it logs, stores and reports the failure.
Upstream: #6023 (fix PR #6024, `traceback_clear` in `celery/app/trace.py`; the #6023 fix page
says first fixed in 4.4.2, the wheels have it from 4.4.3) and its successor #8882 (unhandled
exceptions keeping `ExceptionInfo` and frames alive, worse on Python 3.11+; fix PR #9799, 5.6.0).
A patched cell tests a proposed mechanism for 5.6+ growing faster than 5.5: PR #9799 dropped the
re-read of `tb.tb_frame.f_locals` after `frame.clear()`, which on Python <= 3.12 empties the
snapshot billiard's traceback copy built (CPython gh-113939, fixed in 3.13).

Each cell runs a prefork worker with concurrency 1, then N tasks that allocate a 1 MB local and
fail, then N tasks with the same allocation that succeed (the control); the pool child's RSS
is sampled at 20 Hz and fitted against the tasks done.
"""
from __future__ import annotations

from pathlib import Path

from packaging.version import Version

from harness.applicability import prefork
from harness.compare import twins
from harness.leakfit import LEVEL, fit, fit_points, gc_slope, phase_points, split
from harness.pages import FIX_6023
from harness.patches import patch_file
from harness.scenario import BROKEN, FIXED, Cell, Claim, Scenario, interval_side
from harness.sequential import SequentialStop
from harness.settings import flat
from harness.workloads import Burst

LEAK_KB_PER_TASK = 20.0  # with a 1 MB local: 2% of it kept per failing task, 20 MB per thousand failures
GROWTH_FLOOR_KB_PER_TASK = 10.0  # below this a half of the failing phase counts as not growing
FAIL_TASK, CONTROL_TASK = "fail_holding_memory", "ok_holding_memory"
F_LOCALS_PATCH = Path(__file__).parent / "patches" / "celery-5.7.0-restore-f_locals-reread.diff"
# The proposal explains 5.6+'s excess over 5.5, not #8882 itself: restored, 5.7.0 should grow as 5.5.3 does.
RE_READ_CLAIM = Claim(BROKEN, "proposed: PR #9799 dropped PR #6024's re-read of tb_frame.f_locals after clear(), "
                              "which on Python <= 3.12 frees the snapshot (CPython gh-113939); restored, 5.7.0 grows "
                              "only as 5.5 does")
PAGE = FIX_6023.quote("'first fixed release: 4.4.2'")
SETTINGS = {"conn_max_age": 60, "pool": "prefork", "concurrency": 1, "broker": "redis", "leak_bytes": 1 << 20,
            "fail_mode": "raise", "max_tasks_per_child": None, "gc_on_failure": False}


def claim_for_release(release: str) -> Claim:
    """What upstream history says about a release (the harness measures it)."""
    version = Version(release)
    if version < Version("4.4.3"):
        return Claim(BROKEN, "upstream: traceback_clear (PR #6024, #6023) first in the 4.4.3 wheel")
    if version < Version("5.6.0"):
        return Claim(BROKEN, "upstream: #8882, unhandled exceptions keep frames alive until PR #9799 (5.6.0)")
    return Claim(FIXED, "upstream: PR #9799 (#8882) in 5.6.0")


def _slope_numbers(prefix: str, slope) -> dict:
    if slope is None:
        return {f"{prefix}_kb_per_task": None, f"{prefix}_low_kb_per_task": None, f"{prefix}_high_kb_per_task": None}
    return {f"{prefix}_kb_per_task": slope.kb_per_task, f"{prefix}_low_kb_per_task": slope.low,
            f"{prefix}_high_kb_per_task": slope.high}


def _phase(memory: dict, rows: list, task: str):
    finishes = [row.finished for row in rows if row.task == task]
    return phase_points(memory, finishes)


def slope_so_far(run, rows: list, task: str, level: float) -> tuple[float, float] | None:
    """The interval of the RSS slope of `task`'s phase so far (the dotted name the burst sends), from the memory
    probe's live series: one look."""
    slope = fit(*_phase(run.live["memory"](), rows, task.rsplit(".", 1)[-1]), level)
    return (slope.low, slope.high) if slope else None


def growth_shape(first, second) -> str:
    """How child memory grows over the failing phase, from the slopes of its two halves."""
    if first is None or second is None:
        return "unknown"
    floor = GROWTH_FLOOR_KB_PER_TASK
    if first.high < floor and second.high < floor:
        return "flat"
    if second.high < floor and first.low > floor:
        return "levels off"
    if second.low > floor:
        return "grows steadily" if second.kb_per_task >= first.kb_per_task / 2 else "grows, slowing"
    return "unclear"


def derive(summary: dict, data: dict) -> dict:
    """Slopes of child RSS per failing and per control task, halves of the failing phase, gc objects, extremes."""
    memory, rows = data["series"].get("memory"), data["rows"]
    if not memory or not memory["t"]:
        return dict.fromkeys(DERIVED)
    level = data.get("interval_level", LEVEL)  # the looks' own confidence when the phases stopped sequentially
    failing = data["tasks"][0].rsplit(".", 1)[-1]  # FAIL_TASK, or a project's own task (--task)
    fail_x, fail_y = _phase(memory, rows, failing)
    first_points, second_points = split(fail_x, fail_y)
    first, second = fit_points(first_points), fit_points(second_points)
    shape = growth_shape(first, second)
    rss = memory["child_rss_mb"]
    return {
        **_slope_numbers("fail_rss_slope", fit(fail_x, fail_y, level)),
        **_slope_numbers("control_rss_slope", fit(*_phase(memory, rows, CONTROL_TASK), level)),
        "fail_first_half_slope_kb_per_task": first.kb_per_task if first else None,
        "fail_second_half_slope_kb_per_task": second.kb_per_task if second else None,
        "fail_growth_shape": shape,
        "fail_plateau_mb": round(sum(y for _, y in second_points) / len(second_points), 1)
        if shape == "levels off" else None,
        "fail_gc_objects_per_task": gc_slope([(row.index, row.gc_objects) for row in rows
                                              if row.task == failing and row.gc_objects]),
        "child_rss_start_mb": rss[0], "child_rss_peak_mb": max(rss), "child_rss_end_mb": rss[-1],
        "child_uss_end_mb": memory["child_uss_mb"][-1],
        "parent_rss_growth_mb": round(memory["parent_rss_mb"][-1] - memory["parent_rss_mb"][0], 2),
        "child_restarts": len(set(memory["child_pid"])) - 1,
    }


DERIVED = ("fail_rss_slope_kb_per_task", "fail_rss_slope_low_kb_per_task", "fail_rss_slope_high_kb_per_task",
           "control_rss_slope_kb_per_task", "control_rss_slope_low_kb_per_task", "control_rss_slope_high_kb_per_task",
           "fail_first_half_slope_kb_per_task", "fail_second_half_slope_kb_per_task", "fail_growth_shape",
           "fail_plateau_mb", "fail_gc_objects_per_task", "child_rss_start_mb", "child_rss_peak_mb",
           "child_rss_end_mb", "child_uss_end_mb", "parent_rss_growth_mb", "child_restarts")


def verdict(summary: dict) -> str:
    """Leaking when the whole slope interval is above the threshold, not leaking when it is below."""
    return interval_side(summary.get("fail_rss_slope_low_kb_per_task"), summary.get("fail_rss_slope_high_kb_per_task"),
                         LEAK_KB_PER_TASK)


def _slope(record: dict) -> str:
    summary = record["summary"]
    return (f"{record['cell']['name']} {summary['fail_rss_slope_kb_per_task']} KB/task "
            f"({summary['fail_growth_shape']}, peak {summary['child_rss_peak_mb']} MB)")


def _plain(records: list[dict]) -> list[dict]:
    """Cells with the scenario's own settings and the release as shipped (no variant, mitigation or patch)."""
    return [r for r in records if all(flat(r["settings"]).get(k) == v for k, v in SETTINGS.items())
            and not r.get("patch")]


def _release_line(records: list[dict], release: str, sentence: str, expect_leak: bool) -> str:
    cells = [r for r in _plain(records) if r["pins"]["celery"] == release]
    if not cells:
        return f"{sentence}: no {release} cell in this run"
    held = [(r["verdict"] == BROKEN) == expect_leak for r in cells]
    if all(held) or not any(held):
        word = "confirmed" if all(held) else "refuted"
    else:
        on = lambda keep: ", ".join(r["python"] for r, h in zip(cells, held) if h == keep)  # noqa: E731
        word = f"depends on the Python: holds on {on(True)}, not on {on(False)}"
    return f"{sentence}: {word}, " + "; ".join(map(_slope, cells))


def _python_line(records: list[dict]) -> str:
    by_release: dict[str, list[dict]] = {}
    for record in _plain(records):
        by_release.setdefault(record["pins"]["celery"], []).append(record)
    spread = {k: v for k, v in by_release.items() if len({r["python"] for r in v}) > 1}
    if not spread:
        return "the Python version matters: no release run on more than one Python"
    differs = any(len({r["verdict"] for r in cells}) > 1 for cells in spread.values())
    return (f"the Python version matters: {'confirmed' if differs else 'refuted'}, " + "; ".join(
        f"{release}: " + ", ".join(f"Python {r['python']} {r['summary']['fail_rss_slope_kb_per_task']}"
                                   for r in cells) for release, cells in spread.items()) + " KB/task")


def _pair_line(records: list[dict], sentence: str, key: str, value, expect_leak: bool) -> str:
    pairs = twins(records, key, value, SETTINGS[key])
    if not pairs:
        return f"{sentence}: no pair of cells in this run"
    held = all((variant["verdict"] == BROKEN) == expect_leak for _, variant in pairs)
    return f"{sentence}: {'confirmed' if held else 'refuted'}, " + "; ".join(
        f"{_slope(base)} -> {_slope(variant)}, burst {base['summary']['burst_wall_s']} s -> "
        f"{variant['summary']['burst_wall_s']} s" for base, variant in pairs)


def _reference(records: list[dict], python: str) -> dict | None:
    """The newest plain release before PR #9799 (5.5.x) on the same Python: the growth #9799 is measured against."""
    before = [r for r in _plain(records) if r["python"] == python and Version(r["pins"]["celery"]) < Version("5.6.0")
              and r["summary"].get("fail_rss_slope_kb_per_task") is not None]
    return max(before, key=lambda r: Version(r["pins"]["celery"]), default=None)


def _patch_line(records: list[dict], sentence: str) -> str:
    """A patched cell against the same release and Python as shipped, and against 5.5 on that Python: which share
    of the growth the release adds over 5.5 the patch takes away (confirmed from 80%, refuted up to 20%)."""
    found = []
    for patched in (r for r in records if r.get("patch") and _plain([{**r, "patch": None}])):
        key = (patched["pins"]["celery"], patched["python"])
        base = next((r for r in _plain(records) if (r["pins"]["celery"], r["python"]) == key), None)
        reference = _reference(records, patched["python"])
        if base and reference:
            found.append((base, patched, reference))
    if not found:
        return f"{sentence}: needs a patched cell, its release as shipped and a 5.5 cell on the same Python"
    slope = lambda r: r["summary"].get("fail_rss_slope_kb_per_task")  # noqa: E731
    shares = [(slope(base) - slope(patched)) / (slope(base) - slope(ref))
              if None not in (slope(base), slope(patched)) and slope(base) > slope(ref) else None
              for base, patched, ref in found]
    word = ("inconclusive" if None in shares else "confirmed" if min(shares) >= 0.8 else
            "refuted" if max(shares) <= 0.2 else "partly")
    return f"{sentence}: {word}, " + "; ".join(
        f"{_slope(base)} -> with {patched['patch']['name']}: {_slope(patched)}; {_slope(ref)} "
        f"({'n/a' if share is None else f'{share:.0%}'} of the growth over {ref['pins']['celery']} removed)"
        for (base, patched, ref), share in zip(found, shares))


def _python_313_line(records: list[dict], sentence: str) -> str:
    cells = [r for r in _plain(records) if r["python"].startswith("3.13.")]
    if not cells:
        return f"{sentence}: no Python 3.13 cell in this run"
    verdicts = {r["verdict"] for r in cells}
    word = "confirmed" if verdicts == {FIXED} else "refuted" if BROKEN in verdicts else "inconclusive"
    return f"{sentence}: {word}, " + "; ".join(map(_slope, cells))


def assess(records: list[dict]) -> list[str]:
    """One line per claim about the leak (the #6023 fix page and upstream), with the measured slopes behind it."""
    newest = max((r["pins"]["celery"] for r in records), key=Version, default="5.6.0")
    return [
        _release_line(records, "4.4.2", FIX_6023.quote("4.4.2 does not leak"), expect_leak=False),
        _release_line(records, "4.4.3", "upstream: 4.4.3 (PR #6024) does not leak", expect_leak=False),
        _release_line(records, "5.5.3", "upstream #8882: 5.5 leaks on unhandled exceptions", expect_leak=True),
        _release_line(records, "5.6.0", "upstream: PR #9799 (5.6.0) fixes #8882", expect_leak=False),
        _patch_line(records, "the growth 5.6+ adds on Python <= 3.12 is the f_locals snapshot that PR #9799 "
                             "stopped clearing (CPython gh-113939)"),
        _python_313_line(records, "Python 3.13 does not grow"),
        _release_line(records, newest, f"the newest release here ({newest}) does not leak", expect_leak=False),
        _python_line(records),
        _pair_line(records, "upstream #8882: exceptions declared in `throws` do not leak", "fail_mode", "throws",
                   expect_leak=False),
        _pair_line(records, "self.retry exhausting leaks too", "fail_mode", "retry", expect_leak=True),
        _pair_line(records, "worker_max_tasks_per_child bounds it", "max_tasks_per_child", 200, expect_leak=False),
        _pair_line(records, "gc.collect() after each failure frees it", "gc_on_failure", True, expect_leak=False),
    ]


def applies(project: dict) -> str | None:
    """Failing tasks in a long-lived prefork child."""
    return "prefork pool, where failing tasks keep their frames in the child" if prefork(project) else None


SCENARIO = Scenario(
    name="exception_leak",
    applies=applies,
    takes_own_task=True,  # child memory per failing call, whatever the task does
    title="Prefork child memory growing with every failing task",
    claim="The #6023 fix page: tasks that raise leak their frame in the prefork child; fixed in 4.4.2 (celery #6023, "
          "PR #6024). Upstream: successor #8882 on 5.x up to 5.5, fixed in 5.6.0 (PR #9799).",
    services=("postgres", "redis"),
    settings=SETTINGS,
    workload=Burst(task=f"ledger.tasks.{FAIL_TASK}", count=1500, then=(f"ledger.tasks.{CONTROL_TASK}",),
                   stop=SequentialStop(slope_so_far, LEAK_KB_PER_TASK, first_look=500, step=250)),
    cells=(
        Cell("4.4.2", "4.4.2", Claim(FIXED, PAGE)),
        Cell("4.4.3", "4.4.3", claim_for_release("4.4.3")),
        Cell("5.5.3 py3.8", "5.5.3", claim_for_release("5.5.3"), python="3.8"),
        Cell("5.5.3 py3.11", "5.5.3", claim_for_release("5.5.3"), python="3.11"),
        Cell("5.5.3 py3.12", "5.5.3", claim_for_release("5.5.3"), python="3.12"),
        Cell("5.6.0 py3.12", "5.6.0", claim_for_release("5.6.0"), python="3.12"),
        Cell("5.7.0 py3.10", "5.7.0", claim_for_release("5.7.0"), python="3.10"),
        Cell("5.7.0 py3.11", "5.7.0", claim_for_release("5.7.0"), python="3.11"),
        Cell("5.7.0 py3.12", "5.7.0", claim_for_release("5.7.0"), python="3.12"),
        Cell("5.5.3 py3.13", "5.5.3", claim_for_release("5.5.3"), python="3.13"),
        Cell("5.7.0 py3.13", "5.7.0", claim_for_release("5.7.0"), python="3.13"),
        Cell("5.7.0 py3.12 + f_locals re-read", "5.7.0", RE_READ_CLAIM, python="3.12",
             patch=patch_file(F_LOCALS_PATCH)),
        Cell("5.7.0 py3.11 + f_locals re-read", "5.7.0", RE_READ_CLAIM, python="3.11", patch=patch_file(F_LOCALS_PATCH),
             optional=True),
        Cell("5.7.0 py3.12 retry", "5.7.0", claim_for_release("5.7.0"), python="3.12",
             settings={"fail_mode": "retry"}),
        Cell("5.7.0 py3.12 throws", "5.7.0", Claim(FIXED, "upstream #8882: only unhandled exceptions leak"),
             python="3.12", settings={"fail_mode": "throws"}),
        Cell("5.7.0 py3.12 max_tasks_per_child=200", "5.7.0", Claim(FIXED, "Celery docs: recycling the child "
             "bounds its memory"), python="3.12", settings={"max_tasks_per_child": 200}),
        Cell("5.7.0 py3.12 gc.collect() on failure", "5.7.0", Claim(FIXED, "celery #5249 thread: gc.collect() "
             "after the failure frees it"), python="3.12", settings={"gc_on_failure": True}),
    ),
    metrics=("fail_rss_slope_kb_per_task", "fail_rss_slope_low_kb_per_task", "fail_rss_slope_high_kb_per_task",
             "control_rss_slope_kb_per_task", "fail_second_half_slope_kb_per_task", "fail_growth_shape",
             "fail_plateau_mb", "fail_gc_objects_per_task",
             "child_rss_peak_mb", "child_restarts", "tasks_lost"),
    verdict_rule=f"broken (leaking) if the interval of the failing-task RSS slope is above {LEAK_KB_PER_TASK:g} "
                 f"KB/task, fixed if below, else inconclusive; the interval is 99% at each of 5 looks (500 to 1500 "
                 f"tasks, each phase ending at the first decided look: 95% across the looks), 95% with --tasks",
    verdict=verdict,
    headline="fail_rss_slope_kb_per_task",
    threshold=LEAK_KB_PER_TASK,
    claim_for_release=claim_for_release,
    derive=derive,
    assess=assess,
    probes=("postgres", "memory"),
)
