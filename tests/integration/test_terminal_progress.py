"""While a cell runs, a terminal shows its phase and tasks done of dispatched; a pipe gets none of that."""
import os
import re
import subprocess
import sys

import pytest

from tests.unit.test_terminal_width import in_terminal

pytestmark = pytest.mark.integration
TASKS = 400
ARGS = ("run", "conn_max_age", "--celery", "5.7.0", "--tasks", str(TASKS))


def test_a_terminal_sees_tasks_done_of_dispatched_and_a_pipe_does_not(tmp_path):
    shown = in_terminal(100, {**os.environ, "REPRO_RESULTS_DIR": str(tmp_path / "tty")}, *ARGS)
    counts = [int(done) for done in re.findall(rf"(\d+)/{TASKS}\b", shown)]
    assert any(0 < done < TASKS for done in counts), shown  # seen while the burst ran, before the drain
    assert "celery 5.7.0: tasks" in shown and "conn_max_age: 1 cells, 1 claims confirmed, 0 refuted" in shown
    piped = subprocess.run([sys.executable, "-m", "harness", *ARGS], capture_output=True, text=True, timeout=300,
                           env={**os.environ, "REPRO_RESULTS_DIR": str(tmp_path / "pipe")})
    assert piped.returncode == 0, piped.stdout + piped.stderr
    assert [int(done) for done in re.findall(rf"(\d+)/{TASKS}\b", piped.stdout + piped.stderr)] == [TASKS]  # the
    # cell's closing line only
