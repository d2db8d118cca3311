"""Memory growth per task: least-squares slope of child RSS against tasks done, with its t interval (95% unless asked).

Samples are first averaged over bins of BIN_TASKS tasks (one point per bin, "after every K tasks"):
20 Hz samples repeat the same tasks-done value and are strongly autocorrelated, and fitting them
one by one would make the interval far narrower than the data can support.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np

LEVEL = 0.95
MIN_POINTS = 8
BIN_TASKS = 50
KB_PER_MB = 1024


@dataclass(frozen=True)
class Slope:
    """KB per task, with the low and high ends of its confidence interval."""

    kb_per_task: float
    low: float
    high: float
    points: int


def fit(xs: list[float], ys_mb: list[float], level: float = LEVEL) -> Slope | None:
    """Ordinary least squares of ys (MB) on xs (tasks) with the Student t interval of the slope at `level`; None
    when there are too few distinct points."""
    from scipy.special import stdtrit  # the t quantile; imported here, where it is needed

    x, y = np.asarray(xs, float), np.asarray(ys_mb, float)
    if len(x) < MIN_POINTS or np.ptp(x) == 0:
        return None
    slope, intercept = np.polyfit(x, y, 1)
    residuals = y - (slope * x + intercept)
    stderr = np.sqrt(residuals @ residuals / (len(x) - 2) / ((x - x.mean()) @ (x - x.mean())))
    kb, half = slope * KB_PER_MB, stdtrit(len(x) - 2, (1 + level) / 2) * stderr * KB_PER_MB
    return Slope(_kb(kb), _kb(kb - half), _kb(kb + half), len(x))


def _kb(value: float) -> float:
    return round(float(value), 2) + 0.0  # + 0.0: no "-0.0" in reports


def tasks_done(sample_times: list[float], finishes: list[float]) -> list[int]:
    """For each sample time, how many of the (sorted) finish times are at or before it."""
    return [bisect.bisect_right(finishes, t) for t in sample_times]


def phase_points(series: dict, finishes: list[float], bin_tasks: int = BIN_TASKS) -> tuple[list, list]:
    """(tasks of this phase done, child RSS in MB), one point per bin of `bin_tasks` tasks, for the samples
    taken while this phase's tasks were finishing."""
    if not finishes:
        return [], []
    window = [i for i, t in enumerate(series["t"]) if finishes[0] <= t <= finishes[-1]]
    done = tasks_done([series["t"][i] for i in window], finishes)
    bins: dict[int, list[tuple[int, float]]] = {}
    for x, i in zip(done, window):
        bins.setdefault(x // bin_tasks, []).append((x, series["child_rss_mb"][i]))
    points = [tuple(np.mean(members, axis=0)) for _, members in sorted(bins.items())]
    return [round(float(x), 1) for x, _ in points], [round(float(y), 3) for _, y in points]


def split(xs: list, ys: list) -> tuple[list, list]:
    """The points of the first and of the second half of a phase (by tasks done)."""
    middle = (xs[0] + xs[-1]) / 2 if xs else 0
    return ([(x, y) for x, y in zip(xs, ys) if x <= middle], [(x, y) for x, y in zip(xs, ys) if x > middle])


def fit_points(points: list[tuple]) -> Slope | None:
    return fit(*zip(*points)) if points else None


def gc_slope(rows: list[tuple[int, int]]) -> float | None:
    """gc-tracked objects per task, from (task index, object count) reports."""
    if len(rows) < 3:
        return None
    xs, ys = zip(*rows)
    return round(float(np.polyfit(xs, ys, 1)[0]), 2)
