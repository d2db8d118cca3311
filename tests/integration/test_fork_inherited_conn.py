"""fork_inherited_conn on four cells, asserting measured error counts and the parent's own checks."""
import pytest

pytestmark = pytest.mark.integration
TASKS = 40
CELLS = ["4.2.0", "4.2.0 ssl + fix_django_db", "5.5.3 ssl", "5.5.3 ssl + close_all"]
CHILDREN = 4  # the scenario's prefork concurrency


@pytest.fixture(scope="module")
def cells(run_cells):
    return run_cells("fork_inherited_conn", CELLS, TASKS)


def test_release_keeping_the_dead_connection_fails_one_task_per_child(cells):
    record = cells["4.2.0"]
    summary = record["summary"]
    assert 1 <= summary["task_errors"] <= CHILDREN
    assert summary["tasks_lost"] == 0 and summary["tasks_executed"] == TASKS
    assert all("Bad file descriptor" in message for message in record["errors"])
    assert summary["parent_checks_failed"] == 0 and summary["parent_conn_ok_after_burst"] is True
    assert record["verdict"] == "broken"


def test_the_fix_page_workaround_removes_the_child_errors_over_ssl(cells):
    record = cells["4.2.0 ssl + fix_django_db"]
    assert record["summary"]["task_errors"] == 0 and record["summary"]["tasks_executed"] == TASKS
    assert [check["ssl"] for check in record["parent_checks"]] == [True, True, True]
    assert record["verdict"] == "fixed"


def test_release_closing_after_fork_keeps_children_and_parent_working(cells):
    summary = cells["5.5.3 ssl"]["summary"]
    assert summary["task_errors"] == 0 and summary["parent_conn_ok_after_burst"] is True
    assert summary["distinct_backend_pids"] <= CHILDREN  # children reuse their own connections (CONN_MAX_AGE=60)


def test_close_in_a_child_breaks_the_parents_connection(cells):
    record = cells["5.5.3 ssl + close_all"]
    checks = record["parent_checks"]
    assert checks[0]["event"] == "worker_init" and checks[0]["ok"] and checks[0]["ssl"]
    assert record["summary"]["parent_checks_failed"] >= 1 and record["summary"]["parent_conn_ok_after_burst"] is False
    assert record["summary"]["task_errors"] == 0  # the children themselves are fine
