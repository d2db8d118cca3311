"""A short bisection on the real stack: conn_max_age between 5.5.3 (reuses) and 5.7.0 (closes per task)."""
import os
import subprocess
import sys
import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def bisected(tmp_path_factory):
    env_dirs = {"REPRO_RESULTS_DIR": str(tmp_path_factory.mktemp("results"))}
    command = [sys.executable, "-m", "harness", "bisect", "conn_max_age", "--good", "5.5.3", "--bad", "5.7.0",
               "--tasks", "40"]
    first = subprocess.run(command, capture_output=True, text=True, timeout=900, env={**os.environ, **env_dirs})
    again = subprocess.run(command, capture_output=True, text=True, timeout=300, env={**os.environ, **env_dirs})
    timeline = [sys.executable, "-m", "harness", "timeline", "conn_max_age", "--from", "5.5.2", "--to", "5.6.0",
                "--tasks", "40"]
    charted = subprocess.run(timeline, capture_output=True, text=True, timeout=600, env={**os.environ, **env_dirs})
    documents = [subprocess.run(cached + ["--json"], capture_output=True, text=True, timeout=300,
                                env={**os.environ, **env_dirs}) for cached in (command, timeline)]
    return first, again, charted, Path(env_dirs["REPRO_RESULTS_DIR"]), documents


def test_bisect_names_the_release_that_went_back_to_closing_per_task(bisected):
    first = bisected[0]
    assert first.returncode == 0, first.stdout[-2000:]
    assert "first release that is 'broken': 5.6.0" in first.stdout
    measured = [line.split() for line in first.stdout.splitlines() if "sessions_per_task =" in line]
    verdicts = {row[0]: (row[1], float(row[4])) for row in measured}
    assert verdicts["5.5.3"][0] == "fixed" and verdicts["5.5.3"][1] < 0.2
    assert verdicts["5.6.0"][0] == "broken" and verdicts["5.6.0"][1] > 0.9
    assert len(measured) < 6  # not every release between them


def test_a_second_bisect_reuses_every_measurement(bisected):
    first, again = bisected[:2]
    assert again.returncode == 0 and again.stdout.count("(cached)") == first.stdout.count("bisect: celery")
    assert "first release that is 'broken': 5.6.0" in again.stdout


def test_timeline_measures_the_range_reuses_the_bisection_and_marks_the_flip(bisected):
    charted, results = bisected[2], bisected[3]
    assert charted.returncode == 0, charted.stdout[-2000:] + charted.stderr[-2000:]
    assert charted.stdout.count("(cached)") == 2  # 5.5.3 and 5.6.0 were measured by the bisection
    assert "verdict flips: 5.5.3 -> 5.6.0" in charted.stdout
    [page] = (results / "conn_max_age" / "timeline").glob("*.json")
    data = json.loads(page.read_text())
    values = {row["release"]: row["sessions_per_task"] for row in data["releases"]}
    assert values["5.5.2"] < 0.2 and values["5.5.3"] < 0.2 and values["5.6.0"] > 0.9
    assert page.with_suffix(".png").stat().st_size > 10_000


def test_bisect_and_timeline_print_one_json_document_and_talk_on_stderr(bisected):
    first, documents = bisected[0], bisected[4]
    assert [done.returncode for done in documents] == [0, 0], [done.stderr[-2000:] for done in documents]
    bisection, timeline = (json.loads(done.stdout) for done in documents)
    assert bisection["boundary"] == "5.6.0" and bisection["verdict"] == "broken"
    measured = {row.split()[0]: float(row.split()[4]) for row in first.stdout.splitlines() if "sessions_per_task =" in row}
    values = {probe["release"]: probe["value"] for probe in bisection["probes"]}
    assert values.keys() == measured.keys()
    assert all(abs(values[release] - measured[release]) < 0.001 for release in measured)  # the same cached numbers
    assert "first release that is 'broken': 5.6.0" in documents[0].stderr
    assert timeline["flips"] == [["5.5.3", "5.6.0"]] and Path(timeline["chart"]).is_file()
    assert {probe["release"] for probe in timeline["probes"]} >= {"5.5.2", "5.5.3", "5.6.0"}
