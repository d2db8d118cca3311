"""A short bisection on the real stack: conn_max_age between 5.5.3 (reuses) and 5.7.0 (closes per task)."""
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def bisected(tmp_path_factory):
    env_dirs = {"REPRO_RESULTS_DIR": str(tmp_path_factory.mktemp("results"))}
    command = [sys.executable, "-m", "harness", "bisect", "conn_max_age", "--good", "5.5.3", "--bad", "5.7.0",
               "--tasks", "40"]
    first = subprocess.run(command, capture_output=True, text=True, timeout=900, env={**os.environ, **env_dirs})
    again = subprocess.run(command, capture_output=True, text=True, timeout=300, env={**os.environ, **env_dirs})
    return first, again


def test_bisect_names_the_release_that_went_back_to_closing_per_task(bisected):
    first, _ = bisected
    assert first.returncode == 0, first.stdout[-2000:]
    assert "first release that is 'broken': 5.6.0" in first.stdout
    measured = [line.split() for line in first.stdout.splitlines() if "sessions_per_task =" in line]
    verdicts = {row[0]: (row[1], float(row[4])) for row in measured}
    assert verdicts["5.5.3"][0] == "fixed" and verdicts["5.5.3"][1] < 0.2
    assert verdicts["5.6.0"][0] == "broken" and verdicts["5.6.0"][1] > 0.9
    assert len(measured) < 6  # not every release between them


def test_a_second_bisect_reuses_every_measurement(bisected):
    first, again = bisected
    assert again.returncode == 0 and again.stdout.count("(cached)") == first.stdout.count("bisect: celery")
    assert "first release that is 'broken': 5.6.0" in again.stdout
