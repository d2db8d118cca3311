"""Repeated runs: median intervals with their binomial coverage, the exact rank test, interval verdicts."""
import pytest

from harness.bisect import Probe
from harness.stats import combine, interval_verdict, median_interval, median_summary, rank_test
from harness.timeline import boundaries


def test_median_interval_uses_order_statistics_with_known_coverage():
    assert median_interval([3, 1, 2]) == {"median": 2, "low": 1, "high": 3, "n": 3, "coverage": 0.75}
    ten = median_interval(list(range(10)))
    assert (ten["low"], ten["high"], ten["coverage"]) == (1, 8, 0.9785)  # x(2), x(9)
    assert median_interval(list(range(20)))["coverage"] >= 0.95


def test_rank_test_is_exact():
    assert rank_test([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]) == pytest.approx(2 / 252)
    assert rank_test([1, 2, 3], [1, 2, 3]) == 1.0
    assert rank_test([0.004] * 3, [1.0] * 3) == pytest.approx(0.1)  # three runs each can never reach 5%


def verdict(summary: dict) -> str:
    return "broken" if summary["sessions_per_task"] > 0.5 else "fixed"


def test_interval_verdict_needs_every_run_and_both_ends_to_agree():
    same = [{"sessions_per_task": v, "drained": True} for v in (0.004, 0.006, 0.004)]
    assert interval_verdict(verdict, same, combine(same)) == "fixed"
    mixed = [{"sessions_per_task": v, "drained": True} for v in (0.004, 0.9, 0.004)]
    assert interval_verdict(verdict, mixed, combine(mixed)) == "inconclusive"


def test_median_summary_takes_medians_and_majorities():
    runs = [{"n": 1, "ok": True, "name": "a"}, {"n": 5, "ok": False, "name": "b"}, {"n": 3, "ok": True, "name": "c"}]
    merged = median_summary(runs, combine(runs))
    assert merged == {"n": 3, "ok": True, "name": "a"}


def test_timeline_boundaries_are_every_verdict_flip():
    probes = [Probe(release, verdict, None, "") for release, verdict in
              [("4.4.3", "broken"), ("4.4.4", "fixed"), ("5.5.3", "fixed"), ("5.6.0", "broken")]]
    assert boundaries(probes) == [("4.4.3", "4.4.4"), ("5.5.3", "5.6.0")]
    unrunnable = [Probe("4.4.3", "broken", 1.0, ""), Probe("4.4.4", "unrunnable", None, "no module 'future'"),
                  Probe("4.4.5", "fixed", 0.004, "")]
    assert boundaries(unrunnable) == [("4.4.3", "4.4.5")]


def test_rank_test_falls_back_to_the_normal_approximation_for_many_runs():
    low, high = list(range(11)), [x + 100 for x in range(11)]
    assert rank_test(low, high) < 0.001  # C(22, 11) splits: too many to enumerate
    assert rank_test(low, list(low)) == pytest.approx(1.0)


def test_a_number_missing_from_one_run_has_no_median():
    runs = [{"n": 1, "peak": 4}, {"n": 2}, {"n": 3, "peak": 5}]
    assert median_summary(runs, combine(runs)) == {"n": 2, "peak": None}


def test_wilson_interval_of_a_rate_holds_at_zero_and_at_n():
    from harness.stats import wilson

    assert wilson(0, 20) == (0.0, 0.1611)
    assert wilson(20, 20) == (0.8389, 1.0)
    low, high = wilson(10, 20)
    assert low < 0.5 < high and round(low + high, 4) == 1.0
    assert wilson(0, 0) is None
