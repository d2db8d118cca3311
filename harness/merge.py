"""Merging one-cell runs (the CI matrix legs) of each scenario into one new run directory, in declared cell order."""
from __future__ import annotations

import shutil
import sys
from datetime import datetime, timezone
from pathlib import Path

from harness.results import cell_filename, load_results, run_dir, runs
from harness.scenario import Scenario, all_scenarios


def newest_by_cell(scenario: Scenario) -> dict[str, Path]:
    """The newest result file of each cell among the scenario's runs."""
    newest: dict[str, Path] = {}
    for run in reversed(runs(scenario.name)):  # oldest first: newer files replace older ones
        for record in load_results(run):
            newest[record["cell"]["name"]] = Path(record["file"])
    return newest


def merge_scenario(scenario: Scenario, run_id: str) -> Path | None:
    """Copy the newest file of every cell into results/<scenario>/<run_id>/ (None when there is none)."""
    newest = newest_by_cell(scenario)
    if not newest:
        return None
    order = {cell.name: index for index, cell in enumerate(scenario.cells)}
    target = run_dir(scenario.name, run_id)
    target.mkdir(parents=True, exist_ok=True)
    for name, path in newest.items():
        shutil.copy2(path, target / cell_filename(order.get(name, len(order)), name))
    return target


def main(argv: list[str]) -> None:
    """`python -m harness.merge [RUN_ID]`: print every merged run directory."""
    run_id = argv[0] if argv else datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ-merged")
    for scenario in all_scenarios().values():
        if merged := merge_scenario(scenario, run_id):
            print(merged)


if __name__ == "__main__":
    main(sys.argv[1:])
