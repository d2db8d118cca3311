"""redis_visibility, one cell: a worker SIGKILLed with two acks_late tasks running, and how long Redis keeps them
before a new worker's restore sweep (kombu 5.7.0, every 10 s) runs them again."""
import pytest

from scenarios.redis_visibility import VISIBILITY_S

pytestmark = pytest.mark.integration
CELL = "5.7.0 kill, restore every sweep"


@pytest.fixture(scope="module")
def record(run_cells):
    return run_cells("redis_visibility", [CELL], 4)[CELL]


def test_the_killed_tasks_run_again_only_after_visibility_timeout(record):
    summary = record["summary"]
    assert summary["killed_tasks"] == 2 and summary["redelivered_tasks"] == 2
    # delivered about a second before the kill: restorable from VISIBILITY_S - 1 s after it, swept every 10 s
    assert VISIBILITY_S - 3 <= summary["redelivery_delay_min_s"] <= summary["redelivery_delay_max_s"]
    assert summary["redelivery_delay_max_s"] <= VISIBILITY_S + 25
    assert summary["replacement_start_s"] < 15
    assert record["verdict"] == "fixed"


def test_every_task_ran_and_only_the_killed_ones_twice(record):
    summary = record["summary"]
    assert summary["tasks_executed"] == 4 and summary["tasks_lost"] == 0
    assert summary["tasks_duplicated"] == summary["killed_tasks"]
    assert record["fault"]["method"] == "kill_worker" and len(record["completions"]) == 6
