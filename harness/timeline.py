"""A scenario's metric across every release in a range: measured or reused, charted, verdict flips marked."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from harness.bisect import Probe, measure
from harness.errors import HarnessError
from harness.paths import results_dir
from harness.plots import draw_timeline
from harness.atomic import write_atomic
from harness.scenario import Scenario

UNRUNNABLE = "unrunnable"  # the release did not install or start; its Probe.file holds the one-line reason


def run_timeline(scenario: Scenario, releases: list[str], tasks: int | None, open_stack: Callable,
                 say) -> list[Probe]:
    """Every release measured once (cached per scenario source, release and burst size), oldest first."""
    probes = []
    for position, release in enumerate(releases, 1):
        try:
            probe = measure(scenario, release, tasks, open_stack, say)
        except HarnessError as error:  # a release that cannot be installed or started is a point without a value
            probe = Probe(release, UNRUNNABLE, None, str(error))
        say(f"timeline {position}/{len(releases)}: celery {release} -> {probe.verdict}"
            f"{' (cached)' if probe.cached else ''}{': ' + probe.file if probe.verdict == UNRUNNABLE else ''}")
        probes.append(probe)
    return probes


def boundaries(probes: list[Probe]) -> list[tuple[str, str]]:
    """(last release before, first release after) for every flip of the verdict."""
    ran = [probe for probe in probes if probe.verdict != UNRUNNABLE]
    return [(before.release, after.release) for before, after in zip(ran, ran[1:]) if before.verdict != after.verdict]


def write_timeline(scenario: Scenario, probes: list[Probe], metric: str) -> tuple[Path, Path]:
    """The timeline's JSON (release, verdict, metric, result file) and its chart, next to each other."""
    values = [probe.metric(metric) if probe.verdict != UNRUNNABLE else None for probe in probes]
    folder, name = results_dir() / scenario.name / "timeline", f"{probes[0].release}-to-{probes[-1].release}-{metric}"
    data = {"scenario": scenario.name, "metric": metric, "boundaries": boundaries(probes),
            "releases": [{"release": p.release, "verdict": p.verdict, metric: v, "file": p.file}
                         for p, v in zip(probes, values)]}
    page = write_atomic(folder / f"{name}.json", json.dumps(data, indent=1))
    chart = draw_timeline(scenario.title, probes, values, metric, boundaries(probes), folder / f"{name}.png")
    return page, chart
