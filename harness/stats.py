"""Repeated runs of a cell: medians with distribution-free intervals, an exact rank test, interval verdicts."""
from __future__ import annotations

from itertools import combinations
from math import comb, sqrt
from statistics import NormalDist, median, pvariance
from typing import Callable

from harness.scenario import INCONCLUSIVE

LEVEL = 0.95
SIGNIFICANT = 0.05
EXACT_SPLITS = 200_000  # C(20, 10) = 184756: exact up to 10 runs per cell


def median_interval(values: list[float]) -> dict:
    """Median and the order-statistic interval around it: the narrowest [x(k), x(n+1-k)] whose coverage is at
    least 95% (binomial), or [min, max] with its own, lower coverage when n is too small (n = 3: 75%)."""
    ordered, n = sorted(values), len(values)
    k, coverage = 1, _coverage(n, 1)
    while k + 1 <= n // 2 and _coverage(n, k + 1) >= LEVEL:
        k += 1
        coverage = _coverage(n, k)
    return {"median": median(ordered), "low": ordered[k - 1], "high": ordered[n - k], "n": n,
            "coverage": round(coverage, 4)}


def wilson(successes: int, trials: int, level: float = LEVEL) -> tuple[float, float] | None:
    """The Wilson score interval of a rate (None without trials): valid at 0 and at n, unlike the normal one."""
    if trials <= 0:
        return None
    z = NormalDist().inv_cdf(0.5 + level / 2)
    rate, spread = successes / trials, z * z / trials
    centre = (rate + spread / 2) / (1 + spread)
    half = z * sqrt(rate * (1 - rate) / trials + spread / (4 * trials)) / (1 + spread)
    return round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4)


def _coverage(n: int, k: int) -> float:
    """P(x(k) <= true median <= x(n+1-k)) for any continuous distribution."""
    tail = sum(comb(n, i) for i in range(k)) / 2 ** n
    return 1 - 2 * tail


def rank_test(a: list[float], b: list[float]) -> float:
    """Two-sided p-value of the Mann-Whitney U test, ties at mid-ranks: exact (every split of the pooled ranks)
    up to EXACT_SPLITS splits, the normal approximation beyond."""
    pooled = sorted(a + b)
    ranks = {value: (pooled.index(value) + 1 + len(pooled) - pooled[::-1].index(value)) / 2 for value in pooled}
    rank_list = [ranks[value] for value in a + b]
    observed = sum(ranks[value] for value in a)
    expected = len(a) * (len(pooled) + 1) / 2
    if comb(len(pooled), len(a)) > EXACT_SPLITS:
        spread = sqrt(len(a) * len(b) * pvariance(rank_list) * len(pooled) / (len(pooled) - 1) / len(pooled))
        return 1.0 if spread == 0 else 2 * (1 - NormalDist().cdf(abs(observed - expected) / spread))
    extreme = abs(observed - expected) - 1e-9
    hits = sum(1 for chosen in combinations(rank_list, len(a)) if abs(sum(chosen) - expected) >= extreme)
    return hits / comb(len(pooled), len(a))


def numeric(summary: dict) -> dict[str, float]:
    return {key: value for key, value in summary.items()
            if isinstance(value, (int, float)) and not isinstance(value, bool)}


def combine(summaries: list[dict]) -> dict[str, dict]:
    """Every numeric summary number over the repeats, as median and interval."""
    keys = [key for key in numeric(summaries[0]) if all(isinstance(s.get(key), (int, float)) for s in summaries)]
    return {key: median_interval([s[key] for s in summaries]) for key in keys}


def median_summary(summaries: list[dict], stats: dict[str, dict]) -> dict:
    """The first run's summary with every numeric number replaced by its median (booleans by the majority)."""
    merged = {**summaries[0], **{key: stat["median"] for key, stat in stats.items()}}
    for key in numeric(summaries[0]):
        if key not in stats:  # missing or not a number in some run: no single value stands for all runs
            merged[key] = None
    for key, value in summaries[0].items():
        if isinstance(value, bool):
            merged[key] = sum(bool(s.get(key)) for s in summaries) * 2 > len(summaries)
    return merged


def interval_verdict(verdict: Callable[[dict], str], summaries: list[dict], stats: dict[str, dict]) -> str:
    """The verdict every run and both ends of every interval agree on; else inconclusive."""
    base = median_summary(summaries, stats)
    ends = [{**base, **{key: stat[end] for key, stat in stats.items()}} for end in ("low", "high")]
    verdicts = {verdict(summary) for summary in [*summaries, *ends]}
    return verdicts.pop() if len(verdicts) == 1 else INCONCLUSIVE
