"""The static HTML report: an index and one page per scenario, built from result JSON files only."""
from __future__ import annotations

from collections import Counter
from html import escape
from pathlib import Path

from harness import compare
from harness.errors import HarnessError
from harness.paths import results_dir
from harness.plots import draw_run_chart
from harness.report import provenance, seed_sentences, table_lines
from harness.results import latest_full_run, load_results, write_atomic
from harness.scenario import all_scenarios

STYLE = """body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1250px;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:13px}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left}
th{background:#f3f3f3}.broken{color:#c0392b;font-weight:600}.fixed{color:#27ae60;font-weight:600}
tr.disagrees{background:#fdecea}img.chart{max-width:100%;border:1px solid #ddd}
.wide{overflow-x:auto}code{font-size:12px}"""


def page(title: str, body: list[str]) -> str:
    head = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f'<link rel="icon" href="data:,"><style>{STYLE}</style></head><body>')
    return "\n".join([head, *body, "</body></html>"]) + "\n"


def bullets(lines: list[str]) -> list[str]:
    return ["<ul>", *(f"<li>{escape(line)}</li>" for line in lines), "</ul>"]


def cell_html(column: str, value: str) -> str:
    css = f' class="{value}"' if column == "verdict" and value in ("broken", "fixed") else ""
    return f"<td{css}>{escape(value)}</td>"


def table(records: list[dict]) -> list[str]:
    """The side-by-side table of compare.columns/rows, disagreeing rows marked."""
    header = compare.columns(records)
    rows = ["<tr>" + "".join(f"<th>{escape(name)}</th>" for name in header) + "</tr>"]
    for row in compare.rows(records):
        css = ' class="disagrees"' if row[-1] == "DISAGREES" else ""
        rows.append(f"<tr{css}>" + "".join(cell_html(name, value) for name, value in zip(header, row)) + "</tr>")
    return ['<div class="wide"><table>', *rows, "</table></div>"]


def claims_table(records: list[dict]) -> list[str]:
    header = "".join(f"<th>{escape(name)}</th>" for name in compare.CLAIM_COLUMNS)
    rows = ["<tr>" + "".join(f"<td>{escape(value)}</td>" for value in [*row[:-1], Path(row[-1]).name]) + "</tr>"
            for row in compare.claim_rows(records)]
    return ['<div class="wide"><table>', f"<tr>{header}</tr>", *rows, "</table></div>"]


def scenario_page(records: list[dict], chart: str, run: Path) -> str:
    scenario = records[0]["scenario"]
    body = ['<p><a href="index.html">all scenarios</a></p>',
            f"<h1>{escape(scenario['name'])}: {escape(scenario['title'])}</h1>",
            f"<p>Claim under test: {escape(scenario['claim'])}</p>",
            f"<p>Verdict rule: {escape(scenario['verdict_rule'])}. Run <code>{escape(run.name)}</code>.</p>",
            *table(records), "<h2>Findings</h2>", *bullets(compare.findings(records)),
            "<h2>Claims</h2>", *claims_table(records)]
    if sentences := seed_sentences(records):
        body += ["<h2>Seed sentences</h2>", *bullets(sentences)]
    body += [f'<img class="chart" src="{escape(chart)}" alt="{escape(scenario["name"])} chart">',
             "<h2>Provenance</h2>", *bullets(provenance(records))]
    return page(scenario["name"], body)


def index_row(name: str, title: str, records: list[dict]) -> str:
    if not records:
        return (f"<tr><td>{escape(name)}</td><td>{escape(title)}</td>"
                f"<td colspan=4>no run yet (harness run {escape(name)})</td></tr>")
    verdicts = ", ".join(f"{count} {verdict}" for verdict, count in Counter(r["verdict"] for r in records).items())
    disagree = sum(1 for record in records if record["agrees_with_claim"] is False)
    return (f'<tr><td><a href="{escape(name)}.html">{escape(name)}</a></td><td>{escape(title)}</td>'
            f"<td>{len(records)}</td><td>{escape(verdicts)}</td>"
            f"<td>{disagree}</td><td><code>{escape(Path(records[0]['file']).parent.name)}</code></td></tr>")


def index_page(entries: list[tuple[str, str, list[dict]]]) -> str:
    header = "".join(f"<th>{name}</th>" for name in ("scenario", "reproduces", "cells", "verdicts",
                                                       "disagree with claim", "run"))
    rows = [index_row(name, title, records) for name, title, records in entries]
    return page("celery-repro results", ["<h1>celery-repro results</h1>",
                                         "<p>Each scenario's newest run of its default cells, from its result "
                                         "files.</p>", "<table>", f"<tr>{header}</tr>", *rows, "</table>"])


def summary_markdown(entries: list[tuple[str, str, list[dict]]]) -> str:
    """Every scenario's table and verdict lines in Markdown (for a CI job summary)."""
    lines = ["# celery-repro results", ""]
    for name, title, records in entries:
        lines += [f"## {name}: {title}", ""]
        if not records:
            lines += ["no run yet", ""]
            continue
        verdicts = [*compare.findings(records), *seed_sentences(records)]
        lines += [*table_lines(records), "", *(f"- {line}" for line in verdicts), ""]
    return "\n".join(lines)


def newest_records(name: str, default_cells: set[str]) -> tuple[Path | None, list[dict]]:
    run = latest_full_run(name, default_cells)
    try:
        return run, (load_results(run) if run else [])
    except ValueError as error:
        raise HarnessError(str(error)) from None


def build_site(out: Path | None = None) -> Path:
    """Write index.html, one page and chart per scenario with results, and summary.md; the index's path."""
    out = out or results_dir() / "site"
    entries = []
    for name, scenario in all_scenarios().items():
        run, records = newest_records(name, {cell.name for cell in scenario.cells_named(None)})
        if records:
            chart = draw_run_chart(records, out / f"{name}.png")
            write_atomic(out / f"{name}.html", scenario_page(records, chart.name, run))
        entries.append((name, scenario.title, records))
    if not any(records for _, _, records in entries):
        raise HarnessError(f"no results under {results_dir()}: run a scenario first")
    write_atomic(out / "summary.md", summary_markdown(entries))
    return write_atomic(out / "index.html", index_page(entries))
