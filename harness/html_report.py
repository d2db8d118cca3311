"""The static HTML site's pages: the index of every claim and scenario, one page per scenario, summary.md."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Optional

from harness.pages import PAGE_NOTE, PAGES
from harness.report import markdown_notice, markdown_table
from harness.report_model import RunReport, Table, label

STYLE = """body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1200px;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:13px;max-width:100%}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;overflow-wrap:anywhere;vertical-align:top}
th{background:#f3f3f3}.broken{color:#c0392b;font-weight:600}.fixed{color:#27ae60;font-weight:600}
tr.disagrees,tr.refuted{background:#fdecea}tr.inconclusive{background:#fdf6e3}
img.chart{max-width:100%;border:1px solid #ddd}li,p{overflow-wrap:anywhere}
.notice{background:#fdf6e3;border-left:4px solid #f1c40f;padding:.4em .8em}code{font-size:12px}"""
VERDICT_CLASSES = ("broken", "fixed")


@dataclass(frozen=True)
class SiteFiles:
    """What a scenario page links besides its chart (paths relative to the site), and when the site was built."""

    results: dict[str, str] = field(default_factory=dict)  # result file name -> its copy
    logs: list[str] = field(default_factory=list)
    timelines: list[str] = field(default_factory=list)  # the scenario's timeline charts
    history: Optional[Table] = None  # the headline per cell over the last runs
    generated: str = ""


def page(title: str, body: list[str]) -> str:
    head = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f'<link rel="icon" href="data:,"><style>{STYLE}</style></head><body>')
    return "\n".join([head, *body, "</body></html>"]) + "\n"


def bullets(lines: list[str]) -> list[str]:
    return ["<ul>", *(f"<li>{escape(line)}</li>" for line in lines), "</ul>"]


def html_table(table: Table, links: dict[str, str] | None = None) -> list[str]:
    """Any model table: each row classed by its status, verdict cells by their verdict; a value found in `links`
    becomes a link to its target."""
    header = "<tr>" + "".join(f"<th>{escape(label(name))}</th>" for name in table.columns) + "</tr>"
    rows = [f"<tr{_class(status)}>" + "".join(_cell(column, value, table.verdict_column, links or {})
                                              for column, value in zip(table.columns, row)) + "</tr>"
            for row, status in zip(table.rows, table.status)]
    return ["<table>", header, *rows, "</table>"]


def _class(name: str) -> str:
    return f' class="{escape(name)}"' if name else ""


def _cell(column: str, value: str, verdict_column: str | None, links: dict[str, str]) -> str:
    css = value if column == verdict_column and value in VERDICT_CLASSES else ""
    shown = f'<a href="{escape(links[value])}">{escape(value)}</a>' if value in links else escape(value)
    return f"<td{_class(css)}>{shown}</td>"


def assessment_html(report: RunReport) -> list[str]:
    """The claim lines under their heading, or the notice saying why there are none."""
    if report.notice:
        return [f'<p class="notice">{escape(report.notice)}</p>']
    return ["<h2>Claim lines</h2>", *bullets(report.assessment)] if report.assessment else []


def scenario_page(report: RunReport, files: SiteFiles = SiteFiles()) -> str:
    """The compact table and the chart first, then claims (result files linked), findings, every metric, history,
    charts across releases, the run's files and provenance."""
    run = f" Run <code>{escape(report.run.name)}</code>." if report.run else ""
    built = f" Site built {escape(files.generated)}." if files.generated else ""
    body = ['<p><a href="index.html">all scenarios and claims</a></p>',
            f"<h1>{escape(report.name)}: {escape(report.title)}</h1>",
            f"<p>Claim under test: {escape(report.claim)}</p>",
            f"<p>Verdict rule: {escape(report.verdict_rule)}.{run}{built}</p>",
            *html_table(report.summary or report.cells),
            f'<img class="chart" src="{escape(report.chart)}" alt="{escape(report.name)} chart">',
            "<h2>Claims</h2>", *html_table(report.claims, files.results), *assessment_html(report),
            "<h2>Findings</h2>", *bullets(report.findings),
            "<h2>Every metric</h2>", *html_table(report.cells),
            *_history(files.history), *_timelines(files.timelines), *_files(files),
            "<h2>Provenance</h2>", *bullets(report.provenance)]
    return page(report.name, body)


def _history(history: Optional[Table]) -> list[str]:
    if history is None:
        return []
    return ["<h2>History</h2>", "<p>The headline number per cell in the newest runs, newest first.</p>",
            *html_table(history)]


def _timelines(charts: list[str]) -> list[str]:
    return ["<h2>Across releases</h2>", *(f'<img class="chart" src="{escape(chart)}" alt="{escape(chart)}">'
                                          for chart in charts)] if charts else []


def _files(files: SiteFiles) -> list[str]:
    links = [*files.results.values(), *files.logs]
    return ["<h2>Files</h2>", "<ul>", *(f'<li><a href="{escape(link)}">{escape(link)}</a></li>' for link in links),
            "</ul>"] if links else []


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


def index_page(claims: Table, entries: list[tuple[str, str, list[dict]]], generated: str,
               links: dict[str, str]) -> str:
    """Every claim of every scenario (result files linked), then the scenarios and the runs they come from."""
    header = "".join(f"<th>{name}</th>" for name in ("scenario", "reproduces", "cells", "verdicts",
                                                       "disagree with claim", "run"))
    rows = [index_row(name, title, records) for name, title, records in entries]
    confirmed, refuted = claims.status.count("confirmed"), claims.status.count("refuted")
    return page("celery-repro results", [
        "<h1>celery-repro results</h1>",
        f"<p>Built {escape(generated)} from each scenario's newest run of its default cells (the run column). "
        f"{len(claims.rows)} claims: {confirmed} confirmed and {refuted} refuted by measurement.</p>",
        "<h2>Every claim</h2>", *html_table(claims, links), "<h2>Scenarios</h2>", "<table>", f"<tr>{header}</tr>",
        *rows, "</table>", *sources_section()])


def sources_section() -> list[str]:
    """Where the claims come from: upstream history, and the published pages by the names claims cite them with."""
    items = [f"<li><b>{escape(page.name)}</b>, {escape(page.title)}: {escape(page.says)}</li>" for page in PAGES]
    return ['<h2 id="sources">Where the claims come from</h2>', f"<p>{escape(PAGE_NOTE)}</p>", "<ul>", *items, "</ul>"]


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
