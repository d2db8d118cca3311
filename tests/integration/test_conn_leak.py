"""conn_leak on five cells: connections back to baseline or not, a leaked transaction, an exhausted server."""
import pytest

from scenarios.conn_leak import SETTLE_S

pytestmark = pytest.mark.integration
TASKS = 100
CELLS = ["5.5.3 prefork", "5.5.3 prefork + close_all", "5.5.3 prefork, failures in atomic()",
         "5.5.3 prefork 24, max_connections 20", "web: gunicorn 4 sync workers"]


@pytest.fixture(scope="module")
def cells(run_cells):
    return run_cells("conn_leak", CELLS, TASKS)


def test_close_all_after_every_task_brings_connections_back_to_baseline(cells):
    summary = cells["5.5.3 prefork + close_all"]["summary"]
    assert summary["backends_baseline"] == 0 and summary["backends_peak"] >= 1
    assert summary["backends_final"] == 0 and summary["back_to_baseline"] is True
    assert summary["idle_in_transaction_final"] == 0
    assert summary["tasks_executed"] == TASKS and summary["ledger_rows_missing"] == 0
    assert summary["sessions_opened"] >= 0.9 * TASKS  # a new session per task
    assert cells["5.5.3 prefork + close_all"]["verdict"] == "fixed"


def test_without_teardown_connections_stay_and_a_failed_task_keeps_its_transaction(cells):
    record = cells["5.5.3 prefork"]
    summary = record["summary"]
    assert 1 <= summary["backends_final"] <= record["settings"]["worker"]["concurrency"]
    assert summary["back_to_baseline"] is False
    assert summary["idle_in_transaction_final"] >= 1
    assert summary["locks_held_idle_in_transaction_final"] >= 1
    assert summary["idle_in_transaction_max_age_s"] >= SETTLE_S  # held through the whole settle period
    assert summary["tasks_reported_by_worker"] == TASKS and summary["tasks_never_run"] == 0
    assert summary["ledger_rows_missing"] > 0  # later tasks wrote inside the leaked transaction
    assert record["verdict"] == "broken"


def test_failures_inside_atomic_leave_no_transaction_open(cells):
    summary = cells["5.5.3 prefork, failures in atomic()"]["summary"]
    assert summary["idle_in_transaction_final"] == 0
    assert summary["tasks_executed"] == TASKS and summary["ledger_rows_missing"] == 0
    assert summary["backends_final"] >= 1  # the connections themselves stay (CONN_MAX_AGE=60)


def test_more_busy_children_than_max_connections_get_refused(cells):
    summary = cells["5.5.3 prefork 24, max_connections 20"]["summary"]
    assert summary["too_many_connections"] > 0
    assert summary["unexpected_errors"] > 0
    assert summary["worker_log_errors_by_class"].get("OperationalError", 0) > 0
    assert summary["backends_peak"] >= 15  # the server saturated: 20 minus the harness's own 3 is 17


def test_gunicorn_keeps_connections_and_transactions_as_the_worker_does(cells):
    summary = cells["web: gunicorn 4 sync workers"]["summary"]
    assert summary["requests"] > 100 and summary["request_failures"] == 0
    assert 1 <= summary["backends_final"] <= 4
    assert summary["idle_in_transaction_final"] >= 1
