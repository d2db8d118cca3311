"""Finding the first release where a scenario's verdict flips: binary search over registry releases, cached."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from harness.errors import HarnessError
from harness.paths import results_dir
from harness.atomic import write_atomic
from harness.results import load_results
from harness.runner import plan, run_scenario
from harness.scenario import Scenario


@dataclass(frozen=True)
class Probe:
    """One release measured for the bisection: its verdict, the headline number, the result file."""

    release: str
    verdict: str
    value: float | None
    file: str
    cached: bool = False

    def metric(self, name: str | None) -> float | None:
        """The headline number, or any other summary number of the release's result file."""
        if name is None:
            return self.value
        return json.loads(Path(self.file).read_text())["summary"].get(name)


def measure(scenario: Scenario, release: str, tasks: int | None, open_stack: Callable, say) -> Probe:
    """The release's verdict on the scenario's workload, from the cache when this exact run was made before."""
    key = results_dir() / scenario.name / "bisect" / scenario.source_hash / f"{release}-{tasks or 'default'}.json"
    if key.exists():
        return Probe(**{**json.loads(key.read_text()), "cached": True})
    record = load_results(run_scenario(scenario, plan(scenario, [release]), open_stack, say, count=tasks))[0]
    probe = Probe(release, record["verdict"], record["summary"].get(scenario.describe()["headline"]),
                  record["file"])
    write_atomic(key, json.dumps(asdict(probe)))
    return probe


def search(releases: list[str], verdict_of: Callable[[str], str]) -> str:
    """The first release (oldest first) whose verdict is the last release's, assuming one flip in between."""
    low, high = 0, len(releases) - 1
    flipped = verdict_of(releases[high])
    if verdict_of(releases[low]) == flipped:
        raise HarnessError(f"{releases[low]} and {releases[high]} are both '{flipped}': nothing to bisect")
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if verdict_of(releases[middle]) == flipped else (middle, high)
    return releases[high]


def bisect(scenario: Scenario, releases: list[str], tasks: int | None, open_stack: Callable,
           say) -> tuple[str, list[Probe]]:
    """Measure releases as the search asks for them; the boundary and every probe, oldest first."""
    probes = {}

    def verdict_of(release: str) -> str:
        probe = probes[release] = measure(scenario, release, tasks, open_stack, say)
        say(f"bisect: celery {release} -> {probe.verdict} ({scenario.describe()['headline']} {probe.value})"
            f"{' (cached)' if probe.cached else ''}")
        return probe.verdict

    boundary = search(releases, verdict_of)
    return boundary, sorted(probes.values(), key=lambda probe: releases.index(probe.release))
