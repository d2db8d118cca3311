"""The report of one run, built once from its records: tables, findings, claim lines, provenance, chart name."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from harness.compare import agreement, claim_status, claim_text, fmt_stat, significance
from harness.scenario import all_scenarios
from harness.settings import GROUPS
from harness.applicability import postgres_databases

FIXED_COLUMNS = ("cell", "celery", "python")
CLAIM_COLUMNS = ("claim (source)", "cell", "expected", "measured", "number", "status", "result file")


@dataclass(frozen=True)
class Table:
    """Printable rows under named columns; per row a status for styling ('disagrees', 'refuted', ... or '');
    `verdict_column` names the column whose values are verdicts (coloured by renderers that can)."""

    columns: list[str]
    rows: list[list[str]]
    status: list[str]
    verdict_column: Optional[str] = None


@dataclass(frozen=True)
class RunReport:
    """What every renderer shows of one run. `assessment` holds the scenario's claim lines, recomputed only when
    the scenario's source is the one that judged the run; otherwise it is empty and `notice` says why."""

    name: str
    title: str
    claim: str
    verdict_rule: str
    run: Optional[Path]
    cells: Table  # every metric (Markdown, HTML, `--wide` on a terminal)
    findings: list[str]
    claims: Table
    assessment: list[str] = field(default_factory=list)
    notice: Optional[str] = None
    provenance: list[str] = field(default_factory=list)
    chart: str = ""
    summary: Optional[Table] = None  # cell, Python, the headline, verdict, claim, agreement: fits 100 columns


def build(records: list[dict], scenario: Any = None) -> RunReport:
    """The report of one run's records (schema 2, in cell order). `scenario` is today's scenario object (with
    `source_hash` and `assess(records)`); by default it is looked up by the name stored in the records."""
    if not records:
        raise ValueError("no records to report")
    stored = records[0]["scenario"]
    current = scenario if scenario is not None else all_scenarios().get(stored["name"])
    assessment, notice = claim_lines(records, current)
    file = records[0].get("file")
    return RunReport(name=stored["name"], title=stored["title"], claim=stored["claim"],
                     verdict_rule=stored["verdict_rule"], run=Path(file).parent if file else None,
                     cells=cells_table(records), findings=findings(records), claims=claims_table(records),
                     assessment=assessment, notice=notice, provenance=provenance(records),
                     chart=f"{stored['name']}.png", summary=summary_table(records))


def claim_lines(records: list[dict], scenario: Any) -> tuple[list[str], Optional[str]]:
    """(claim lines, notice): today's code judges only runs its own source judged (asv's rule); verdicts are
    always the stored ones."""
    stored = sorted({record["scenario"]["source_hash"] for record in records})
    if scenario is None:
        return [], (f"scenario {records[0]['scenario']['name']} no longer exists: verdicts as stored, "
                    "claim lines not recomputed")
    if stored != [scenario.source_hash]:
        return [], (f"scenario changed since this run (source {', '.join(stored)} then, {scenario.source_hash} "
                    "now): verdicts as stored, claim lines not recomputed")
    return list(scenario.assess([record for record in records if not record.get("project")])), None


def cells_table(records: list[dict], metrics: list[str] | None = None, columns: tuple = FIXED_COLUMNS) -> Table:
    """One row per cell: its `columns` (of cell, celery, python), the metrics (default: every one the scenario
    reports), verdict and how it compares with the claim."""
    metrics = records[0]["scenario"]["metrics"] if metrics is None else metrics
    fixed = {"cell": lambda record: record["cell"]["name"], "celery": lambda record: record["pins"].get("celery", "-"),
             "python": lambda record: record["python"]}
    rows = [[*(fixed[column](record) for column in columns), *(fmt_stat(record, name) for name in metrics),
             record["verdict"], (record["cell"]["claim"] or {}).get("expect", "-"), agreement(record)]
            for record in records]
    status = [{"DISAGREES": "disagrees", "agrees": "agrees"}.get(row[-1], "") for row in rows]
    return Table([*columns, *metrics, "verdict", "claimed", "vs claim"], rows, status, "verdict")


def summary_table(records: list[dict]) -> Table:
    """The compact view: one row per cell with its Python, the headline number, verdict, claim and agreement."""
    return cells_table(records, [records[0]["scenario"]["headline"]], ("cell", "python"))


UNITS = {"kb": "KB", "mb": "MB", "pct": "%"}


def label(metric: str) -> str:
    """A metric's column name for people: 'sessions_per_task' -> 'sessions/task', 'recovery_s' -> 'recovery (s)',
    'fail_rss_slope_kb_per_task' -> 'fail rss slope KB/task'."""
    words: list[str] = []
    parts = metric.split("_")
    for index, part in enumerate(parts):
        if index and parts[index - 1] == "per" and words:
            words[-1] = f"{words[-1]}/{UNITS.get(part, part)}"
        elif part != "per" or index == len(parts) - 1:
            words.append("(s)" if part == "s" and index == len(parts) - 1 and index else UNITS.get(part, part))
    return " ".join(words)


def findings(records: list[dict]) -> list[str]:
    """One sentence per cell saying what was measured against what was claimed (and, with repeats, how each
    cell's headline compares with the first cell's)."""
    lines = []
    for record in records:
        headline = record["scenario"]["headline"]
        repeats = f" over {len(record['repeats'])} runs" if record.get("repeats") else ""
        lines.append(f"{record['cell']['name']}: {headline} = {fmt_stat(record, headline)}{repeats} -> "
                     f"{record['verdict']}; claim {claim_text(record)}: {agreement(record)}")
    return lines + significance(records)


def claims_table(records: list[dict]) -> Table:
    """One row per cell that carries a claim: who claims what, what was measured, and the file behind it."""
    rows, status = [], []
    for record in records:
        if claim := record["cell"]["claim"]:
            headline = record["scenario"]["headline"]
            rows.append([claim["source"], record["cell"]["name"], claim["expect"], record["verdict"],
                         f"{headline} {fmt_stat(record, headline)}", claim_status(record),
                         Path(record.get("file") or "-").name])
            status.append(claim_status(record))
    return Table(list(CLAIM_COLUMNS), rows, status, "measured")


def provenance(records: list[dict]) -> list[str]:
    """Where the numbers come from: servers, host, scenario source, the workload and settings every cell shares,
    then each cell's Python, pins, own workload and settings (a user's project: what its own settings say), and
    file."""
    first, shared = records[0], common_settings(records)
    same_workload = all(record["workload"] == first["workload"] for record in records)
    lines = [_servers_line(first), _host_line(first), f"scenario source hash: {first['scenario']['source_hash']}",
             *([f"workload: {workload_text(first['workload'])}"] if same_workload else []),
             f"settings of every cell: {settings_text(shared) or '-'}"]
    for record in records:
        pins = ", ".join(f"{name} {version}" for name, version in record["pins"].items())
        workload = "" if same_workload else f"; workload {workload_text(record['workload'])}"
        own = settings_text(own_settings(record, shared))
        file = Path(record["file"]).name if record.get("file") else "-"
        settings = project_text(record["project"]) if record.get("project") else own and f"settings {own}"
        lines.append(f"{record['cell']['name']}: Python {record['python']}; {pins}{workload}"
                     f"{'; ' + settings if settings else ''}; file {file}")
    return lines


def project_text(project: dict) -> str:
    """A user's project as it ran: where, its own database and Celery settings, and its signal handlers (the
    harness sets only the pool, concurrency and servers)."""
    databases = ", ".join(f"{alias}: CONN_MAX_AGE {_value_text(db['conn_max_age'])}, health checks "
                          f"{'on' if db['conn_health_checks'] else 'off'}"
                          for alias, db in postgres_databases(project).items())
    celery = ", ".join(f"{name} {_value_text(value)}" for name, value in project["celery"].items()
                       if value not in (None, {}, []))
    hooks = "; ".join(f"{signal}: {', '.join(names)}" for signal, names in (project.get("receivers") or {}).items()
                      if names and not all(name.startswith("celery.") for name in names))
    return (f"project {project['root']} (settings {project['settings']}, app {project['app']}, {project['lock']}); "
            f"databases {databases}; celery {celery or '-'}" + (f"; signal handlers {hooks}" if hooks else ""))


def _servers_line(record: dict) -> str:
    servers = ", ".join(f"{name} {version}" for name, version in (record.get("servers") or {}).items())
    stack = record.get("stack") or {}
    healthy = f" healthy in {stack['start_s']} s" if "start_s" in stack else ""
    return f"servers: {servers or '-'}; stack {stack.get('kind', '-')}{healthy}"


def _host_line(record: dict) -> str:
    host = record.get("host") or {}
    return (f"host: {host.get('platform', '-')}, {host.get('cpu_count', '-')} cpus, "
            f"{host.get('memory_gib', '-')} GiB")


def workload_text(workload: dict) -> str:
    """'burst: 500 tasks of touch_db' with its parameters, if any ('web_load; users 8, ...' when bounded in time)."""
    tasks = " then ".join(name.rsplit(".", 1)[-1] for name in workload["tasks"])
    params = ", ".join(f"{name} {_value_text(value)}" for name, value in workload.get("params", {}).items())
    amount = f": {workload['count']} {workload['units']} of {tasks}" if tasks else ""
    return f"{workload['kind']}{amount}{'; ' + params if params else ''}"


def common_settings(records: list[dict]) -> dict[str, dict[str, Any]]:
    """Grouped settings whose value is the same in every cell."""
    first = records[0]["settings"]
    return {group: {name: value for name, value in (first.get(group) or {}).items()
                    if all((record["settings"].get(group) or {}).get(name, object()) == value for record in records)}
            for group in (*GROUPS, "celery")}


def own_settings(record: dict, shared: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The cell's settings that not every cell shares."""
    return {group: {name: value for name, value in (values or {}).items() if name not in shared.get(group, {})}
            for group, values in record["settings"].items()}


def settings_text(grouped: dict[str, dict[str, Any]]) -> str:
    """'django: conn_max_age 60, db_pool false; worker: pool prefork' (empty groups left out)."""
    return "; ".join(f"{group}: " + ", ".join(f"{name} {_value_text(value)}" for name, value in values.items())
                     for group, values in grouped.items() if values)


def _value_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)
