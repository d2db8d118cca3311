"""exception_leak with a short run: a release that leaks per failing task and one that does not, by measured slope."""
import pytest

pytestmark = pytest.mark.integration
TASKS = 400  # failing tasks, then as many control tasks
CELLS = ["4.4.3", "5.7.0 py3.12"]


@pytest.fixture(scope="module")
def cells(run_cells):
    return run_cells("exception_leak", CELLS, TASKS)


def test_leaking_cell_grows_per_failing_task_and_not_per_control_task(cells):
    summary = cells["5.7.0 py3.12"]["summary"]
    assert summary["tasks_executed"] == 2 * TASKS and summary["tasks_lost"] == 0
    assert summary["fail_rss_slope_low_kb_per_task"] > 100
    assert abs(summary["control_rss_slope_kb_per_task"]) < 20
    assert summary["child_rss_peak_mb"] - summary["child_rss_start_mb"] > 40  # 400 tasks x >100 KB
    assert cells["5.7.0 py3.12"]["verdict"] == "broken"


def test_non_leaking_cell_stays_flat(cells):
    summary = cells["4.4.3"]["summary"]
    assert summary["tasks_executed"] == 2 * TASKS
    assert summary["fail_rss_slope_high_kb_per_task"] < 50
    assert cells["4.4.3"]["verdict"] == "fixed"


def test_memory_timeline_is_recorded_with_tasks_done(cells):
    memory = cells["5.7.0 py3.12"]["series"]["memory"]
    assert len(memory["t"]) == len(memory["tasks_done"]) == len(memory["child_rss_mb"]) > 20
    assert memory["tasks_done"][-1] == 2 * TASKS
    assert memory["child_uss_mb"][-1] <= memory["child_rss_mb"][-1]
