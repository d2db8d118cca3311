"""Sequential stopping: planned looks at a growing phase, and an interval that stays valid across all of them.

A phase (a burst of one task) is dispatched in steps; after each step an estimate's interval is computed and
the phase ends once the interval lies wholly above or below a threshold. With K planned looks, every look's
interval has confidence 1 - alpha/K (Bonferroni), so the chance that any look's interval misses the true value,
and with it the chance of stopping on the wrong side, is at most alpha whichever look the phase ends at.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

ABOVE, BELOW = "above", "below"


def side(low: float | None, high: float | None, threshold: float) -> str | None:
    """ABOVE when an interval lies wholly above the threshold, BELOW when wholly below, else None."""
    if low is not None and low > threshold:
        return ABOVE
    if high is not None and high < threshold:
        return BELOW
    return None


@dataclass(frozen=True)
class SequentialStop:
    """Ends each phase of a burst at the first look where `estimate(run, rows, task, level)` (an interval
    `(low, high)` of the phase so far at confidence `level`, or None) lies on one side of `threshold`: looks after
    `first_look` tasks, then every `step`, the burst's count being the last."""

    estimate: Callable[[Any, list, str, float], tuple[float, float] | None]
    threshold: float
    first_look: int = 500
    step: int = 250
    alpha: float = 0.05

    def looks(self, count: int) -> list[int]:
        """Tasks done at each look of a phase of at most `count` tasks."""
        return [*range(min(self.first_look, count), count, self.step), count]

    def level(self, count: int) -> float:
        """The confidence of every look's interval: 1 - alpha/K for K looks."""
        return 1 - self.alpha / len(self.looks(count))

    def rule(self, count: int) -> str:
        looks = self.looks(count)
        return (f"looks at {', '.join(map(str, looks))} tasks per phase; a phase ends once its "
                f"{self.level(count):.1%} interval (Bonferroni over {len(looks)} looks: at most {self.alpha:.0%} "
                f"chance that any look's interval misses) lies wholly on one side of {self.threshold:g}")

    def params(self) -> dict:
        return {"threshold": self.threshold, "first_look": self.first_look, "step": self.step, "alpha": self.alpha}
