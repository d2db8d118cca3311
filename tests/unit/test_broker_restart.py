import pytest

from harness.errors import HarnessError
from harness.faults import Fault
from harness.ledger import LedgerRow
from scenarios.broker_restart import derive, verdict

FAULT = {"method": "restart", "server": "redis", "started_at": 100.0, "finished_at": 105.0}


def row(index, started, repeat=0):
    return LedgerRow("touch_db_slowly", index, started + repeat, started + repeat + 0.02, None)


def dispatch(count=6, failed=()):
    return {"count": count - len(failed), "publish_failed": list(failed), "published_during_fault_from": 3}


def test_counts_once_twice_never_and_recovery_from_the_first_task_published_during_the_fault():
    rows = [row(0, 99), row(1, 99.5), row(1, 106, repeat=1), row(3, 106), row(4, 125)]
    summary = derive({}, {"fault": FAULT, "rows": rows, "dispatch": dispatch(), "queue_depth_end": 0})
    assert (summary["executed_once"], summary["executed_more_than_once"], summary["never_executed"]) == (3, 1, 2)
    assert summary["recovery_s"] == pytest.approx(6.02) and summary["recovered"] and verdict(summary) == "fixed"
    assert summary["executed_late"] == 1  # started 20 s after the broker was back


def test_a_worker_that_leaves_the_queue_untouched_has_not_recovered():
    rows = [row(0, 99), row(3, 106)]
    summary = derive({}, {"fault": FAULT, "rows": rows, "dispatch": dispatch(), "queue_depth_end": 2})
    assert summary["recovered"] is False and verdict(summary) == "broken" and summary["recovery_s"] is None


def test_an_unknown_queue_depth_makes_the_verdict_inconclusive():
    rows = [row(0, 99), row(3, 106)]
    summary = derive({}, {"fault": FAULT, "rows": rows, "dispatch": dispatch(), "queue_depth_end": None})
    assert summary["recovered"] is None and verdict(summary) == "inconclusive"


def test_only_tasks_published_during_the_fault_prove_recovery():
    rows = [row(0, 99), row(2, 106)]  # a prefetched task of the first half finishing late proves nothing
    summary = derive({}, {"fault": FAULT, "rows": rows, "dispatch": dispatch(), "queue_depth_end": 0})
    assert not summary["recovered"] and summary["recovery_s"] is None


def test_unknown_fault_is_refused():
    with pytest.raises(HarnessError, match="unknown fault 'melt' .known: restart, kill, pause, drop"):
        Fault("melt")
