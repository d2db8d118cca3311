import numpy as np
import pytest

from harness.leakfit import fit, fit_points, phase_points, split, tasks_done


def test_fit_recovers_a_known_slope_with_an_interval_that_contains_it():
    rng = np.random.default_rng(7)
    xs = np.arange(0, 1000, 5)
    ys = 50 + xs * (200 / 1024) + rng.normal(0, 2, len(xs))  # 200 KB per task in MB, 2 MB noise
    slope = fit(list(xs), list(ys))
    assert slope.low < 200 < slope.high
    assert slope.high - slope.low < 10


def test_fit_refuses_too_few_or_constant_points():
    assert fit([1, 2, 3], [1, 2, 3]) is None
    assert fit([5] * 20, list(range(20))) is None


def test_tasks_done_counts_finishes_at_or_before_each_sample():
    assert tasks_done([0.5, 1.0, 2.5, 9.0], [1.0, 2.0, 3.0]) == [0, 1, 2, 3]


def test_phase_points_keep_only_samples_inside_the_phase():
    series = {"t": [0.0, 1.0, 2.0, 3.0, 4.0], "child_rss_mb": [10, 11, 12, 13, 14]}
    assert phase_points(series, [1.0, 2.0, 3.0], bin_tasks=1) == ([1, 2, 3], [11, 12, 13])


def test_phase_points_average_each_bin_of_tasks_into_one_point():
    series = {"t": [1.0, 1.5, 2.0, 3.0, 3.5], "child_rss_mb": [10, 12, 14, 20, 22]}
    assert phase_points(series, [1.0, 2.0, 3.0, 3.5], bin_tasks=2) == ([1.0, 2.5, 4.0], [11.0, 17.0, 22.0])


def test_halves_tell_growth_that_levels_off_from_growth_that_does_not():
    xs = list(range(0, 2000, 10))
    levelling = [min(x, 1000) * 0.1 for x in xs]
    first, second = map(fit_points, split(xs, levelling))
    assert first.kb_per_task == pytest.approx(102.4, abs=1) and abs(second.kb_per_task) < 1
