"""What CI sees of the scenarios: the JSON listing of every declaration, and the matrix legs of default cells."""
from __future__ import annotations

import re
from dataclasses import asdict

from harness.pythons import python_for
from harness.scenario import Cell, Scenario, all_scenarios


def cell_python(cell: Cell) -> str:
    return cell.python or python_for(cell.celery)


def slug(text: str) -> str:
    """A name safe for files and artifact names."""
    return re.sub(r"[^A-Za-z0-9.]+", "-", text).strip("-")


def describe_cell(scenario: Scenario, cell: Cell) -> dict:
    claim = asdict(cell.claim) if cell.claim else None
    workload = scenario.cell_workload(cell)
    return {"name": cell.name, "celery": cell.celery, "python": cell_python(cell), "pins": dict(cell.pins),
            "settings": scenario.cell_settings(cell).as_record(), "optional": cell.optional, "claim": claim,
            "patch": {"name": cell.patch.name, "sha256": cell.patch.sha256} if cell.patch else None,
            "workload": {"kind": workload.kind, "describe": workload.describe(), "params": workload.params()}}


def describe_scenario(scenario: Scenario) -> dict:
    return {**scenario.describe(), "services": list(scenario.services), "settings": scenario.settings,
            "workload": scenario.workload.describe(), "probes": [probe.name for probe in scenario.probes],
            "cells": [describe_cell(scenario, cell) for cell in scenario.cells]}


def legs(scenarios: dict[str, Scenario]) -> list[dict]:
    """One CI leg per default cell of every scenario, named uniquely."""
    return [{"scenario": name, "cell": cell.name, "python": cell_python(cell), "slug": slug(f"{name}-{cell.name}")}
            for name, scenario in scenarios.items() for cell in scenario.cells_named(None)]


def listing() -> dict:
    """`harness list --json`: every scenario's declaration, and the matrix of its default cells."""
    scenarios = all_scenarios()
    return {"scenarios": [describe_scenario(scenario) for scenario in scenarios.values()],
            "matrix": legs(scenarios)}
