"""Ctrl-C mid-run and impossible input: clear one-line errors, no stray process, no partial result."""
import json
import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

pytestmark = pytest.mark.integration


def start_harness(tmp_path, *args):
    env = {**os.environ, "REPRO_RESULTS_DIR": str(tmp_path)}
    return subprocess.Popen([sys.executable, "-m", "harness", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env)


def wait_for_line(process, needle, timeout_s=240):
    deadline, seen = time.monotonic() + timeout_s, []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        seen.append(line)
        if needle in line:
            return seen
    raise AssertionError(f"'{needle}' not seen in: {''.join(seen)}")


def test_ctrl_c_mid_burst_stops_everything_and_writes_no_result(tmp_path):
    harness = start_harness(tmp_path, "run", "conn_max_age", "--celery", "5.5.3", "--tasks", "20000")
    wait_for_line(harness, "stack (local)")
    time.sleep(6)  # worker up, burst running
    descendants = psutil.Process(harness.pid).children(recursive=True)
    assert any("celery" in " ".join(p.cmdline()) for p in descendants if p.is_running())
    harness.send_signal(signal.SIGINT)
    out, _ = harness.communicate(timeout=60)
    assert harness.returncode == 130, out
    assert "interrupted" in out
    time.sleep(1)
    alive = [p for p in descendants if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert alive == []
    assert [p for p in tmp_path.rglob("*") if p.suffix in (".json", ".tmp")] == []


def test_impossible_pin_is_one_line_exit_2(tmp_path):
    harness = start_harness(tmp_path, "run", "conn_max_age", "--celery", "9.9.9")
    out, _ = harness.communicate(timeout=120)
    assert harness.returncode == 2
    assert out.strip().splitlines() == [
        "error: cannot resolve celery[redis]==9.9.9 on Python 3.11: there is no version of celery[redis]==9.9.9 "
        "and you require celery[redis]==9.9.9"]


def test_two_runs_started_at_once_both_keep_their_results_and_logs(tmp_path):
    """Each run has its own servers; they share only the results dir, where each gets a directory of its own."""
    runs = [start_harness(tmp_path, "run", "conn_max_age", "--celery", "5.7.0", "--tasks", "30") for _ in range(2)]
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    directories = sorted((tmp_path / "conn_max_age").iterdir())
    assert len(directories) == 2 and all(len(list(d.glob("*.json"))) == 1 for d in directories), directories
    worker_logs = [next(d.glob("logs/*/*.log")) for d in directories]
    assert [log.read_text().count("succeeded in") for log in worker_logs] == [30, 30]  # one worker's tasks each
    for directory in directories:
        [record] = [json.loads(p.read_text()) for p in directory.glob("*.json")]
        assert record["summary"]["tasks_executed"] == 30
