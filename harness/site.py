"""Building the static site from result files alone: each scenario's newest run of its default cells with its
files copied in, the headline over its last runs, its timeline charts, and every claim on the index."""
from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

from harness.atomic import write_atomic
from harness.compare import fmt_stat
from harness.errors import HarnessError
from harness.html_report import SiteFiles, index_page, scenario_page, summary_markdown
from harness.paths import results_dir
from harness.plots import draw_run_chart
from harness.report_model import CLAIM_COLUMNS, Table, build
from harness.results import latest_full_run, load_results, runs
from harness.scenario import all_scenarios

HISTORY_RUNS = 5  # runs shown in a scenario's history, newest first


def build_site(out: Path | None = None) -> Path:
    """Write index.html, one page, chart and copied run files per scenario with results, and summary.md; the
    index's path."""
    out = out or results_dir() / "site"
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    entries, reports, claims = [], [], Table(["scenario", *CLAIM_COLUMNS], [], [], "measured")
    for name, scenario in all_scenarios().items():
        run = latest_full_run(name, {cell.name for cell in scenario.cells_named(None)})
        records = load_results(run) if run else []
        report = build(records, scenario) if records else None
        if report:
            results, logs = copy_run(run, out / name)
            files = SiteFiles({file: f"{name}/{run.name}/{file}" for file in results},
                              [f"{name}/{run.name}/{log}" for log in logs], copy_timelines(name, out / name),
                              history(name, scenario.describe()["headline"]), generated)
            draw_run_chart(records, out / report.chart)
            write_atomic(out / f"{name}.html", scenario_page(report, files))
            for row, status in zip(report.claims.rows, report.claims.status):
                claims.rows.append([name, *row[:-1], files.results.get(row[-1], row[-1])])
                claims.status.append(status)
        entries.append((name, scenario.title, records))
        reports.append((name, scenario.title, report))
    if not any(records for _, _, records in entries):
        raise HarnessError(f"no results under {results_dir()}: run a scenario first")
    write_atomic(out / "summary.md", summary_markdown(reports))
    links = {row[-1]: row[-1] for row in claims.rows}
    return write_atomic(out / "index.html", index_page(claims, entries, generated, links))


def copy_run(run: Path, target: Path) -> tuple[list[str], list[str]]:
    """The run's result files and worker logs copied under target/<run id>/; their names and log paths."""
    into = target / run.name
    into.mkdir(parents=True, exist_ok=True)
    results, logs = [], []
    for result in sorted(run.glob("*.json")):
        shutil.copy2(result, into / result.name)
        results.append(result.name)
    for log in sorted(run.glob("logs/**/*.log")):
        relative = log.relative_to(run)
        (into / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(log, into / relative)
        logs.append(str(relative))
    return results, logs


def copy_timelines(name: str, target: Path) -> list[str]:
    """The scenario's timeline charts (from `harness timeline`), copied; their paths relative to the site."""
    charts = []
    for chart in sorted((results_dir() / name / "timeline").glob("*.png")):
        (target / "timeline").mkdir(parents=True, exist_ok=True)
        shutil.copy2(chart, target / "timeline" / chart.name)
        charts.append(f"{name}/timeline/{chart.name}")
    return charts


def history(name: str, headline: str) -> Table | None:
    """The headline per cell in the scenario's newest runs (None with fewer than two runs)."""
    newest = runs(name)[:HISTORY_RUNS]
    if len(newest) < 2:
        return None
    by_run = [{record["cell"]["name"]: fmt_stat(record, headline) for record in load_results(run)} for run in newest]
    cells = list(dict.fromkeys(cell for values in by_run for cell in values))
    rows = [[cell, *(values.get(cell, "-") for values in by_run)] for cell in cells]
    return Table(["cell", *(run.name for run in newest)], rows, [""] * len(rows))
