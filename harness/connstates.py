"""Connections by state in each phase of a cell (baseline, burst, end of settle), from the activity series."""
from __future__ import annotations

from statistics import median

STATES = ("backends", "active", "idle", "idle_in_transaction")
FINAL_WINDOW_S = 1.0  # the last second of the settle period
TOLERANCE = 0.10  # the connection-leak guide: "idle count returns to baseline ±10%"


def _window(series: dict, column: str, start: float, end: float) -> list[float]:
    return [value for t, value in zip(series["t"], series[column]) if start <= t <= end]


def phase_numbers(series: dict, phases: dict, baseline_s: float) -> dict:
    """Baseline (median while idle before dispatch), peak (burst and settle) and final (median of the last
    second) of every state; the oldest idle-in-transaction transaction and lock waits up to the end of the
    settle period (not the worker's shutdown); locks those transactions hold at the end (None: no samples)."""
    dispatch, settled = phases["dispatch"], phases["settled"]
    numbers = {}
    for state in STATES:
        base = _window(series, state, dispatch - baseline_s, dispatch - 0.001)
        numbers[f"{state}_baseline"] = median(base) if base else None
        numbers[f"{state}_peak"] = max(_window(series, state, dispatch, settled), default=None)
        final = _window(series, state, settled - FINAL_WINDOW_S, settled)
        numbers[f"{state}_final"] = median(final) if final else None
    numbers["idle_in_transaction_max_age_s"] = max(_window(series, "idle_in_transaction_age_s", dispatch, settled),
                                                   default=None)
    locks = _window(series, "locks_held_idle_in_transaction", settled - FINAL_WINDOW_S, settled)
    numbers["locks_held_idle_in_transaction_final"] = median(locks) if locks else None
    numbers["waiting_on_lock_peak"] = max(_window(series, "waiting_on_lock", dispatch, settled), default=None)
    numbers.update(back_to_baseline(numbers["backends_baseline"], numbers["backends_final"]))
    return numbers


def back_to_baseline(baseline: float | None, final: float | None) -> dict:
    """Final minus baseline, in connections and in % of the baseline, and whether it is within ±10%."""
    if baseline is None or final is None:
        return {"final_minus_baseline": None, "final_minus_baseline_pct": None, "back_to_baseline": None}
    delta = final - baseline
    return {"final_minus_baseline": delta,
            "final_minus_baseline_pct": round(100 * delta / baseline, 1) if baseline else None,
            "back_to_baseline": abs(delta) <= TOLERANCE * baseline}
