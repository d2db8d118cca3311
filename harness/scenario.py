"""Declaring scenarios and their cells, validated when loaded, and finding them in scenarios/."""
from __future__ import annotations

import hashlib
import importlib
import inspect
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from harness import probes, settings as settings_module
from harness.errors import HarnessError
from harness.patches import Patch
from harness.paths import SCENARIOS_DIR
from harness.sequential import ABOVE, BELOW, side
from harness.settings import Settings
from harness.workloads import WORKLOADS, Workload

BROKEN, FIXED, INCONCLUSIVE = "broken", "fixed", "inconclusive"


def interval_side(low: float | None, high: float | None, bound: float) -> str:
    """Broken when an interval lies wholly above the bound, fixed when wholly below, else inconclusive."""
    return {ABOVE: BROKEN, BELOW: FIXED}.get(side(low, high, bound), INCONCLUSIVE)


@dataclass(frozen=True)
class Claim:
    """What somebody says a cell will show, and who says it."""

    expect: str
    source: str


@dataclass(frozen=True)
class Cell:
    """One pinned release set with its settings overrides (flat names, see harness.settings), optionally its own
    workload and a patch to its installed packages (harness.patches.patch_file), and the claim it is checked
    against."""

    name: str
    celery: str
    claim: Claim | None = None
    pins: dict[str, str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    python: str | None = None
    optional: bool = False  # runs only when named with --cell (long or niche)
    workload: Workload | None = None  # instead of the scenario's
    patch: Patch | None = None  # applied to site-packages after install (the env is cached per patch)


@dataclass(frozen=True)
class Scenario:
    """Everything `harness list` shows and `harness run` needs to reproduce one bug: checked when it is made."""

    name: str
    title: str
    claim: str
    services: tuple[str, ...]
    settings: dict[str, Any]
    workload: Workload
    cells: tuple[Cell, ...]
    metrics: tuple[str, ...]
    verdict_rule: str
    verdict: Callable[[dict], str]
    headline: str = ""
    threshold: float | None = None  # the headline value the verdict rule compares with, drawn on the charts
    claim_for_release: Callable[[str], Claim | None] = lambda release: None
    assess: Callable[[list[dict]], list[str]] = lambda records: []  # one line per claim, from results
    derive: Callable[[dict, dict], dict] = lambda summary, data: {}  # own numbers from summary + raw data
    # (data: the workload's raw data, "series" by probe name, the cell's "settings" and the workload's "tasks")
    probes: tuple[Any, ...] = ("postgres",)  # names in harness.probes.PROBES, or Probe instances
    # why the bug can hit a user's project, from what its settings say (harness.sut.inspection.ProjectFacts
    # .as_record(), see harness.applicability); None: it cannot
    applies: Callable[[dict], str | None] = lambda project: None
    takes_own_task: bool = False  # True: what is measured holds for any task, so --task may send a project's own

    def __post_init__(self) -> None:
        object.__setattr__(self, "probes", tuple(probes.resolve(p, f"scenario {self.name}") for p in self.probes))
        _check_workload(self.workload, f"scenario {self.name}")
        settings_module.build(self.settings, f"scenario {self.name}")
        for cell in self.cells:
            where = f"scenario {self.name}, cell {cell.name!r}"
            settings_module.build({**self.settings, **cell.settings}, where)
            if cell.workload is not None:
                _check_workload(cell.workload, where)

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
                "headline": self.headline or self.metrics[0], "threshold": self.threshold}

    def cell_settings(self, cell: Cell) -> Settings:
        return settings_module.build({**self.settings, **cell.settings}, f"scenario {self.name}, cell {cell.name!r}")

    def cell_workload(self, cell: Cell) -> Workload:
        return cell.workload or self.workload

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

    def cells_for_releases(self, releases: list[str], python: str | None = None,
                           patch: Patch | None = None) -> tuple[Cell, ...]:
        """Ad-hoc cells, one per requested Celery release (on `python` if given, patched if given), with the
        upstream claim if one is known (a patched release has none: the claim is about the release as shipped)."""
        suffix = (f" py{python}" if python else "") + (f" + {patch.name}" if patch else "")
        return tuple(Cell(f"celery {release}{suffix}", release, None if patch else self.claim_for_release(release),
                          python=python, patch=patch) for release in releases)


def _check_workload(workload: object, where: str) -> None:
    if not isinstance(workload, Workload):
        known = ", ".join(kind.__name__ for kind in WORKLOADS)
        raise HarnessError(f"{where}: unknown workload {workload!r} (known: {known})")


def all_scenarios() -> dict[str, Scenario]:
    """Every scenario module in scenarios/, by name; a one-line error for a module that does not declare one."""
    found = {}
    for path in sorted(SCENARIOS_DIR.glob("*.py")):
        if not path.name.startswith("_"):
            scenario = getattr(importlib.import_module(f"scenarios.{path.stem}"), "SCENARIO", None)
            if not isinstance(scenario, Scenario):
                raise HarnessError(f"scenarios/{path.name} declares no SCENARIO = Scenario(...)")
            found[scenario.name] = scenario
    return found


def get_scenario(name: str) -> Scenario:
    """The named scenario, or a one-line error naming the known ones."""
    scenarios = all_scenarios()
    if name not in scenarios:
        raise HarnessError(f"unknown scenario '{name}' (known: {', '.join(scenarios)})")
    return scenarios[name]
