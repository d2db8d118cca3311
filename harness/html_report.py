"""The static HTML site: an index and one page per scenario rendered from its report model, plus summary.md."""
from __future__ import annotations

from collections import Counter
from html import escape
from pathlib import Path

from harness.errors import HarnessError
from harness.paths import results_dir
from harness.plots import draw_run_chart
from harness.report import markdown_notice, markdown_table
from harness.report_model import RunReport, Table, build
from harness.atomic import write_atomic
from harness.results import latest_full_run, load_results
from harness.scenario import all_scenarios

STYLE = """body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1250px;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:13px}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left}
th{background:#f3f3f3}.broken{color:#c0392b;font-weight:600}.fixed{color:#27ae60;font-weight:600}
tr.disagrees,tr.refuted{background:#fdecea}tr.inconclusive{background:#fdf6e3}
img.chart{max-width:100%;border:1px solid #ddd}
.notice{background:#fdf6e3;border-left:4px solid #f1c40f;padding:.4em .8em}.wide{overflow-x:auto}code{font-size:12px}"""
VERDICT_CLASSES = ("broken", "fixed")


def page(title: str, body: list[str]) -> str:
    head = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f'<link rel="icon" href="data:,"><style>{STYLE}</style></head><body>')
    return "\n".join([head, *body, "</body></html>"]) + "\n"


def bullets(lines: list[str]) -> list[str]:
    return ["<ul>", *(f"<li>{escape(line)}</li>" for line in lines), "</ul>"]


def html_table(table: Table) -> list[str]:
    """Any model table: each row classed by its status, verdict cells by their verdict."""
    header = "<tr>" + "".join(f"<th>{escape(name)}</th>" for name in table.columns) + "</tr>"
    rows = [f"<tr{_class(status)}>" + "".join(_cell(column, value, table.verdict_column)
                                              for column, value in zip(table.columns, row)) + "</tr>"
            for row, status in zip(table.rows, table.status)]
    return ['<div class="wide"><table>', header, *rows, "</table></div>"]


def _class(name: str) -> str:
    return f' class="{escape(name)}"' if name else ""


def _cell(column: str, value: str, verdict_column: str | None) -> str:
    css = value if column == verdict_column and value in VERDICT_CLASSES else ""
    return f"<td{_class(css)}>{escape(value)}</td>"


def assessment_html(report: RunReport) -> list[str]:
    """The claim lines under their heading, or the notice saying why there are none."""
    if report.notice:
        return [f'<p class="notice">{escape(report.notice)}</p>']
    return ["<h2>Claim lines</h2>", *bullets(report.assessment)] if report.assessment else []


def scenario_page(report: RunReport) -> str:
    run = f" Run <code>{escape(report.run.name)}</code>." if report.run else ""
    body = ['<p><a href="index.html">all scenarios</a></p>',
            f"<h1>{escape(report.name)}: {escape(report.title)}</h1>",
            f"<p>Claim under test: {escape(report.claim)}</p>",
            f"<p>Verdict rule: {escape(report.verdict_rule)}.{run}</p>",
            *html_table(report.cells), "<h2>Findings</h2>", *bullets(report.findings),
            "<h2>Claims</h2>", *html_table(report.claims), *assessment_html(report),
            f'<img class="chart" src="{escape(report.chart)}" alt="{escape(report.name)} chart">',
            "<h2>Provenance</h2>", *bullets(report.provenance)]
    return page(report.name, body)


def index_row(name: str, title: str, records: list[dict]) -> str:
    if not records:
        return (f"<tr><td>{escape(name)}</td><td>{escape(title)}</td>"
                f"<td colspan=4>no run yet (harness run {escape(name)})</td></tr>")
    verdicts = ", ".join(f"{count} {verdict}" for verdict, count in Counter(r["verdict"] for r in records).items())
    disagree = sum(1 for record in records if record["agrees_with_claim"] is False)
    run = Path(records[0]["file"]).parent.name if records[0].get("file") else "-"
    return (f'<tr><td><a href="{escape(name)}.html">{escape(name)}</a></td><td>{escape(title)}</td>'
            f"<td>{len(records)}</td><td>{escape(verdicts)}</td>"
            f"<td>{disagree}</td><td><code>{escape(run)}</code></td></tr>")


def index_page(entries: list[tuple[str, str, list[dict]]]) -> str:
    header = "".join(f"<th>{name}</th>" for name in ("scenario", "reproduces", "cells", "verdicts",
                                                       "disagree with claim", "run"))
    rows = [index_row(name, title, records) for name, title, records in entries]
    return page("celery-repro results", ["<h1>celery-repro results</h1>",
                                         "<p>Each scenario's newest run of its default cells, from its result "
                                         "files.</p>", "<table>", f"<tr>{header}</tr>", *rows, "</table>"])


def summary_markdown(entries: list[tuple[str, str, RunReport | None]]) -> str:
    """Every scenario's cells table, findings and claim lines in Markdown (for a CI job summary)."""
    lines = ["# celery-repro results", ""]
    for name, title, report in entries:
        lines += [f"## {name}: {title}", ""]
        if report is None:
            lines += ["no run yet", ""]
            continue
        lines += [*markdown_table(report.cells), "", *(f"- {line}" for line in report.findings)]
        lines += [*(f"- {line}" for line in report.assessment), ""]
        lines += [*markdown_notice(report), ""] if report.notice else []
    return "\n".join(lines)


def newest_records(name: str, default_cells: set[str]) -> list[dict]:
    run = latest_full_run(name, default_cells)
    return load_results(run) if run else []


def build_site(out: Path | None = None) -> Path:
    """Write index.html, one page and chart per scenario with results, and summary.md; the index's path."""
    out = out or results_dir() / "site"
    entries, reports = [], []
    for name, scenario in all_scenarios().items():
        records = newest_records(name, {cell.name for cell in scenario.cells_named(None)})
        report = build(records, scenario) if records else None
        if report:
            draw_run_chart(records, out / report.chart)
            write_atomic(out / f"{name}.html", scenario_page(report))
        entries.append((name, scenario.title, records))
        reports.append((name, scenario.title, report))
    if not any(records for _, _, records in entries):
        raise HarnessError(f"no results under {results_dir()}: run a scenario first")
    write_atomic(out / "summary.md", summary_markdown(reports))
    return write_atomic(out / "index.html", index_page(entries))
