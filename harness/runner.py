"""Running a scenario: plan the cells, build their envs, start the stack once, run every cell."""
from __future__ import annotations

import time
from contextlib import nullcontext
from dataclasses import dataclass, asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from harness.envs import CellEnv, ensure_env
from harness.errors import HarnessError
from harness.metadata import collect_all
from harness.pins import resolve
from harness.bursts import run_burst, run_faulted_burst
from harness.leakfit import tasks_done
from harness.memory import MemorySampler
from harness.probes import ActivitySampler, probe_connection, settled_sessions
from harness.pglimits import max_connections, too_many_connections
from harness.pythons import python_for
from harness.results import cell_filename, run_dir, write_result
from harness.scenario import Cell, Scenario
from harness.stats import combine, interval_verdict, median_summary
from harness.sut import DjangoProject, project_variables
from harness.web import run_web_load

HARNESS_SESSIONS_PER_CELL = 1  # the ledger connection the harness itself opens to the cell database
SCHEMA_DB = "repro_schema"  # migrated once per run, copied for every cell


@dataclass(frozen=True)
class PlannedCell:
    index: int
    cell: Cell
    python: str
    pins: dict[str, str]


def plan(scenario: Scenario, releases: list[str] | None = None, names: list[str] | None = None) -> list[PlannedCell]:
    """Cells to run, each with its Python and complete pins (resolved before anything starts)."""
    if releases and names:
        raise HarnessError("--celery and --cell do not combine: --celery runs ad-hoc cells, --cell default ones")
    cells = scenario.cells_for_releases(releases) if releases else scenario.cells_named(names)
    planned = []
    for index, cell in enumerate(cells):
        python = cell.python or python_for(cell.celery)
        planned.append(PlannedCell(index, cell, python, resolve(cell.celery, python, cell.pins)))
    return planned


def new_run_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def run_scenario(scenario: Scenario, planned: list[PlannedCell], open_stack: Callable, say: Callable[[str], None],
                 count: int | None = None, run_id: str | None = None, repeat: int = 1) -> Path:
    """Run every planned cell (`repeat` times, a fresh worker each time) on one stack and write one result file
    per cell; return the run directory."""
    directory = run_dir(scenario.name, run_id or new_run_id())
    envs = {}
    for item in planned:
        started = time.monotonic()
        envs[item.index] = ensure_env(item.python, item.pins)
        say(f"env {item.cell.name}: Python {envs[item.index].python_version}, "
            f"{'cached' if envs[item.index].reused else 'built'} in {time.monotonic() - started:.1f}s")
    with open_stack(scenario.services) as stack:
        say(f"stack ({stack.kind}): {', '.join(scenario.services)} healthy in {stack.start_s:.2f}s")
        migrate_schema(stack, envs[planned[0].index], directory / "logs" / "schema")
        context = {"stack": {"kind": stack.kind, "start_s": stack.start_s}, "servers": stack.versions(),
                   **collect_all()}
        for item in planned:
            name = cell_filename(item.index, item.cell.name)
            logs = directory / "logs" / name.removesuffix(".json")
            runs = []
            for attempt in range(1, repeat + 1):
                runs.append(measure_cell(stack, scenario, item, envs[item.index], count or scenario.workload.count,
                                         logs / f"run{attempt}" if repeat > 1 else logs))
                if repeat > 1:
                    say(f"cell {item.cell.name}: run {attempt} of {repeat}: "
                        f"{scenario.describe()['headline']} {runs[-1]['summary'].get(scenario.describe()['headline'])}")
            record = cell_record(scenario, item, envs[item.index], runs)
            say(progress_line(item.cell.name, record))
            write_result({**context, **record}, directory / name)
    return directory


def migrate_schema(stack, env: CellEnv, logdir: Path) -> None:
    """Run Django's migrations once into the database every cell database is copied from."""
    variables = project_variables({"CONN_MAX_AGE": 0, "pool": "solo", "concurrency": 1},
                                  stack.create_database(SCHEMA_DB), "redis://127.0.0.1:1/0")
    DjangoProject(env, variables, logdir).migrate()


def measure_cell(stack, scenario: Scenario, item: PlannedCell, env: CellEnv, count: int, logdir: Path) -> dict:
    """One cell: fresh database and broker namespace, worker (or web server), burst, sessions before and after."""
    settings = scenario.cell_settings(item.cell)
    measured = {"settings": settings, "count": count, "started_at": datetime.now(timezone.utc).isoformat()}
    with max_connections(stack, settings.get("PG_MAX_CONNECTIONS")):
        return {**measured, **_measure(stack, scenario, item, env, settings, count, logdir)}


def _measure(stack, scenario: Scenario, item: PlannedCell, env: CellEnv, settings: dict, count: int,
             logdir: Path) -> dict:
    db, prefix = f"cell{item.index:02d}", f"c{item.index:02d}"
    dsn = stack.create_database(db, template=SCHEMA_DB)
    project = DjangoProject(env, project_variables(settings, dsn, stack.broker_url(settings["broker"], item.index)),
                            logdir)
    log_mark = stack.log_size("postgres")
    with probe_connection(stack.admin_dsn()) as admin:
        sessions_before = settled_sessions(admin, db)
        with ActivitySampler(stack.admin_dsn(), db) as sampler:
            if settings.get("path") == "web":
                worker, burst = None, run_web_load(stack, project, scenario.workload, settings)
            else:
                worker, burst = _worker_burst(stack, scenario, item, project, settings, count, prefix, dsn)
        sessions_after = settled_sessions(admin, db)
    burst["phases"] = {name: sampler.at(at) for name, at in burst.get("marks", {}).items()}
    burst["too_many_connections"] = too_many_connections(stack.log_since("postgres", log_mark))
    harness_sessions = 0 if worker is None else HARNESS_SESSIONS_PER_CELL
    sessions = sessions_after - sessions_before - harness_sessions
    return cell_summary(scenario, burst, sessions, sampler, worker, project, burst.pop("memory", None))


def _worker_burst(stack, scenario: Scenario, item: PlannedCell, project: DjangoProject, settings: dict, count: int,
                  prefix: str, dsn: str) -> tuple:
    """Start the worker, run the burst (faulted if the cell names a fault), stop the worker; both timed."""
    starting = time.monotonic()
    with stack.worker(project, f"{prefix}-{item.cell.celery}") as worker:
        ready = time.monotonic()
        with memory_probe(scenario, worker.pid) as memory:
            if settings.get("FAULT"):
                burst = run_faulted_burst(project, stack, scenario.workload, count, prefix, dsn, settings)
            else:
                burst = run_burst(project, scenario.workload, count, prefix, dsn, worker)
        burst["worker_alive_at_end"] = worker.alive()
        stopping = time.monotonic()
    burst["timings"].update(worker_start_s=round(ready - starting, 3),
                            worker_stop_s=round(time.monotonic() - stopping, 3))
    return worker, {**burst, "memory": memory}


def cell_summary(scenario: Scenario, burst: dict, sessions: int, sampler: ActivitySampler, worker, project,
                 memory: MemorySampler | None) -> dict:
    """Summary numbers of one cell: the burst's (or web load's), the worker log's, the parent's checks, the
    scenario's own."""
    if worker is None:
        summary = summarize_web(burst, sessions, sampler)
        memory_series, parent_checks = None, []
    else:
        parent_checks = project.parent_checks()
        summary = {**summarize(burst, sessions, sampler, worker.log_errors()),
                   "worker_log_errors_by_class": worker.log_errors_by_class(),
                   "tasks_timed_out": worker.time_limits_hit(), "worker_alive_at_end": burst["worker_alive_at_end"],
                   **summarize_parent(parent_checks)}
        memory_series = memory_record(memory, burst["rows"])
    summary["too_many_connections"] = burst["too_many_connections"]
    summary.update(scenario.derive(summary, {**burst, "memory": memory_series, "series": sampler.series}))
    return {"burst": burst, "sampler": sampler, "parent_checks": parent_checks, "memory": memory_series,
            "summary": summary}


def cell_record(scenario: Scenario, item: PlannedCell, env: CellEnv, runs: list[dict]) -> dict:
    """The result document of one cell (without the run-wide context); with repeats, the summary holds medians,
    `stats` their intervals, and the verdict comes from the intervals."""
    measured, sampler, claim = runs[0], runs[0]["sampler"], item.cell.claim
    summaries = [run["summary"] for run in runs]
    if len(runs) > 1:
        stats = combine(summaries)
        summary, verdict = median_summary(summaries, stats), interval_verdict(scenario.verdict, summaries, stats)
        repeats = [{"summary": s, "verdict": scenario.verdict(s), "started_at": run["started_at"]}
                   for s, run in zip(summaries, runs)]
    else:
        stats, repeats, summary, verdict = None, None, measured["summary"], scenario.verdict(measured["summary"])
    return {
        "scenario": scenario.describe(),
        "cell": {"index": item.index, "name": item.cell.name, "claim": asdict(claim) if claim else None},
        "pins": item.pins, "freeze": env.freeze, "python": env.python_version, "settings": measured["settings"],
        "workload": {"tasks": scenario.workload.tasks, "count": measured["count"]},
        "started_at": measured["started_at"], "finished_at": datetime.now(timezone.utc).isoformat(),
        "timings": {**measured["burst"]["timings"], "env_reused": env.reused},
        "probe": {"hz": sampler.hz, "samples": len(sampler.series["t"]),
                  "cpu_pct_of_core": round(100 * sampler.cpu_s / max(sampler.wall_s, 1e-9), 3)},
        "series": sampler.series, "memory": measured["memory"], "parent_checks": measured["parent_checks"],
        "errors": measured["burst"].get("errors", {}), "fault": measured["burst"].get("fault"),
        "phases": measured["burst"].get("phases"), "web_load": measured["burst"].get("load"),
        "completions": [round(row.finished, 3) for row in measured["burst"]["rows"]] if measured["burst"].get("fault")
        else None,
        "summary": summary, "verdict": verdict, "stats": stats, "repeats": repeats,
        "agrees_with_claim": None if claim is None else claim.expect == verdict,
    }


def progress_line(name: str, record: dict) -> str:
    summary, headline = record["summary"], record["scenario"]["headline"]
    if "requests" in summary:
        return (f"cell {name}: {summary['requests']} requests ({summary['request_failures']} failed) in "
                f"{summary['load_s']}s, {summary['sessions_opened']} sessions, {headline} {summary.get(headline)} "
                f"-> {record['verdict']}")
    return (f"cell {name}: {summary['tasks_executed']}/{summary['tasks_dispatched']} tasks"
            f"{'' if summary['drained'] else ' (not drained)'}, {summary['task_errors']} failed, "
            f"{summary['sessions_opened']} sessions ({summary['sessions_per_task']:.3f}/task), "
            f"{summary['burst_wall_s']}s, {headline} {summary.get(headline)} -> {record['verdict']}")


def summarize(burst: dict, sessions_opened: int, sampler: ActivitySampler, worker_log_errors: int) -> dict:
    """The summary numbers every burst cell reports, each with its unit in its name."""
    counts, dispatch = burst["counts"], burst["dispatch"]
    count = dispatch["count"]  # every task of every kind in the burst
    executed = counts.distinct_tasks
    wall = (counts.last_finish - dispatch["dispatch_started"]) if counts.last_finish else None
    return {
        "tasks_dispatched": count,
        "drained": burst["drained"],
        "tasks_executed": executed,
        "tasks_lost": count - executed,
        "tasks_duplicated": counts.executions - executed,
        "task_errors": counts.errors,
        "task_errors_by_class": errors_by_class(burst["errors"]),
        "worker_log_errors": worker_log_errors,
        "sessions_opened": sessions_opened,
        "sessions_per_task": round(sessions_opened / max(executed, 1), 4),
        "distinct_backend_pids": counts.distinct_backend_pids,
        "distinct_worker_pids": counts.distinct_worker_pids,
        "peak_backends": int(sampler.peak("backends")),
        "burst_wall_s": round(wall, 3) if wall else None,
        "tasks_per_s": round(executed / wall, 1) if wall else None,
    }



def summarize_web(burst: dict, sessions_opened: int, sampler: ActivitySampler) -> dict:
    """The summary numbers of a web-load cell (locust's counts instead of the task ledger's)."""
    load = burst["load"]
    return {"requests": load["requests"], "request_failures": load["failures"], "requests_per_s": load["requests_per_s"],
            "load_s": burst["timings"]["load_s"], "sessions_opened": sessions_opened,
            "sessions_per_request": round(sessions_opened / max(load["requests"], 1), 4),
            "peak_backends": int(sampler.peak("backends"))}


def errors_by_class(errors: dict[str, int]) -> dict[str, int]:
    """Ledger error messages folded into their exception class names."""
    classes: dict[str, int] = {}
    for message, count in errors.items():
        name = message.split(":", 1)[0]
        classes[name] = classes.get(name, 0) + count
    return classes


def summarize_parent(checks: list[dict]) -> dict:
    """Whether the worker parent's own connection still worked after the burst (None: the cell has none)."""
    if not checks:
        return {}
    last = checks[-1]
    return {"parent_checks_failed": sum(1 for check in checks if not check["ok"]),
            "parent_conn_ok_after_burst": bool(last["ok"]) if last["event"] == "worker_shutdown" else None}


def memory_probe(scenario: Scenario, pid: int | None):
    """A MemorySampler on the worker when the scenario measures memory, else nothing."""
    return MemorySampler(pid) if "memory" in scenario.probes and pid else nullcontext()


def memory_record(memory: MemorySampler | None, rows: list) -> dict | None:
    """The memory time series with the number of tasks done (all phases) at each sample."""
    if memory is None:
        return None
    done = tasks_done(memory.series["t"], sorted(row.finished for row in rows))
    return {**memory.series, "tasks_done": done, "hz": memory.hz,
            "cpu_pct_of_core": round(100 * memory.cpu_s / max(memory.wall_s, 1e-9), 3)}
