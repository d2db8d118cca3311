"""Reports of a run from its result files: a rich table on the terminal, Markdown and a chart on disk."""
from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from harness import compare
from harness.errors import HarnessError
from harness.plots import draw_run_chart
from harness.results import load_results, write_atomic
from harness.scenario import all_scenarios


def seed_sentences(records: list[dict]) -> list[str]:
    """The scenario's own verdict on each sentence of its seed, computed from these results alone."""
    scenario = all_scenarios().get(records[0]["scenario"]["name"]) if records else None
    return scenario.assess(records) if scenario else []


def table_lines(records: list[dict]) -> list[str]:
    """The side-by-side table in Markdown."""
    header = compare.columns(records)
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
            *("| " + " | ".join(row) + " |" for row in compare.rows(records))]


def claims_lines(records: list[dict]) -> list[str]:
    """The claims table in Markdown (result files by name: they sit next to the report)."""
    rows = [[*row[:-1], Path(row[-1]).name] for row in compare.claim_rows(records)]
    return ["| " + " | ".join(compare.CLAIM_COLUMNS) + " |", "|" + "---|" * len(compare.CLAIM_COLUMNS),
            *("| " + " | ".join(row) + " |" for row in rows)]


def markdown(records: list[dict], chart_name: str) -> str:
    """The run's side-by-side table, findings and provenance as a Markdown page."""
    scenario = records[0]["scenario"]
    lines = [f"# {scenario['name']}: {scenario['title']}", "", f"Claim under test: {scenario['claim']}", "",
             f"Verdict rule: {scenario['verdict_rule']}.", "", *table_lines(records)]
    lines += ["", "## Findings", ""] + [f"- {line}" for line in compare.findings(records)]
    lines += ["", "## Claims", "", *claims_lines(records)]
    if sentences := seed_sentences(records):
        lines += ["", "## Seed sentences", ""] + [f"- {line}" for line in sentences]
    lines += ["", f"![{scenario['name']}]({chart_name})", "", "## Provenance", ""]
    return "\n".join(lines + [f"- {line}" for line in provenance(records)]) + "\n"


def provenance(records: list[dict]) -> list[str]:
    """Where the numbers come from: servers, host, scenario source, each cell's Python, pins and file."""
    first, scenario = records[0], records[0]["scenario"]
    lines = [f"servers: {', '.join(f'{k} {v}' for k, v in first['servers'].items())}; "
             f"stack {first['stack']['kind']} healthy in {first['stack']['start_s']} s",
             f"host: {first['host']['platform']}, {first['host']['cpu_count']} cpus, {first['host']['memory_gib']} GiB",
             f"scenario source hash: {scenario['source_hash']}"]
    for record in records:
        pins = ", ".join(f"{k} {v}" for k, v in record["pins"].items())
        lines.append(f"{record['cell']['name']}: Python {record['python']}; {pins}; "
                     f"settings {record['settings']}; file {Path(record['file']).name}")
    return lines


def print_table(records: list[dict], console: Console) -> None:
    table = Table(title=f"{records[0]['scenario']['name']}: {records[0]['scenario']['title']}")
    for column in compare.columns(records):
        table.add_column(column, overflow="fold")
    for row in compare.rows(records):
        style = "red" if row[-1] == "DISAGREES" else None
        table.add_row(*map(escape, row), style=style)
    console.print(table)
    for line in [*compare.findings(records), *seed_sentences(records)]:
        console.print(f"  {escape(line)}")


def build_report(run: Path, console: Console) -> tuple[Path, Path]:
    """Rebuild table, Markdown and chart of one run directory from its JSON files alone."""
    try:
        records = load_results(run)
    except ValueError as error:
        raise HarnessError(str(error)) from None
    if not records:
        raise HarnessError(f"no result files in {run}")
    name = records[0]["scenario"]["name"]
    chart = draw_run_chart(records, run / f"{name}.png")
    page = write_atomic(run / "report.md", markdown(records, chart.name))
    print_table(records, console)
    return page, chart
