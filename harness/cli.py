"""The `harness` command line: list, run and report scenarios."""
from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import List, Optional

import functools
import json
from dataclasses import asdict
import os
import re

import typer
from rich.console import Console
from rich.markup import escape

from harness import releases
from harness.bisect import bisect
from harness.check import CHECK_FAILED, as_document, closing_line, expected_verdicts, problems
from harness.signals import exit_code, signal_name
from harness.errors import HarnessError
from harness.patches import patch_file
from harness.progress import LiveProgress
from harness.report import print_claims, write_report
from harness.report_model import build
from harness.results import latest_full_run, load_results
from harness.runner import plan, run_scenario
from harness.scenario import all_scenarios, get_scenario
from harness.stacks import open_stack

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Reproduce Celery + Django production bugs on real services, release against release.")
JSON_HELP = "print one JSON document on stdout (everything else goes to stderr)"
CHECK_HELP = "exit 3 when a claim is refuted (or, with --expect, a verdict differs)"
EXPECT_HELP = "a JSON object of cell name -> expected verdict; exit 3 on any difference"
WIDE_HELP = "the full table: every metric of every cell (the default shows the headline only)"
MAX_TASKS = 100_000  # a burst queued at once: about 1 KB per message in Redis and a ledger row each; hours of work
MAX_REPEAT = 20


# on a terminal long lines wrap at words; in a pipe or a log each message stays one line
console = Console(highlight=False, soft_wrap=not sys.stdout.isatty(), width=None if sys.stdout.isatty() else 160)


def _version(asked: bool) -> None:
    if asked:
        from importlib.metadata import PackageNotFoundError, version

        try:
            print(f"celery-repro {version('celery-repro')}")
        except PackageNotFoundError:
            print("celery-repro (not installed: run it through make or uv run)")
        raise typer.Exit(0)


@app.callback()
def main_options(show_version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                                   help="print the harness's version and exit")) -> None:
    """Reproduce Celery + Django production bugs on real services, release against release."""


def friendly(command):
    """One-line errors (exit 2 for what the user can fix, 1 otherwise); Ctrl-C stops everything, exit 130."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except typer.Exit:
            raise
        except HarnessError as error:
            console.print(f"[red]error:[/red] {escape(str(error))}", soft_wrap=True)
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            console.print(f"[yellow]interrupted ({signal_name()}):[/yellow] servers and workers stopped; the "
                          "interrupted cell wrote no result (cells finished before it kept theirs)")
            raise typer.Exit(exit_code()) from None
        except Exception as error:
            if os.environ.get("REPRO_DEBUG"):
                raise
            console.print(f"[red]error:[/red] {type(error).__name__}: {escape(str(error).strip())} "
                          "(REPRO_DEBUG=1 shows the traceback)", soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper


@app.command("list")
@friendly
def list_scenarios(as_json: bool = typer.Option(False, "--json", help="print every scenario's declaration and "
                                                "the CI matrix of default cells as JSON")) -> None:
    """Show every scenario: claim, settings, workload, cells and verdict rule (starts nothing)."""
    if as_json:
        from harness.matrix import listing

        print(json.dumps(listing(), indent=1))
        return
    for scenario in all_scenarios().values():
        console.print(f"[bold]{scenario.name}[/bold]: {scenario.title}")
        console.print(escape(f"  claim: {scenario.claim}"))
        console.print(escape(f"  services: {', '.join(scenario.services)}; "
                             f"settings: {_settings_text(scenario.settings)}"))
        console.print(escape(f"  workload: {scenario.workload.describe()}; probes: "
                             f"{', '.join(probe.name for probe in scenario.probes)}"))
        console.print(f"  verdict: {scenario.verdict_rule}; metrics: {', '.join(scenario.metrics)}")
        for cell in scenario.cells:
            claim = f"{cell.claim.expect} per {cell.claim.source}" if cell.claim else "no claim"
            extra = f" py{cell.python}" if cell.python else ""
            extra += f" pins {_settings_text(cell.pins)}" if cell.pins else ""
            extra += f" patched with {cell.patch.name}" if cell.patch else ""
            extra += f" settings {_settings_text(cell.settings)}" if cell.settings else ""
            extra += f"; workload {cell.workload.describe()}" if cell.workload else ""
            optional = " (optional: run it with --cell)" if cell.optional else ""
            console.print(escape(f"  - cell {cell.name}: celery {cell.celery}{extra}; expected {claim}{optional}"))


def _settings_text(settings: dict) -> str:
    return ", ".join(f"{name}={value}" for name, value in settings.items())


@app.command()
@friendly
def run(
    scenario: str = typer.Argument(..., help="scenario name, see `harness list`"),
    celery: Optional[List[str]] = typer.Option(None, "--celery", help="run this Celery release instead of the "
                                               "default cells (repeatable)"),
    cell: Optional[List[str]] = typer.Option(None, "--cell", help="run only the default cell of this name "
                                             "(repeatable; names in `harness list`)"),
    python: Optional[str] = typer.Option(None, "--python", help="with --celery: the Python minor version to run "
                                         "it on, e.g. 3.13 (default: by release, 5.3 on: 3.11; see the README)"),
    patch: Optional[Path] = typer.Option(None, "--patch", help="with --celery: a unified diff to apply to the "
                                         "cell's installed packages (paths like a/celery/app/trace.py)"),
    tasks: Optional[int] = typer.Option(None, "--tasks", min=1, help="tasks per burst, a fixed count (default: "
                                        "the scenario's, whose phases may stop at an earlier decided look; at most "
                                        f"{MAX_TASKS} without --no-limits)"),
    stack: str = typer.Option("local", "--stack", help="local (own server processes) or compose"),
    repeat: int = typer.Option(1, "--repeat", min=1, help="independent runs per cell (fresh worker each); "
                               "numbers become medians with intervals, verdicts come from the intervals "
                               f"(at most {MAX_REPEAT} without --no-limits)"),
    no_limits: bool = typer.Option(False, "--no-limits", help="allow --tasks and --repeat beyond what fits a "
                                   "machine like this one (memory, hours)"),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    check: bool = typer.Option(False, "--check", help=CHECK_HELP),
    expect: Optional[Path] = typer.Option(None, "--expect", help=EXPECT_HELP),
    wide: bool = typer.Option(False, "--wide", help=WIDE_HELP),
    project: Optional[Path] = typer.Option(None, "--project", help="a Django project's directory: adds a cell "
                                           "running the workload in its own settings, Celery app and lock file"),
    settings: Optional[str] = typer.Option(None, "--settings", help="with --project: its settings module (default: "
                                           "the one its manage.py sets)"),
    celery_app: Optional[str] = typer.Option(None, "--app", help="with --project: its Celery app as MODULE:ATTR "
                                             "(default: found in a package's celery.py)"),
    task: Optional[str] = typer.Option(None, "--task", help="with --project: one of its tasks (dotted name) to send "
                                       "in place of the scenario's task, where the scenario takes one "
                                       "(docs/own-project.md)"),
    task_args: str = typer.Option("[]", "--args", help="with --task: its arguments as JSON, a list or an object "
                                  "of keyword arguments"),
) -> None:
    """Run a scenario's cells side by side and write results, a table and a chart."""
    _json_mode(as_json)
    expected = expected_verdicts(expect)
    _within_limits(tasks, repeat, no_limits)
    for release in celery or []:
        releases.version(release)
    chosen, stack_factory = get_scenario(scenario), open_stack(stack)
    started = time.monotonic()
    cells = plan(chosen, celery, cell, python=_python_minor(python), patch=patch_file(patch) if patch else None,
                 stack=stack, project=_project(project, settings, celery_app, task),
                 project_task=(task, _json_args(task_args)) if task else None)
    with LiveProgress(console) as live:
        directory = run_scenario(chosen, cells, stack_factory, say, count=tasks, repeat=repeat,
                                 progress=live.for_cell)
    records = load_results(directory)
    page, chart = write_report(directory, records, console, wide)
    console.print(f"results: {directory}  report: {page.name}  chart: {chart.name}  "
                  f"({time.monotonic() - started:.1f}s)")
    _conclude(chosen.name, directory, records, page, as_json, check, expected)


def _conclude(name: str, directory: Path, records: list[dict], page: Path, as_json: bool, check: bool,
              expected: dict) -> None:
    """The closing line, the JSON document on stdout when asked, and --check's verdict (exit 3 on a problem)."""
    console.print(escape(closing_line(name, records, page)))
    if as_json:
        print(as_document(name, directory, records))
    if check or expected:
        found = problems(records, expected)
        for line in found:
            console.print(f"[red]check:[/red] {escape(line)}")
        if found:
            raise typer.Exit(CHECK_FAILED)


def _json_mode(enabled: bool) -> None:
    """With --json, stdout carries one JSON document; everything else the command says goes to stderr."""
    if enabled:
        console.file = sys.stderr


def _within_limits(tasks: int | None, repeat: int, no_limits: bool) -> None:
    """A one-line error for counts that would fill the broker or run for a day, unless --no-limits."""
    if no_limits:
        return
    if tasks is not None and tasks > MAX_TASKS:
        raise HarnessError(f"--tasks {tasks} is more than {MAX_TASKS} (the whole burst is queued at once): "
                           "add --no-limits to run it anyway")
    if repeat > MAX_REPEAT:
        raise HarnessError(f"--repeat {repeat} is more than {MAX_REPEAT}: add --no-limits to run it anyway")


def _project(root: Path | None, settings: str | None, celery_app: str | None, task: str | None = None):
    """The user's project of --project (found from its files), or None; --settings, --app and --task need it."""
    if root is None:
        if settings or celery_app or task:
            raise HarnessError("--settings, --app and --task describe a project: name its directory with --project")
        return None
    from harness.sut.user_project import find_project

    return find_project(root, settings, celery_app)


def _json_args(text: str) -> str:
    """--args as given, once it is known to be a JSON list or object; a one-line error otherwise."""
    try:
        value = json.loads(text)
    except ValueError as error:
        raise HarnessError(f"--args is not JSON ({error}): give a list like '[1, \"a\"]' or an object") from None
    if not isinstance(value, (list, dict)):
        raise HarnessError(f"--args takes a JSON list of arguments or an object of keyword arguments, not {text}")
    return text


def _python_minor(python: str | None) -> str | None:
    """'3.13' as given; a one-line error for anything that is not a minor version."""
    if python is not None and not re.fullmatch(r"3\.\d{1,2}", python):
        raise HarnessError(f"--python takes a minor version like 3.13 (got {python!r})")
    return python


@app.command("bisect")
@friendly
def bisect_command(
    scenario: str = typer.Argument(..., help="scenario name, see `harness list`"),
    good: str = typer.Option(..., "--good", help="the older release, with the verdict before the change"),
    bad: str = typer.Option(..., "--bad", help="a newer release, with the other verdict"),
    pre: bool = typer.Option(False, "--pre", help="include pre-releases between them"),
    tasks: Optional[int] = typer.Option(None, "--tasks", min=1, help="tasks per burst (default: the scenario's)"),
    stack: str = typer.Option("local", "--stack", help="local (own server processes) or compose"),
    metric: Optional[str] = typer.Option(None, "--metric", help="summary number to print per release "
                                         "(default: the scenario's headline)"),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Binary-search the registry's releases between --good and --bad for the first one with --bad's verdict."""
    _json_mode(as_json)
    if releases.version(good) >= releases.version(bad):
        raise HarnessError(f"--good {good} is not older than --bad {bad}: --good names the release before the "
                           "change, --bad the first known one after it")
    chosen, stack_factory, metric, candidates = _release_range("bisect", scenario, good, bad, pre, stack, metric)
    boundary, probes = bisect(chosen, candidates, tasks, stack_factory, say)
    _print_probes(probes, metric, with_file=True)
    flipped = probes[-1].verdict
    console.print(escape(f"first release that is '{flipped}': {boundary} ({len(probes)} of {len(candidates)} "
                         f"releases measured)"))
    if as_json:
        print(json.dumps({"scenario": scenario, "boundary": boundary, "verdict": flipped, "metric": metric,
                          "releases_in_range": candidates, "probes": [asdict(probe) for probe in probes]}))


@app.command()
@friendly
def timeline(
    scenario: str = typer.Argument(..., help="scenario name, see `harness list`"),
    first: str = typer.Option(..., "--from", help="oldest release of the range"),
    last: str = typer.Option(..., "--to", help="newest release of the range"),
    pre: bool = typer.Option(False, "--pre", help="include pre-releases"),
    tasks: Optional[int] = typer.Option(None, "--tasks", min=1, help="tasks per burst (default: the scenario's)"),
    metric: Optional[str] = typer.Option(None, "--metric", help="summary number to chart (default: headline)"),
    stack: str = typer.Option("local", "--stack", help="local (own server processes) or compose"),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Measure every release from --from to --to (reusing bisect's cache), chart the metric, mark the flips."""
    _json_mode(as_json)
    from harness.timeline import boundaries, run_timeline, write_timeline

    chosen, stack_factory, metric, candidates = _release_range("timeline", scenario, first, last, pre, stack, metric)
    probes = run_timeline(chosen, candidates, tasks, stack_factory, say)
    _print_probes(probes, metric)
    flips = boundaries(probes)
    console.print(escape("verdict flips: " + ("; ".join(f"{a} -> {b}" for a, b in flips) or "none")))
    page, chart = write_timeline(chosen, probes, metric)
    console.print(escape(f"timeline: {page}  chart: {chart}"))
    if as_json:
        print(json.dumps({"scenario": scenario, "metric": metric, "flips": flips, "page": str(page),
                          "chart": str(chart), "probes": [asdict(probe) for probe in probes]}))


def _release_range(verb: str, name: str, first: str, last: str, pre: bool, stack: str, metric: str | None):
    """What bisect and timeline both start from: scenario, stack, the metric to show, the registry's releases."""
    chosen, stack_factory = get_scenario(name), open_stack(stack)
    metric = _known_metric(chosen, metric)
    candidates = releases.between(first, last, pre)
    say(f"{verb} {name}: {len(candidates)} releases from {candidates[0]} to {candidates[-1]}")
    return chosen, stack_factory, metric, candidates


def _print_probes(probes, metric: str, with_file: bool = False) -> None:
    """One line per measured release: verdict and metric (and result file), or why it could not run."""
    from harness.timeline import UNRUNNABLE

    for probe in probes:
        shown = probe.file if probe.verdict == UNRUNNABLE else f"{metric} = {probe.metric(metric)}"
        file = f"  {probe.file}" if with_file and probe.verdict != UNRUNNABLE else ""
        console.print(escape(f"  {probe.release:>10}  {probe.verdict:<12} {shown}{file}"))


def _known_metric(scenario, metric: str | None) -> str:
    """The metric asked for, or the headline; a one-line error for a name the scenario does not report."""
    headline = scenario.describe()["headline"]
    if metric is None:
        return headline
    if metric not in scenario.metrics and metric != headline:
        raise HarnessError(f"{scenario.name} has no metric '{metric}' (metrics: {', '.join(scenario.metrics)})")
    return metric


@app.command()
@friendly
def claims(as_json: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Every scenario's claims, agreeing with the measurement or not, from its newest run of the default cells."""
    _json_mode(as_json)
    document = []
    for name, scenario in all_scenarios().items():
        run = latest_full_run(name, {cell.name for cell in scenario.cells_named(None)})
        records = load_results(run) if run else []
        if not records:
            console.print(f"[bold]{name}[/bold]: no run yet (make scenario NAME={name})")
            document.append({"scenario": name, "run": None})
            continue
        report_of_run = build(records, scenario)
        print_claims(report_of_run, console)
        table = report_of_run.claims
        document.append({"scenario": name, "run": str(run), "columns": table.columns, "rows": table.rows,
                         "claim_lines": report_of_run.assessment})
    if as_json:
        print(json.dumps(document))


@app.command()
@friendly
def report(
    scenario: Optional[str] = typer.Argument(None, help="scenario name (not needed with --html)"),
    run: Optional[Path] = typer.Option(None, "--run", help="run directory (default: the newest that holds every "
                                       "default cell, as claims and --html use; else the newest)"),
    html: bool = typer.Option(False, "--html", help="build the static site of every scenario's newest default run"),
    out: Optional[Path] = typer.Option(None, "--out", help="where --html writes the site (default: results/site)"),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    check: bool = typer.Option(False, "--check", help=CHECK_HELP),
    expect: Optional[Path] = typer.Option(None, "--expect", help=EXPECT_HELP),
    wide: bool = typer.Option(False, "--wide", help=WIDE_HELP),
) -> None:
    """Rebuild the table, Markdown report and chart of a run from its JSON files alone (or, with --html, a site)."""
    _json_mode(as_json)
    if html:
        from harness.site import build_site

        console.print(f"site: {build_site(out)}")
        return
    if scenario is None:
        raise HarnessError("name a scenario, or pass --html for the site of every scenario")
    chosen = get_scenario(scenario)
    directory = run or latest_full_run(scenario, {cell.name for cell in chosen.cells_named(None)})
    if directory is None:
        raise HarnessError(f"no results for '{scenario}' yet: run `harness run {scenario}` first")
    expected, records = expected_verdicts(expect), load_results(directory)
    page, chart = write_report(directory, records, console, wide)
    console.print(f"report: {page}  chart: {chart}")
    _conclude(scenario, directory, records, page, as_json, check, expected)


@app.command()
@friendly
def doctor(
    project: Path = typer.Option(..., "--project", help="the Django project's directory"),
    settings: Optional[str] = typer.Option(None, "--settings", help="its settings module (default: from manage.py)"),
    celery_app: Optional[str] = typer.Option(None, "--app", help="its Celery app as MODULE:ATTR (default: found in "
                                             "a package's celery.py)"),
) -> None:
    """Which claims apply to a project's pinned releases and settings, with what was measured (starts nothing; exit
    2 when its settings name a host that is not this machine)."""
    from harness.doctor import REFUSED, diagnose, report_lines

    found = diagnose(_project(project, settings, celery_app), say)
    for line in report_lines(found):
        console.print(escape(line), soft_wrap=True)
    if found.refused:
        raise typer.Exit(REFUSED)


@app.command("compose-args")
@friendly
def compose_args(
    scenario: str = typer.Argument(..., help="scenario name"),
    cell: str = typer.Option(..., "--cell", help="a cell of the scenario (names in `harness list`)"),
) -> None:
    """Print a cell's Python and exact pins as Docker build arguments (KEY=VALUE lines, usable as --env-file)."""
    from harness.stacks.images import build_args

    [item] = plan(get_scenario(scenario), names=[cell], stack="compose")
    print("\n".join(f"{key}={value}" for key, value in build_args(item.python, item.pins).items()))


@app.command("clean-cache")
@friendly
def clean_cache_command() -> None:
    """Delete the cached cell virtualenvs, wheels and resolved pins (only what the harness created there)."""
    from harness.paths import clean_cache

    path, deleted = clean_cache()
    console.print(escape(f"{path}: deleted {', '.join(deleted) or 'nothing (already clean)'}"))


def say(message: str) -> None:
    console.print(f"[dim]{time.strftime('%H:%M:%S')}[/dim] {escape(message)}")
