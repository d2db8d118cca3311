"""The report model from stored records, asv's rule for claim lines, and its three renderings."""
import copy
import io
import re
from html import unescape
from pathlib import Path
from types import SimpleNamespace

import pytest
from rich.console import Console

from harness import report_model
from harness.html_report import scenario_page, summary_markdown
from harness.report import markdown, print_claims, print_report
from harness.report_model import build
from harness.results import load_results

FIXTURE = Path(__file__).parents[1] / "fixtures" / "v1" / "conn_max_age" / "20261202T183820Z"
STORED_HASH = "72a0825e52cf3b6b"


@pytest.fixture
def records():
    return load_results(FIXTURE)


def scenario(source_hash=STORED_HASH, lines=("seed 000: 4.4.0rc5 still opens a session per task",)):
    def assess(records):
        assert source_hash == STORED_HASH, "a changed scenario must not judge stored records"
        return list(lines)

    return SimpleNamespace(source_hash=source_hash, assess=assess)


def test_cells_table_has_a_row_per_cell_with_metrics_verdict_and_claim(records):
    cells = build(records, scenario()).cells
    assert cells.columns[:5] == ["cell", "celery", "python", "sessions_opened", "sessions_per_task"]
    assert cells.columns[-3:] == ["verdict", "claimed", "vs claim"]
    assert [row[0] for row in cells.rows] == ["4.4.0rc4", "4.4.0rc5", "5.5.3", "5.7.0", "5.7.0 + django pool"]
    assert cells.rows[2][:5] == ["5.5.3", "5.5.3", "3.11.7", "2", "0.004"]
    assert cells.status == ["agrees", "disagrees", "agrees", "agrees", "disagrees"]


def test_findings_name_value_verdict_and_claim(records):
    findings = build(records, scenario()).findings
    assert findings[1] == ("4.4.0rc5: sessions_per_task = 1.000 -> broken; "
                           "claim fixed (seed 000: 'first fixed release: 4.4.0rc5'): DISAGREES")
    assert len(findings) == 5


def test_claims_table_says_who_claims_what_and_the_file_behind_it(records):
    claims = build(records, scenario()).claims
    assert claims.rows[2] == ["upstream: PR #6134 (4.4.4) reuses connections up to 5.5.x", "5.5.3", "fixed", "fixed",
                              "sessions_per_task 0.004", "confirmed", "02-5.5.3.json"]
    assert claims.status == ["confirmed", "refuted", "confirmed", "confirmed", "refuted"]


def test_a_cell_without_a_claim_has_no_claims_row(records):
    records[0]["cell"]["claim"], records[0]["agrees_with_claim"] = None, None
    report = build(records, scenario())
    assert len(report.claims.rows) == 4 and report.cells.rows[0][-2:] == ["-", "n/a"]


def test_unchanged_scenario_recomputes_its_claim_lines(records):
    report = build(records, scenario())
    assert report.assessment == ["seed 000: 4.4.0rc5 still opens a session per task"] and report.notice is None


def test_changed_scenario_keeps_stored_verdicts_and_recomputes_nothing(records):
    report = build(records, scenario(source_hash="c3d4"))
    assert report.assessment == []
    assert report.notice == (f"scenario changed since this run (source {STORED_HASH} then, c3d4 now): "
                             "verdicts as stored, claim lines not recomputed")
    assert [row[-3] for row in report.cells.rows] == [record["verdict"] for record in records]


def test_the_current_scenario_is_looked_up_by_its_stored_name(records, monkeypatch):
    monkeypatch.setattr(report_model, "all_scenarios", lambda: {"conn_max_age": scenario()})
    assert build(records).assessment == ["seed 000: 4.4.0rc5 still opens a session per task"]
    monkeypatch.setattr(report_model, "all_scenarios", lambda: {})
    assert "no longer exists" in build(records).notice


def test_an_edited_record_hash_decides_too(records):
    for record in records:
        record["scenario"]["source_hash"] = "a1b2"
    assert "source a1b2 then, 72a0825e52cf3b6b now" in build(records, scenario()).notice


def test_provenance_prints_settings_as_words_not_dicts(records):
    lines = build(records, scenario()).provenance
    assert not any(re.search(r"[{}]|': ", line) for line in lines)
    assert "workload: burst: 500 tasks of touch_db" in lines
    shared = next(line for line in lines if line.startswith("settings of every cell: "))
    assert "worker: pool prefork, concurrency 2" in shared and "conn_max_age" not in shared
    assert lines[-1].startswith("5.7.0 + django pool: Python 3.11.7; ")
    assert "settings django: conn_max_age 0, db_pool true; file 04-5.7.0-django-pool.json" in lines[-1]


def terminal_rows(text: str) -> list[list[str]]:
    return [[cell.strip() for cell in line.strip().strip("│").split("│")] for line in text.splitlines()
            if line.startswith("│")]


def html_rows(text: str) -> list[list[str]]:
    return [[unescape(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", text)]


def test_terminal_markdown_and_html_render_the_same_claims_rows(records):
    report = build(records, scenario())
    out = io.StringIO()
    print_claims(report, Console(file=out, width=250, color_system=None))
    page, html = markdown(report), scenario_page(report)
    for row in report.claims.rows:
        assert row in terminal_rows(out.getvalue())
        assert "| " + " | ".join(row) + " |" in page.splitlines()
        assert row in html_rows(html)
    assert "seed 000: 4.4.0rc5 still opens a session per task" in out.getvalue()
    assert '<tr class="refuted">' in html and '<td class="broken">broken</td>' in html


def test_every_renderer_shows_the_notice_of_a_changed_scenario(records):
    report = build(records, scenario(source_hash="c3d4"))
    out = io.StringIO()
    console = Console(file=out, width=250, color_system=None)
    print_report(report, console)
    print_claims(report, console)
    summary = summary_markdown([("conn_max_age", report.title, report)])
    for text in (out.getvalue(), markdown(report), scenario_page(report), summary):
        assert report.notice in text.replace("\n", " ")
    assert "Claim lines" not in markdown(report)


def test_markdown_escapes_pipes_inside_values(records):
    changed = copy.deepcopy(records)
    changed[0]["cell"]["name"] = "a | b"
    assert "| a \\| b | 4.4.0rc4 |" in markdown(build(changed, scenario()))


def test_provenance_names_each_cell_s_workload_when_they_differ(records):
    records[1]["workload"] = {**records[1]["workload"], "count": 100, "params": {"method": "restart"}}
    lines = build(records, scenario()).provenance
    assert not any(line.startswith("workload: ") for line in lines)
    assert "; workload burst: 100 tasks of touch_db; method restart; settings" in lines[5]
