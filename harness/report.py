"""Terminal and Markdown renderings of a run's report model; `write_report` writes them with the chart."""
from __future__ import annotations

from pathlib import Path

from rich import table as rich_table
from rich.console import Console
from rich.markup import escape

from harness.errors import HarnessError
from harness.plots import draw_run_chart
from harness.report_model import RunReport, Table, build, label
from harness.atomic import write_atomic

ROW_STYLES = {"disagrees": "red", "refuted": "red", "inconclusive": "yellow"}
VERDICT_STYLES = {"broken": "red", "fixed": "green"}


def terminal_table(table: Table, title: str) -> rich_table.Table:
    """A rich table of any model table: rows styled by status, verdicts coloured; columns wrap at spaces only
    (each at least as wide as its longest word)."""
    shown = rich_table.Table(title=escape(title), title_justify="left")
    for index, column in enumerate(table.columns):
        header = label(column)
        words = [word for text in (header, *(row[index] for row in table.rows)) for word in text.split()]
        shown.add_column(header, min_width=max(map(len, words), default=1))
    for row, status in zip(table.rows, table.status):
        cells = [_terminal_cell(column, value, table.verdict_column) for column, value in zip(table.columns, row)]
        shown.add_row(*cells, style=ROW_STYLES.get(status))
    return shown


def _terminal_cell(column: str, value: str, verdict_column: str | None) -> str:
    style = VERDICT_STYLES.get(value) if column == verdict_column else None
    return f"[{style}]{escape(value)}[/{style}]" if style else escape(value)


def print_notice(report: RunReport, console: Console) -> None:
    if report.notice:
        console.print(f"  [yellow]note:[/yellow] {escape(report.notice)}")


def print_report(report: RunReport, console: Console, wide: bool = False) -> None:
    """The compact cells table (every metric with `wide`), then one line per finding and per claim line."""
    table = report.cells if wide or report.summary is None else report.summary
    console.print(terminal_table(table, f"{report.name}: {report.title}"))
    for line in [*report.findings, *report.assessment]:
        console.print(f"  {escape(line)}")
    print_notice(report, console)


def print_claims(report: RunReport, console: Console) -> None:
    """The claims table of the run and the scenario's claim lines."""
    run = f" ({report.run})" if report.run else ""
    console.print(terminal_table(report.claims, f"{report.name}: {report.title}{run}"))
    for line in report.assessment:
        console.print(f"  - {escape(line)}")
    print_notice(report, console)


def markdown_table(table: Table) -> list[str]:
    """Any model table in Markdown (pipes inside values escaped)."""
    def line(values: list[str]) -> str:
        return "| " + " | ".join(value.replace("|", "\\|") for value in values) + " |"

    return [line(table.columns), "|" + "---|" * len(table.columns), *(line(row) for row in table.rows)]


def bullets(lines: list[str]) -> list[str]:
    return [f"- {line}" for line in lines]


def markdown(report: RunReport) -> str:
    """The run's cells table, findings, claims, claim lines, chart and provenance as a Markdown page."""
    lines = [f"# {report.name}: {report.title}", "", f"Claim under test: {report.claim}", "",
             f"Verdict rule: {report.verdict_rule}.", "", *markdown_table(report.cells)]
    lines += ["", "## Findings", "", *bullets(report.findings), "", "## Claims", "", *markdown_table(report.claims)]
    lines += markdown_assessment(report)
    lines += ["", f"![{report.name}]({report.chart})", "", "## Provenance", "", *bullets(report.provenance)]
    return "\n".join(lines) + "\n"


def markdown_notice(report: RunReport) -> list[str]:
    return [f"> Note: {report.notice}"] if report.notice else []


def markdown_assessment(report: RunReport) -> list[str]:
    """The claim lines under their heading, or the notice saying why there are none."""
    if report.notice:
        return ["", *markdown_notice(report)]
    return ["", "## Claim lines", "", *bullets(report.assessment)] if report.assessment else []


def write_report(run: Path, records: list[dict], console: Console, wide: bool = False) -> tuple[Path, Path]:
    """Table, Markdown and chart of a run's records (read once by the caller); report.md and chart paths."""
    if not records:
        raise HarnessError(f"no readable result files in {run}")
    report = build(records)
    chart = draw_run_chart(records, run / report.chart)
    page = write_atomic(run / "report.md", markdown(report))
    print_report(report, console, wide)
    return page, chart
