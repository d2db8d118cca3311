"""soft_time_limit, short: a release that reuses connections breaks the task after an interrupted query, one that
closes per task does not, and the interruption itself is seen in both."""
import pytest

pytestmark = pytest.mark.integration
ROUNDS = 6  # slow_query, touch_db, touch_db
CELLS = ["5.5.3 soft", "5.7.0 soft"]


@pytest.fixture(scope="module")
def cells(run_cells):
    return run_cells("soft_time_limit", CELLS, ROUNDS)


def test_every_slow_query_is_interrupted_by_the_soft_limit(cells):
    for record in cells.values():
        summary = record["summary"]
        assert summary["interrupted_soft"] == ROUNDS and summary["interrupted_hard"] == 0
        assert summary["tasks_executed"] == 3 * ROUNDS and summary["tasks_lost"] == 0


def test_reused_connection_fails_the_next_task_only(cells):
    summary = cells["5.5.3 soft"]["summary"]
    assert summary["next_task_failed"] >= ROUNDS - 1 and summary["second_task_failed"] == 0
    assert "another command is already in progress" in summary["next_task_error"]
    assert summary["sessions_opened"] <= 2 * ROUNDS + 1  # one per poisoned connection, not one per task
    assert cells["5.5.3 soft"]["verdict"] == "broken"


def test_closing_per_task_leaves_nothing_to_poison(cells):
    summary = cells["5.7.0 soft"]["summary"]
    assert summary["next_task_failed"] == 0 and summary["task_errors"] == 0
    assert summary["sessions_opened"] >= 3 * ROUNDS - 1  # the price: a session per task
    assert cells["5.7.0 soft"]["verdict"] != "broken"
