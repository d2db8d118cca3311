"""Running a scenario: plan, envs, one stack, then per cell the probes around the workload and a record."""
from __future__ import annotations

import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from harness.cellrun import CellRun
from harness.envs import CellEnv, ensure_env
from harness.errors import HarnessError
from harness.metadata import collect_all
from harness.patches import Patch
from harness.pglimits import max_connections
from harness.rabbitlimits import consumer_timeout
from harness.reaper import leftovers
from harness.pins import resolve
from harness.progress import quiet
from harness.pythons import python_for
from harness.record import CellInfo, CellRecord, ClaimInfo, PatchInfo, Repeat, ScenarioInfo, WorkloadInfo
from harness.results import cell_filename, new_run_dir, write_result
from harness.scenario import Cell, Scenario
from harness.settings import build
from harness.stats import combine, interval_verdict, median_summary
from harness.sut.own_project import ProjectPins, project_code, project_env, project_pins
from harness.sut.project import BUILTIN, DjangoProject, ProjectCode, project_variables
from harness.sut.user_project import UserProject
from harness.workloads import Workload

SCHEMA_DB = "repro_schema"  # migrated once per run (and once more for a user's project), copied for every cell


@dataclass(frozen=True)
class PlannedCell:
    index: int
    cell: Cell
    python: str
    pins: dict[str, str]
    project: UserProject | None = None  # a user's project, run in its own configuration
    project_pins: ProjectPins | None = None


@dataclass(frozen=True)
class PreparedCell:
    """A planned cell's env, its code, and for a user's project what its settings say."""

    env: CellEnv
    code: ProjectCode = BUILTIN
    facts: dict | None = None


def plan(scenario: Scenario, releases: list[str] | None = None, names: list[str] | None = None,
         python: str | None = None, patch: Patch | None = None, stack: str = "local",
         project: UserProject | None = None, project_task: tuple[str, str] | None = None) -> list[PlannedCell]:
    """Cells to run, each with its Python and complete pins (resolved before anything starts); `python` and `patch`
    shape ad-hoc cells (--celery); a user's `project` adds its own cell after the others, sending one of its own
    tasks where `project_task` names it (dotted name, arguments as JSON)."""
    if releases and names:
        raise HarnessError("--celery and --cell do not combine: --celery runs ad-hoc cells, --cell default ones")
    if (python or patch) and not releases:
        raise HarnessError("--python and --patch shape ad-hoc cells: name the release with --celery")
    cells = scenario.cells_for_releases(releases, python, patch) if releases else scenario.cells_named(names)
    if stack != "local" and (patched := [cell.name for cell in cells if cell.patch]):
        raise HarnessError(f"patched cells run on the local stack only (a cell image is built from unpatched "
                           f"wheels): {', '.join(patched)}")
    planned = []
    for index, cell in enumerate(cells):
        python = cell.python or python_for(cell.celery)
        planned.append(PlannedCell(index, cell, python, resolve(cell.celery, python, cell.pins)))
    if project is not None:
        planned.append(project_cell(scenario, len(planned), project, stack, project_task))
    return planned


def project_cell(scenario: Scenario, index: int, project: UserProject, stack: str,
                 task: tuple[str, str] | None) -> PlannedCell:
    """The cell of a user's project: named after it, its Python and releases from its own files, optionally
    sending one of its own tasks."""
    if stack != "local":
        raise HarnessError("--project runs on the local stack only (a cell image is built from the harness's pins)")
    if task and not scenario.takes_own_task:
        raise HarnessError(f"{scenario.name} does not take a project's own task: what it measures depends on its own "
                           "tasks (docs/own-project.md lists the scenarios that take one)")
    workload = scenario.workload.with_task(*task) if task else None
    pinned = project_pins(project)
    name = f"{project.name}: {task[0].rsplit('.', 1)[-1]}" if task else project.name
    cell = Cell(name, pinned.pins["celery"], python=pinned.python, workload=workload)
    return PlannedCell(index, cell, pinned.python, pinned.pins, project, pinned)


def new_run_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def run_scenario(scenario: Scenario, planned: list[PlannedCell], open_stack: Callable, say: Callable[[str], None],
                 count: int | None = None, run_id: str | None = None, repeat: int = 1,
                 progress: Callable[[str], Callable[..., None]] = lambda cell: quiet) -> Path:
    """Run every planned cell (`repeat` times, a fresh worker each time) on one stack and write one result file
    per cell; return the run directory. `progress(cell name)` gives the callback a cell's workload reports to."""
    leftovers()  # from here on every process started is marked for the reaper, env builds included
    directory = new_run_dir(scenario.name, run_id or new_run_id())
    prepared, env_s = {}, {}
    for item in planned:
        preparing = time.monotonic()
        prepared[item.index], env_s[item.index] = prepared_cell(item, say), seconds_since(preparing)
    with open_stack(scenario.services) as stack:
        say(f"stack ({stack.kind}): {', '.join(scenario.services)} healthy in {stack.start_s:.2f}s")
        migrating = time.monotonic()
        schemas = migrate_schemas(stack, list(prepared.values()), directory / "logs")
        context = {"stack": {"kind": stack.kind, "start_s": stack.start_s, "schema_s": seconds_since(migrating)},
                   "servers": stack.versions(),
                   **collect_all()}
        for item in planned:
            name = cell_filename(item.index, item.cell.name)
            logs = directory / "logs" / name.removesuffix(".json")
            runs = []
            for attempt in range(1, repeat + 1):
                cell_count = count or scenario.cell_workload(item.cell).count
                runs.append(measure_cell(stack, scenario, item, prepared[item.index], schemas, cell_count,
                                         logs / f"run{attempt}" if repeat > 1 else logs, progress(item.cell.name),
                                         fixed_count=count is not None))
                if repeat > 1:
                    say(f"cell {item.cell.name}: run {attempt} of {repeat}: "
                        f"{headline_words(scenario, runs[-1]['summary'])}")
            env = prepared[item.index].env
            installed = stack.installed(env.python_version, item.pins) or env.freeze
            record = cell_record(scenario, item, env, runs, {**context, "freeze": installed,
                                                             "project": project_info(item, prepared[item.index])})
            record.timings["env_s"] = env_s[item.index]
            median = f" (median of {repeat} runs)" if repeat > 1 else ""
            say(f"cell {item.cell.name}: {runs[0]['progress']}, {headline_words(scenario, record.summary)}{median} "
                f"-> {record.verdict}")
            write_result(record, directory / name)
    return directory


def prepared_cell(item: PlannedCell, say: Callable[[str], None]) -> PreparedCell:
    """The cell's env (built or reused); for a user's project also its settings, checked before anything starts."""
    started = time.monotonic()
    if item.project is None:
        cell = PreparedCell(ensure_env(item.python, item.pins, item.cell.patch, say))
    else:
        env, facts = project_env(item.project, item.project_pins, say)
        cell = PreparedCell(env, project_code(item.project, facts), facts.as_record())
    env = cell.env
    what = (f", patched with {env.patch.name}" if env.patch else
            f", from {item.project.lock.name}" if item.project else "")
    say(f"env {item.cell.name}: Python {env.python_version}{what}, {'cached' if env.reused else 'built'} in "
        f"{time.monotonic() - started:.1f}s")
    return cell


def project_info(item: PlannedCell, prepared: PreparedCell) -> dict | None:
    """What a result records of a user's project: where it is, its lock file and what its settings say."""
    return None if item.project is None else {**item.project.describe(), **prepared.facts}


def headline_words(scenario: Scenario, summary: dict) -> str:
    headline = scenario.describe()["headline"]
    return f"{headline} {summary.get(headline)}"


def migrate_schemas(stack, cells: list[PreparedCell], logdir: Path) -> dict[ProjectCode, str]:
    """Run Django's migrations once per project (the built-in one with the first env that needs it) into the
    database its cell databases are copied from; that database's name by code."""
    schemas: dict[ProjectCode, str] = {}
    for cell in cells:
        if cell.code not in schemas:
            name = SCHEMA_DB if not schemas else f"{SCHEMA_DB}{len(schemas)}"
            migrate_schema(stack, cell, name, logdir / f"schema{len(schemas) or ''}")
            schemas[cell.code] = name
    return schemas


def migrate_schema(stack, cell: PreparedCell, name: str, logdir: Path) -> None:
    settings = build({"conn_max_age": 0, "pool": "solo", "concurrency": 1}, "schema migration")
    variables = project_variables(settings, stack.create_database(name), "redis://127.0.0.1:1/0", cell.code)
    DjangoProject(cell.env, {**variables, "REPRO_MIGRATING": "1"}, logdir, cell.code).migrate()


def measure_cell(stack, scenario: Scenario, item: PlannedCell, cell: PreparedCell, schemas: dict[ProjectCode, str],
                 count: int, logdir: Path, progress: Callable[..., None] = quiet, fixed_count: bool = False) -> dict:
    """One cell run: fresh database and broker namespace, the probes around the workload, the derived numbers
    (`fixed_count`: the count was asked for, no sequential stopping)."""
    settings, workload = scenario.cell_settings(item.cell), scenario.cell_workload(item.cell)
    started_at = datetime.now(timezone.utc).isoformat()
    with max_connections(stack, settings.harness.pg_max_connections), \
            consumer_timeout(stack, settings.harness.rabbitmq_consumer_timeout_s):
        db, setting_up = f"cell{item.index:02d}", time.monotonic()
        dsn = stack.create_database(db, template=schemas[cell.code])
        broker = stack.broker_url(settings.harness.broker, item.index)
        project = DjangoProject(cell.env, project_variables(settings, dsn, broker, cell.code), logdir, cell.code)
        prefix = f"c{item.index:02d}"
        run = CellRun(stack, project, settings, count, db, dsn, prefix, f"{prefix}-{item.cell.celery}",
                      progress=progress, fixed_count=fixed_count)
        run.timings["cell_setup_s"] = seconds_since(setting_up)  # the database copy and the broker namespace
        around_workload(run, workload, scenario.probes)
    derived = scenario.derive(run.summary, {**run.data, "series": run.series, "settings": run.settings,
                                            "tasks": workload.tasks})
    return {"run": run, "workload": workload, "count": count, "started_at": started_at,
            "summary": {**run.summary, **derived}, "progress": workload.progress(run.summary)}


def around_workload(run: CellRun, workload: Workload, probes: tuple) -> None:
    """Cell probes, then the process under load, then server probes around the workload; each left in reverse."""
    with ExitStack() as cell_scope:
        starting = time.monotonic()
        for probe in (p for p in probes if p.scope == "cell"):
            cell_scope.enter_context(probe.measure(run))
        run.timings["probes_start_s"], starting = seconds_since(starting), time.monotonic()
        with workload.server(run) as server:
            run.server, run.timings["server_start_s"] = server, seconds_since(starting)
            with ExitStack() as server_scope:
                for probe in (p for p in probes if p.scope == "server"):
                    server_scope.enter_context(probe.measure(run))
                working = time.monotonic()
                workload.run(run)
                run.timings["workload_s"] = seconds_since(working)
            stopping = time.monotonic()
        run.timings["server_stop_s"], finishing = seconds_since(stopping), time.monotonic()
        workload.finish(run)
        run.timings["finish_s"], closing = seconds_since(finishing), time.monotonic()
    run.timings["probes_stop_s"] = seconds_since(closing)
    run.panels = [*workload.panels, *(probe.panel for probe in probes if probe.panel)]


def seconds_since(start: float) -> float:
    return round(time.monotonic() - start, 3)


def cell_record(scenario: Scenario, item: PlannedCell, env: CellEnv, runs: list[dict], context: dict) -> CellRecord:
    """The result record of one cell; with repeats, the summary holds medians, `stats` their intervals, and the
    verdict comes from the intervals."""
    first, run, claim = runs[0], runs[0]["run"], item.cell.claim
    summaries = [measured["summary"] for measured in runs]
    repeated = len(runs) > 1
    stats = combine(summaries) if repeated else None
    summary = median_summary(summaries, stats) if repeated else first["summary"]
    verdict = interval_verdict(scenario.verdict, summaries, stats) if repeated else scenario.verdict(summary)
    repeats = [Repeat(s, scenario.verdict(s), m["started_at"]) for s, m in zip(summaries, runs)] if repeated else None
    workload = first["workload"]
    return CellRecord(
        scenario=ScenarioInfo(**scenario.describe()),
        cell=CellInfo(item.index, item.cell.name, ClaimInfo(claim.expect, claim.source) if claim else None),
        pins=item.pins, python=env.python_version, settings=run.settings,
        workload=WorkloadInfo(workload.kind, workload.tasks, first["count"], workload.unit + "s", workload.params()),
        started_at=first["started_at"], finished_at=datetime.now(timezone.utc).isoformat(),
        timings={**run.timings, "env_reused": env.reused}, probes=run.probes, series=run.series, panels=run.panels,
        phases=run.data.get("phases"), errors=run.data.get("errors", {}), fault=run.data.get("fault"),
        parent_checks=run.data.get("parent_checks", []), web_load=run.data.get("web_load"),
        completions=run.data.get("completions"), patch=PatchInfo(**env.patch.as_record()) if env.patch else None,
        summary=summary, verdict=verdict, stats=stats, repeats=repeats,
        agrees_with_claim=None if claim is None else claim.expect == verdict, **context)
