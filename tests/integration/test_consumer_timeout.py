"""consumer_timeout on the harness's own RabbitMQ: a 4 s consumer_timeout for the cell, tasks of 10 s under
acks_late, and what the worker does when RabbitMQ closes its channel."""
import pytest

from harness.rabbitlimits import app_env, consumer_timeout

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def cells(run_cells):
    return run_cells("consumer_timeout", ["5.5.3 acks_late"], 4)


def test_the_channel_closure_ends_the_worker_and_strands_the_queue(cells):
    summary = cells["5.5.3 acks_late"]["summary"]
    assert summary["timeout_crashes"] == 1 and summary["worker_alive_at_end"] is False
    assert summary["long_task_executions"] == 2  # the two the pool had started, finished once
    assert summary["short_tasks_run"] == 0 and summary["tasks_lost"] == 6 and summary["drained"] is False
    assert cells["5.5.3 acks_late"]["verdict"] == "broken"


def test_a_cell_timeout_is_set_on_the_running_node_and_restored_after(stack):
    node = stack.node("rabbitmq")
    before = app_env(node, "consumer_timeout"), app_env(node, "channel_tick_interval")
    with consumer_timeout(stack, 7):
        assert (app_env(node, "consumer_timeout"), app_env(node, "channel_tick_interval")) == ("7000", "1000")
    assert (app_env(node, "consumer_timeout"), app_env(node, "channel_tick_interval")) == before
