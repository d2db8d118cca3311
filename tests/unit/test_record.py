"""The result record type: its JSON Schema kept in results/, schema-1 files read through the migration."""
import io
import json
import shutil

import jsonschema
import pytest
from rich.console import Console

from harness.paths import REPO_ROOT
from harness.record import SCHEMA_VERSION, json_schema, upgrade
from harness.report import write_report
from harness.results import load_results
from tests.records import make_record

V1 = REPO_ROOT / "tests" / "fixtures" / "v1"
V1_RUN = V1 / "conn_max_age" / "20261202T183820Z"
SCHEMA_FILE = REPO_ROOT / "results" / "record.schema.json"


def test_the_schema_in_results_is_the_one_the_type_generates():
    assert json.loads(SCHEMA_FILE.read_text()) == json_schema(), "run: make schema"


def test_a_record_validates_against_the_schema_and_a_wrong_one_does_not():
    schema = json.loads(SCHEMA_FILE.read_text())
    jsonschema.validate(make_record(), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**make_record(), "verdict": 3}, schema)


def test_schema_1_files_migrate_to_schema_2_with_their_numbers_kept():
    records = load_results(V1_RUN)
    old = [json.loads(path.read_text()) for path in sorted(V1_RUN.glob("*.json"))]
    assert [r["schema_version"] for r in records] == [SCHEMA_VERSION] * 5
    assert [r["summary"] for r in records] == [o["summary"] for o in old]
    assert [r["verdict"] for r in records] == [o["verdict"] for o in old]
    pool = records[4]
    assert pool["settings"]["django"] == {"conn_max_age": 0, "db_pool": True, "db_sslmode": "disable",
                                          "conn_health_checks": False}
    assert pool["series"]["postgres"]["backends"] == old[4]["series"]["backends"]
    assert pool["panels"] == ["sessions"] and pool["workload"]["kind"] == "burst"
    assert pool["probes"]["postgres"] == old[4]["probe"]


def test_schema_1_cells_of_every_kind_get_their_workload_and_panels():
    web = {"path": "web", "WEB_USERS": 8, "WEB_SECONDS": 10, "CONN_MAX_AGE": 60, "pool": "prefork"}
    fault = {"FAULT": "kill", "FAULT_AFTER_TASKS": 100, "broker": "rabbitmq", "celery": {"broker_heartbeat": 4}}
    base = json.loads(sorted(V1_RUN.glob("*.json"))[0].read_text())
    as_web = upgrade({**base, "settings": web, "scenario": {**base["scenario"], "chart": "states"}})
    as_fault = upgrade({**base, "settings": fault, "fault": {"method": "kill"}})
    assert (as_web["workload"]["kind"], as_web["workload"]["units"], as_web["panels"]) == \
        ("web_load", "requests", ["connection_states"])
    assert as_web["workload"]["params"] == {"users": 8, "seconds": 10}
    assert (as_fault["workload"]["kind"], as_fault["panels"]) == ("faulted_burst", ["completions"])
    assert as_fault["settings"]["harness"]["broker"] == "rabbitmq"
    assert as_fault["settings"]["celery"] == {"broker_heartbeat": 4}


def test_whole_second_settings_stay_whole_through_the_record():
    record = upgrade(make_record(settings={"time_limit_s": 15, "conn_max_age": 60}))
    assert record["settings"]["worker"]["time_limit_s"] == 15
    assert isinstance(record["settings"]["worker"]["time_limit_s"], int)


@pytest.mark.parametrize("scenario, kind, panels, probes", [
    ("exception_leak", "burst", ["child_rss"], ["postgres", "memory"]),
    ("broker_restart", "faulted_burst", ["completions"], ["postgres"]),
    ("conn_leak", "web_load", ["connection_states"], ["postgres"]),
    ("fork_inherited_conn", "burst", ["sessions"], ["postgres"]),
])
def test_stored_schema_1_cells_of_every_scenario_load_with_their_numbers(scenario, kind, panels, probes):
    [path] = (V1 / scenario).glob("*/*.json")
    old, record = json.loads(path.read_text()), load_results(path.parent)[0]
    assert (record["summary"], record["verdict"]) == (old["summary"], old["verdict"])
    assert (record["workload"]["kind"], record["panels"], list(record["probes"])) == (kind, panels, probes)
    assert "worker_start_s" not in record["timings"] and record["timings"]["server_start_s"] > 0


def test_a_schema_1_memory_series_keeps_its_samples_and_moves_its_rate_to_the_probe():
    [path] = (V1 / "exception_leak").glob("*/*.json")
    old, record = json.loads(path.read_text()), load_results(path.parent)[0]
    assert record["series"]["memory"]["child_rss_mb"] == old["memory"]["child_rss_mb"]
    assert record["probes"]["memory"] == {"hz": old["memory"]["hz"], "samples": len(old["memory"]["t"]),
                                          "cpu_pct_of_core": old["memory"]["cpu_pct_of_core"]}


def test_a_schema_1_fault_cell_names_its_fault_as_the_workload_does_today():
    [path] = (V1 / "broker_restart").glob("*/*.json")
    record = load_results(path.parent)[0]
    assert record["workload"]["params"]["fault"] == "kill" and record["fault"]["method"] == "kill"


@pytest.mark.parametrize("scenario", ["conn_max_age", "exception_leak", "broker_restart", "conn_leak",
                                      "fork_inherited_conn"])
def test_stored_schema_1_runs_render_with_a_notice_instead_of_a_new_judgement(scenario, tmp_path):
    [run] = (V1 / scenario).glob("*")
    copy = shutil.copytree(run, tmp_path / scenario / run.name)
    page, chart = write_report(copy, load_results(copy), Console(file=io.StringIO()))
    text = page.read_text()
    assert "scenario changed since this run" in text and chart.stat().st_size > 10_000
