"""broker_restart on three cells, asserting exact ledger counts and whether the worker consumed again."""
import pytest

pytestmark = pytest.mark.integration
TASKS = 300  # 150 published first; the fault once 100 have finished (about 40 still queued); 150 during it
CELLS = ["5.2.2 + kombu 5.2.2, redis restart", "5.2.7 + kombu 5.3.7, redis restart", "5.7.0, rabbitmq restart"]


@pytest.fixture(scope="module")
def cells(run_cells):
    records = run_cells("broker_restart", CELLS, TASKS)
    return {name: record["summary"] for name, record in records.items()}


def test_kombu_before_the_regression_consumes_again_but_a_memory_only_redis_loses_its_queue(cells):
    summary = cells["5.2.2 + kombu 5.2.2, redis restart"]
    assert summary["recovered"] and summary["queue_depth_end"] == 0
    assert summary["executed_once"] + summary["never_executed"] == summary["tasks_published"]
    assert summary["never_executed"] > 20  # what was still queued when Redis went down without persistence


def test_kombu_inside_the_regression_stays_alive_and_stops_consuming(cells):
    """The stall is a rate, not a constant (7 of 8 runs here): a run where it did not happen is reported as
    an expected failure, and a run where it did must show a live worker and an untouched queue."""
    summary = cells["5.2.7 + kombu 5.3.7, redis restart"]
    if summary["recovered"]:
        pytest.xfail(f"kombu 5.3.7 consumed again this time (recovery {summary['recovery_s']} s)")
    assert summary["worker_alive_at_end"] and summary["recovered"] is False
    assert summary["queue_depth_end"] > 50  # the tasks published during the fault wait in the queue, untouched
    assert summary["executed_once"] < summary["tasks_published"] - 50


def test_graceful_rabbitmq_restart_loses_nothing_and_runs_at_most_the_unacked_window_twice(cells):
    """A second run is a rate, not a constant (1 task in one CI run of many): an early ack still in flight when the
    node stops is lost and the message redelivered; only messages delivered to the worker can be, at most
    concurrency x prefetch multiplier = 8 at a time."""
    summary = cells["5.7.0, rabbitmq restart"]
    assert summary["recovered"] and summary["never_executed"] == 0 and summary["executed_more_than_once"] <= 8
    assert summary["executed_once"] + summary["executed_more_than_once"] == summary["tasks_published"] >= TASKS - 5
    assert 5 <= summary["recovery_s"] < 30  # the broker is away for 5 s plus its own boot
