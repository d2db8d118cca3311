"""Declaring scenarios and their cells, and finding them in scenarios/."""
from __future__ import annotations

import hashlib
import importlib
import inspect
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from harness.errors import HarnessError
from harness.paths import SCENARIOS_DIR

BROKEN, FIXED, INCONCLUSIVE = "broken", "fixed", "inconclusive"


@dataclass(frozen=True)
class Claim:
    """What somebody says a cell will show, and who says it."""

    expect: str
    source: str


@dataclass(frozen=True)
class Cell:
    """One pinned release set with its settings overrides and the claim it is checked against."""

    name: str
    celery: str
    claim: Claim | None = None
    pins: dict[str, str] = field(default_factory=dict)
    settings: dict[str, object] = field(default_factory=dict)
    python: str | None = None
    optional: bool = False  # runs only when named with --cell (long or niche)


@dataclass(frozen=True)
class Burst:
    """Dispatch `count` tasks named `task` (then `count` of each task in `then`) at once, then wait for the drain."""

    task: str
    count: int
    drain_timeout_s: float = 120.0
    then: tuple[str, ...] = ()
    baseline_s: float = 0.0  # sampled with the worker idle before dispatch
    settle_s: float = 0.5  # sampled after the drain, before the worker stops

    @property
    def tasks(self) -> list[str]:
        return [self.task, *self.then]

    def describe(self) -> str:
        return " then ".join(f"{self.count} x {task}" for task in self.tasks)


@dataclass(frozen=True)
class Scenario:
    """Everything `harness list` shows and `harness run` needs to reproduce one bug."""

    name: str
    title: str
    claim: str
    services: tuple[str, ...]
    settings: dict[str, object]
    workload: Burst
    cells: tuple[Cell, ...]
    metrics: tuple[str, ...]
    verdict_rule: str
    verdict: Callable[[dict], str]
    headline: str = ""
    claim_for_release: Callable[[str], Claim | None] = lambda release: None
    assess: Callable[[list[dict]], list[str]] = lambda records: []  # one line per seed sentence, from results
    derive: Callable[[dict, dict], dict] = lambda summary, data: {}  # own numbers from summary + raw data
    probes: tuple[str, ...] = ("postgres",)  # "memory" adds RSS/USS of the worker and its pool children
    chart: str = "headline"  # "states": connections by state over time, one small panel per cell

    @property
    def module(self):
        return importlib.import_module(f"scenarios.{self.name}")

    @property
    def source_file(self) -> Path:
        return Path(inspect.getfile(self.module))

    @property
    def source_hash(self) -> str:
        return hashlib.sha256(self.source_file.read_bytes()).hexdigest()[:16]

    def describe(self) -> dict:
        """The scenario's declaration as plain data, stored in every result file."""
        return {"name": self.name, "title": self.title, "claim": self.claim, "source_hash": self.source_hash,
                "verdict_rule": self.verdict_rule, "metrics": list(self.metrics),
                "headline": self.headline or self.metrics[0], "chart": self.chart}

    def cell_settings(self, cell: Cell) -> dict[str, object]:
        return {**self.settings, **cell.settings}

    def cells_named(self, names: list[str] | None) -> tuple[Cell, ...]:
        """The default cells (all but the optional ones), or only those named (a one-line error for a name
        that is not a cell)."""
        if not names:
            return tuple(cell for cell in self.cells if not cell.optional)
        known = {cell.name: cell for cell in self.cells}
        if unknown := [name for name in names if name not in known]:
            raise HarnessError(f"no cell {', '.join(map(repr, unknown))} in {self.name} "
                               f"(cells: {', '.join(known)})")
        return tuple(known[name] for name in names)

    def cells_for_releases(self, releases: list[str]) -> tuple[Cell, ...]:
        """Ad-hoc cells, one per requested Celery release, with the upstream claim if one is known."""
        return tuple(Cell(f"celery {release}", release, self.claim_for_release(release)) for release in releases)


def all_scenarios() -> dict[str, Scenario]:
    """Every scenario module in scenarios/, by name."""
    found = {}
    for path in sorted(SCENARIOS_DIR.glob("*.py")):
        if not path.name.startswith("_"):
            scenario = importlib.import_module(f"scenarios.{path.stem}").SCENARIO
            found[scenario.name] = scenario
    return found


def get_scenario(name: str) -> Scenario:
    """The named scenario, or a one-line error naming the known ones."""
    scenarios = all_scenarios()
    if name not in scenarios:
        raise HarnessError(f"unknown scenario '{name}' (known: {', '.join(scenarios)})")
    return scenarios[name]
