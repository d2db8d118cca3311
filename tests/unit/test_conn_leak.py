"""conn_leak's numbers: connections by phase, the ±10% rule, refused connections, finished tasks in the log."""
from harness.connstates import back_to_baseline, phase_numbers
from harness.pglimits import too_many_connections
from harness.pins import requirements
from harness.sut.worker import FINISHED
from scenarios.conn_leak import verdict

COLUMNS = ("backends", "active", "idle", "idle_in_transaction", "idle_in_transaction_age_s",
           "locks_held_idle_in_transaction", "waiting_on_lock")


def series(backends: list[float], in_transaction: list[float]) -> dict:
    data = {"t": [i * 0.5 for i in range(len(backends))], **{c: [0.0] * len(backends) for c in COLUMNS}}
    data["backends"], data["idle_in_transaction"] = backends, in_transaction
    data["idle"] = [b - x for b, x in zip(backends, in_transaction)]
    return data


def test_phases_split_baseline_peak_and_final_on_the_series_clock():
    # t: 0 .. 5.5 s; baseline 0-1.5, dispatch at 2.0, settled at 5.5
    data = series([1, 1, 1, 1, 4, 6, 5, 4, 3, 3, 2, 2], [0, 0, 0, 0, 1, 2, 2, 1, 1, 1, 1, 1])
    numbers = phase_numbers(data, {"dispatch": 2.0, "drained": 3.0, "settled": 5.5}, baseline_s=2.0)
    assert numbers["backends_baseline"] == 1 and numbers["backends_peak"] == 6
    assert numbers["backends_final"] == 2  # median of t in [4.5, 5.5]: 3, 2, 2
    assert numbers["idle_in_transaction_final"] == 1
    assert numbers["final_minus_baseline"] == 1 and numbers["final_minus_baseline_pct"] == 100.0
    assert numbers["back_to_baseline"] is False


def test_back_to_baseline_is_within_ten_percent_and_exact_from_zero():
    assert back_to_baseline(10, 11)["back_to_baseline"] is True
    assert back_to_baseline(10, 12)["back_to_baseline"] is False
    assert back_to_baseline(0, 0) == {"final_minus_baseline": 0, "final_minus_baseline_pct": None,
                                      "back_to_baseline": True}
    assert back_to_baseline(0, 1)["back_to_baseline"] is False
    assert back_to_baseline(None, 1)["back_to_baseline"] is None


def summary(**overrides) -> dict:
    return {"back_to_baseline": True, "idle_in_transaction_final": 0, "too_many_connections": 0,
            "unexpected_errors": 0, **overrides}


def test_verdict_breaks_on_leftovers_open_transactions_refusals_and_errors():
    assert verdict(summary()) == "fixed"
    assert verdict(summary(back_to_baseline=False)) == "broken"
    assert verdict(summary(idle_in_transaction_final=1)) == "broken"
    assert verdict(summary(too_many_connections=3)) == "broken"
    assert verdict(summary(unexpected_errors=1)) == "broken"


def test_refused_connections_are_counted_from_the_postgres_log():
    log = ("2026-11-21 FATAL:  sorry, too many clients already\n"
           "2026-11-21 LOG:  connection authorized: user=postgres database=cell00\n"
           "2026-11-21 FATAL:  too many connections for database \"cell00\"\n"
           "2026-11-21 FATAL:  remaining connection slots are reserved for roles with the SUPERUSER attribute\n")
    assert too_many_connections(log) == 2


def test_finished_tasks_are_read_from_celery_4_and_5_worker_logs():
    log = ("[2026-11-21 09:00:00,001: INFO/ForkPoolWorker-1] Task ledger.tasks.mixed_db_work[c01-3] succeeded "
           "in 0.004s: None\n"
           "[2026-11-21 09:00:00,002: ERROR/ForkPoolWorker-2] Task ledger.tasks.mixed_db_work[c01-10] raised "
           "unexpected: FailedMidTransaction('failed holding a row lock of c01-10')\n"
           "[2026-11-21 09:00:00,003: INFO/MainProcess] Received task: ledger.tasks.mixed_db_work[c01-11]\n")
    assert FINISHED.findall(log) == ["c01-3", "c01-10"]


def test_an_extra_package_pinned_as_star_resolves_to_the_newest_accepted():
    lines = requirements("5.5.3", "3.11", {"gevent": "*", "kombu": "5.5.4"})
    assert "gevent" in lines and "kombu==5.5.4" in lines


def test_verdict_is_inconclusive_without_samples_and_broken_when_tasks_never_ran():
    assert verdict(summary(back_to_baseline=None)) == "inconclusive"
    assert verdict(summary(tasks_never_run=3)) == "broken"
