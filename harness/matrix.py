"""What CI and Docker see of the cells: the JSON listing, the matrix legs, and build arguments from pins."""
from __future__ import annotations

import re
from dataclasses import asdict

from harness.pins import EXTRAS, PINNED
from harness.pythons import python_for
from harness.scenario import Cell, Scenario, all_scenarios

GUNICORN = "23.0.0"  # the web side of the image; Python 3.6 needs an older release
GUNICORN_BY_PYTHON = {"3.6": "21.2.0"}


def cell_python(cell: Cell) -> str:
    return cell.python or python_for(cell.celery)


def slug(text: str) -> str:
    """A name safe for files and artifact names."""
    return re.sub(r"[^A-Za-z0-9.]+", "-", text).strip("-")


def describe_cell(cell: Cell) -> dict:
    claim = asdict(cell.claim) if cell.claim else None
    return {"name": cell.name, "celery": cell.celery, "python": cell_python(cell), "pins": dict(cell.pins),
            "settings": dict(cell.settings), "optional": cell.optional, "claim": claim}


def describe_scenario(scenario: Scenario) -> dict:
    return {**scenario.describe(), "services": list(scenario.services), "settings": scenario.settings,
            "workload": scenario.workload.describe(), "cells": [describe_cell(cell) for cell in scenario.cells]}


def legs(scenarios: dict[str, Scenario]) -> list[dict]:
    """One CI leg per default cell of every scenario, named uniquely."""
    return [{"scenario": name, "cell": cell.name, "python": cell_python(cell), "slug": slug(f"{name}-{cell.name}")}
            for name, scenario in scenarios.items() for cell in scenario.cells_named(None)]


def listing() -> dict:
    """`harness list --json`: every scenario's declaration, and the matrix of its default cells."""
    scenarios = all_scenarios()
    return {"scenarios": [describe_scenario(scenario) for scenario in scenarios.values()],
            "matrix": legs(scenarios)}


def arg_name(package: str) -> str:
    return re.sub(r"[^A-Z0-9]", "_", package.upper()) + "_VERSION"


def build_args(python: str, pins: dict[str, str]) -> dict[str, str]:
    """Docker build arguments installing exactly these pins: one *_VERSION per pinned package (empty: not in
    this cell), anything else as EXTRA_PINS, and the web server."""
    args = {"PYTHON_VERSION": python, **{arg_name(name): pins.get(name, "") for name in PINNED}}
    extra = [f"{EXTRAS.get(name, name)}=={version}" for name, version in pins.items()
             if name not in PINNED and name != "gunicorn"]
    gunicorn = pins.get("gunicorn") or GUNICORN_BY_PYTHON.get(python, GUNICORN)
    return {**args, "EXTRA_PINS": " ".join(extra), "GUNICORN_VERSION": gunicorn}
