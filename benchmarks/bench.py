"""`make bench`: stack start, a warm default conn_max_age run as a user starts it (wall time, the sum of its bursts,
where each cell's time goes), dispatch and probe cost; recorded under benchmarks/results/."""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from harness.atomic import write_atomic
from harness.envs import ensure_env
from harness.metadata import collect_all
from harness.runner import plan
from harness.scenario import get_scenario
from harness.stacks.local import LocalStack

OUT = Path(__file__).parent / "results"
SCENARIO = "conn_max_age"
TARGETS = {"stack_start_s": 10, "warm_over_bursts": 1.5, "dispatch_500_s": 1, "probe_cpu_pct_of_core": 2}
CELL_PHASES = ("env_s", "cell_setup_s", "probes_start_s", "server_start_s", "workload_s", "server_stop_s",
               "finish_s", "probes_stop_s")


def bench_stack_start(repeats: int = 3) -> list[float]:
    times = []
    for _ in range(repeats):
        with LocalStack() as stack:
            times.append(stack.start_s)
    return times


def warm_run() -> tuple[float, dict]:
    """`harness run conn_max_age --json` with every cell's env already built: its wall time and its document."""
    for item in plan(get_scenario(SCENARIO)):
        ensure_env(item.python, item.pins)
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "harness", "run", SCENARIO, "--json"], capture_output=True,
                          text=True, check=True)
    return round(time.monotonic() - started, 2), json.loads(done.stdout)


def breakdown(wall_s: float, records: list[dict]) -> dict:
    """Where the warm run's time went: per cell its phases (the workload split into burst, drain detection and
    settle), the run's own steps, and what is left (imports, planning, report and chart, stack stop)."""
    cells = {}
    for record in records:
        timings, phases = record["timings"], record.get("phases") or {}
        burst = record["summary"]["burst_wall_s"] or 0.0
        drained = phases["drained"] - phases["dispatch"] if {"drained", "dispatch"} <= phases.keys() else None
        cells[record["cell"]["name"]] = {
            **{phase: timings.get(phase) for phase in CELL_PHASES}, "burst_s": burst,
            "drain_detection_s": round(drained - burst, 3) if drained is not None else None,
            "settle_s": round(phases["settled"] - phases["drained"], 3) if "settled" in phases else None}
    stack = records[0]["stack"]
    accounted = sum(value or 0 for cell in cells.values() for key, value in cell.items()
                    if key in CELL_PHASES) + stack["start_s"] + stack.get("schema_s", 0)
    return {"cells": cells, "stack_start_s": stack["start_s"], "schema_s": stack.get("schema_s"),
            "rest_s": round(wall_s - accounted, 2)}


def main() -> None:
    stack_times = bench_stack_start()
    wall_s, document = warm_run()
    records = document["records"]
    bursts = round(sum(r["summary"]["burst_wall_s"] or 0 for r in records), 2)
    figures = {
        "stack_start_s": {"runs": stack_times, "median": statistics.median(stack_times)},
        "warm_scenario_s": wall_s, "bursts_sum_s": bursts, "warm_over_bursts": round(wall_s / bursts, 2),
        "breakdown": breakdown(wall_s, records), "run": document["run"],
        "dispatch_500_s": {r["cell"]["name"]: r["timings"]["dispatch_s"] for r in records},
        "probe_cpu_pct_of_core": {r["cell"]["name"]: r["probes"]["postgres"]["cpu_pct_of_core"] for r in records},
        "probe_hz": records[0]["probes"]["postgres"]["hz"],
    }
    record = {"measured_at": datetime.now(timezone.utc).isoformat(), "targets": TARGETS, "figures": figures,
              **collect_all()}
    path = write_atomic(OUT / f"bench-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}.json",
                        json.dumps(record, indent=1))
    print(json.dumps(figures, indent=1))
    print(f"recorded: {path}")


if __name__ == "__main__":
    main()
