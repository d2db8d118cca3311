"""Memory growth per task: least-squares slope of child RSS against tasks done, with its 95% interval."""
from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np

Z95 = 1.96  # normal quantile: fits here have dozens to thousands of points
MIN_POINTS = 8
KB_PER_MB = 1024


@dataclass(frozen=True)
class Slope:
    """KB per task, with the low and high ends of its 95% confidence interval."""

    kb_per_task: float
    low: float
    high: float
    points: int


def fit(xs: list[float], ys_mb: list[float]) -> Slope | None:
    """Ordinary least squares of ys (MB) on xs (tasks); None when there are too few distinct points."""
    x, y = np.asarray(xs, float), np.asarray(ys_mb, float)
    if len(x) < MIN_POINTS or np.ptp(x) == 0:
        return None
    slope, intercept = np.polyfit(x, y, 1)
    residuals = y - (slope * x + intercept)
    stderr = np.sqrt(residuals @ residuals / (len(x) - 2) / ((x - x.mean()) @ (x - x.mean())))
    kb, half = slope * KB_PER_MB, Z95 * stderr * KB_PER_MB
    return Slope(_kb(kb), _kb(kb - half), _kb(kb + half), len(x))


def _kb(value: float) -> float:
    return round(float(value), 2) + 0.0  # + 0.0: no "-0.0" in reports


def tasks_done(sample_times: list[float], finishes: list[float]) -> list[int]:
    """For each sample time, how many of the (sorted) finish times are at or before it."""
    return [bisect.bisect_right(finishes, t) for t in sample_times]


def phase_points(series: dict, finishes: list[float]) -> tuple[list[int], list[float]]:
    """(tasks of this phase done, child RSS) for the samples taken while this phase's tasks were finishing."""
    if not finishes:
        return [], []
    window = [i for i, t in enumerate(series["t"]) if finishes[0] <= t <= finishes[-1]]
    done = tasks_done([series["t"][i] for i in window], finishes)
    return done, [series["child_rss_mb"][i] for i in window]


def halves(xs: list[int], ys: list[float]) -> tuple[Slope | None, Slope | None]:
    """Slopes over the first and the second half of a phase (by tasks done): growth that levels off shows here."""
    if not xs:
        return None, None
    middle = (xs[0] + xs[-1]) / 2
    first = [(x, y) for x, y in zip(xs, ys) if x <= middle]
    second = [(x, y) for x, y in zip(xs, ys) if x > middle]
    return fit(*zip(*first)) if first else None, fit(*zip(*second)) if second else None


def gc_slope(rows: list[tuple[int, int]]) -> float | None:
    """gc-tracked objects per task, from (task index, object count) reports."""
    if len(rows) < 3:
        return None
    xs, ys = zip(*rows)
    return round(float(np.polyfit(xs, ys, 1)[0]), 2)
