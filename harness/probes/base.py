"""What a probe is: a context manager around a cell's workload that adds numbers, series and a chart panel."""
from __future__ import annotations

from contextlib import AbstractContextManager
from typing import ClassVar

from harness.cellrun import CellRun


class Probe:
    """Measures around the workload. `scope` "cell": entered before the process under load starts and left after
    it stopped; "server": entered once it runs (its pid is known) and left before it stops. On leaving, a probe
    adds to run.summary (numbers), run.series[name] (time series), run.data (raw data) and run.panels."""

    name: ClassVar[str]
    scope: ClassVar[str] = "cell"
    panel: str | None = None

    def measure(self, run: CellRun) -> AbstractContextManager[None]:
        raise NotImplementedError


def sampling_info(sampler) -> dict:
    """How a periodic sampler ran: its rate, the samples it took, its own CPU cost in % of one core."""
    column = next(iter(sampler.series))
    return {"hz": sampler.hz, "samples": len(sampler.series[column]),
            "cpu_pct_of_core": round(100 * sampler.cpu_s / max(sampler.wall_s, 1e-9), 3)}
