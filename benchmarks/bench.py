"""`make bench`: measure stack start, a warm default conn_max_age run, dispatch and probe cost; record them."""
from __future__ import annotations

import json
import statistics
import time
from datetime import datetime, timezone
from pathlib import Path

from harness.envs import ensure_env
from harness.metadata import collect_all
from harness.atomic import write_atomic
from harness.results import load_results
from harness.runner import plan, run_scenario
from harness.scenario import get_scenario
from harness.stacks.local import LocalStack

OUT = Path(__file__).parent / "results"
TARGETS = {"stack_start_s": 10, "warm_scenario_s": 30, "dispatch_500_s": 1, "probe_cpu_pct_of_core": 2}


def bench_stack_start(repeats: int = 3) -> list[float]:
    times = []
    for _ in range(repeats):
        with LocalStack() as stack:
            times.append(stack.start_s)
    return times


def bench_warm_scenario() -> tuple[float, list[dict]]:
    scenario = get_scenario("conn_max_age")
    planned = plan(scenario)
    for item in planned:  # warm: every cell's venv built before the clock starts
        ensure_env(item.python, item.pins)
    started = time.monotonic()
    directory = run_scenario(scenario, planned, LocalStack, print)
    return time.monotonic() - started, load_results(directory)


def main() -> None:
    stack_times = bench_stack_start()
    warm_s, records = bench_warm_scenario()
    figures = {
        "stack_start_s": {"runs": stack_times, "median": statistics.median(stack_times)},
        "warm_scenario_s": round(warm_s, 2),
        "dispatch_500_s": {r["cell"]["name"]: r["timings"]["dispatch_s"] for r in records},
        "probe_cpu_pct_of_core": {r["cell"]["name"]: r["probes"]["postgres"]["cpu_pct_of_core"] for r in records},
        "probe_hz": records[0]["probes"]["postgres"]["hz"],
        "per_cell": {r["cell"]["name"]: {**r["timings"], "burst_wall_s": r["summary"]["burst_wall_s"]}
                     for r in records},
    }
    record = {"measured_at": datetime.now(timezone.utc).isoformat(), "targets": TARGETS, "figures": figures,
              **collect_all()}
    path = write_atomic(OUT / f"bench-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}.json",
                        json.dumps(record, indent=1))
    print(json.dumps(figures, indent=1))
    print(f"recorded: {path}")


if __name__ == "__main__":
    main()
