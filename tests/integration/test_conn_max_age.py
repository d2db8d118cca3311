"""A reduced conn_max_age run on releases whose _close_database differs, asserting measured sessions."""
import json
import secrets

import jsonschema
import pytest
from rich.console import Console

from harness.paths import REPO_ROOT
from harness.report import write_report
from harness.results import load_results
from harness.runner import plan, run_scenario
from harness.scenario import get_scenario
from harness.stacks import servers
from harness.stacks.local import LocalStack

pytestmark = pytest.mark.integration
TASKS = 100
# conn.close() per task: 4.4.0rc4, 5.7.0; close_if_unusable_or_obsolete(): 4.4.7, 5.5.3
RELEASES = ["4.4.0rc4", "4.4.7", "5.5.3", "5.7.0"]


PASSWORDS = []


def remembered_password() -> str:
    PASSWORDS.append(f"pw{secrets.token_hex(12)}")
    return PASSWORDS[-1]


@pytest.fixture(scope="module")
def run(tmp_path_factory, monkeypatch_module):
    monkeypatch_module.setenv("REPRO_RESULTS_DIR", str(tmp_path_factory.mktemp("results")))
    monkeypatch_module.setattr(servers, "new_password", remembered_password)
    scenario = get_scenario("conn_max_age")
    directory = run_scenario(scenario, plan(scenario, RELEASES), LocalStack, print, count=TASKS)
    return {json.loads(p.read_text())["pins"]["celery"]: json.loads(p.read_text()) for p in directory.glob("*.json")}, directory


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def summary(run, release):
    return run[0][release]["summary"]


@pytest.mark.parametrize("release", ["4.4.0rc4", "5.7.0"])
def test_close_per_task_opens_a_session_per_task(run, release):
    measured = summary(run, release)
    assert measured["tasks_executed"] == TASKS and measured["tasks_lost"] == 0
    assert 0.95 <= measured["sessions_per_task"] <= 1.1
    assert measured["distinct_backend_pids"] >= 0.95 * TASKS
    assert run[0][release]["verdict"] == "broken"


@pytest.mark.parametrize("release", ["4.4.7", "5.5.3"])
def test_close_if_unusable_reuses_one_session_per_child(run, release):
    measured = summary(run, release)
    assert measured["tasks_executed"] == TASKS and measured["task_errors"] == 0
    assert measured["sessions_opened"] <= 4  # concurrency 2: one connection per pool child
    assert measured["distinct_backend_pids"] <= 4
    assert run[0][release]["verdict"] == "fixed"


def test_result_files_carry_provenance(run):
    record = run[0]["5.5.3"]
    assert record["schema_version"] == 2
    schema = json.loads((REPO_ROOT / "results" / "record.schema.json").read_text())
    jsonschema.validate({k: v for k, v in record.items() if k != "file"}, schema)
    assert record["pins"]["kombu"] == record["freeze"]["kombu"]
    assert record["python"].startswith("3.11")
    assert set(record["servers"]) == {"postgres", "redis"}
    probe, series = record["probes"]["postgres"], record["series"]["postgres"]
    assert probe["samples"] > 5 and len(series["t"]) == probe["samples"]
    assert max(series["backends"]) >= 1


def test_report_rebuilds_from_json_alone(run, tmp_path):
    page, chart = write_report(run[1], load_results(run[1]), Console(file=open(tmp_path / "out.txt", "w")))
    assert "| 4.4.0rc4 |" in page.read_text()
    assert chart.stat().st_size > 10_000


def test_no_server_password_reaches_a_result_file_or_a_log(run):
    files = [path for path in run[1].rglob("*") if path.is_file()]
    assert len(PASSWORDS) >= 2 and len([path for path in files if path.suffix in (".json", ".log")]) >= 8  # 4 cells
    assert [path for path in files for password in PASSWORDS if password in path.read_text(errors="replace")] == []
