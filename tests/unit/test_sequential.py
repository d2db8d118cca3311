"""Sequential stopping: the looks, the interval's width, and the stated error rate measured by simulation."""
import numpy as np
import pytest

from harness.leakfit import BIN_TASKS, fit
from harness.sequential import ABOVE, BELOW, SequentialStop, side

THRESHOLD = 20.0  # KB per task, as exception_leak's


def stop(**kwargs):
    return SequentialStop(lambda *args: None, THRESHOLD, **kwargs)


def test_looks_run_from_the_first_look_to_the_count():
    assert stop().looks(1500) == [500, 750, 1000, 1250, 1500]
    assert stop().looks(300) == [300]  # a smaller count: one look, at its end
    assert stop(first_look=100, step=400).looks(1000) == [100, 500, 900, 1000]


def test_each_look_is_a_bonferroni_interval():
    assert stop().level(1500) == pytest.approx(0.99)  # 5 looks: 99% each
    assert stop().level(300) == pytest.approx(0.95)  # one look: the plain 95%
    assert "Bonferroni over 5 looks" in stop().rule(1500)


def test_side_of_an_interval():
    assert side(21, 30, THRESHOLD) == ABOVE and side(1, 19, THRESHOLD) == BELOW
    assert side(15, 25, THRESHOLD) is None and side(None, None, THRESHOLD) is None


def phase(rng, slope_kb, tasks, noise_mb=0.5):
    """Binned points of a phase whose child grows `slope_kb` per task, with independent noise per bin."""
    x = np.arange(BIN_TASKS / 2, tasks, BIN_TASKS)
    return x, 50 + x * slope_kb / 1024 + rng.normal(0, noise_mb, len(x))


def stopped_on_a_side(rng, rule, level):
    """One simulated phase at the threshold itself: does any look decide (a wrong decision either way)?"""
    x, y = phase(rng, THRESHOLD, 1500)
    for look in rule.looks(1500):
        slope = fit(x[x < look], y[x < look], level)
        if side(slope.low, slope.high, THRESHOLD):
            return True
    return False


def test_the_chance_of_deciding_wrongly_stays_under_alpha_across_looks_and_not_with_plain_95_percent_looks():
    rng, rule, runs = np.random.default_rng(7), stop(), 4000
    adjusted = sum(stopped_on_a_side(rng, rule, rule.level(1500)) for _ in range(runs)) / runs
    naive = sum(stopped_on_a_side(rng, rule, 0.95) for _ in range(runs)) / runs
    assert adjusted <= rule.alpha + 0.01  # the stated rate: at most 5% (binomial s.e. at 4000 runs: 0.35%)
    assert naive > rule.alpha + 0.02  # repeated fixed-sample 95% looks decide wrongly more often
