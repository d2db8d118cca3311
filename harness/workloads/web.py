"""The web-load workload: django_project/ under gunicorn, a locust load with a request mix given as data."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass, field

from harness.cellrun import CellRun
from harness.errors import HarnessError, last_line
from harness.reaper import run_recorded
from harness.sut.web import Gunicorn
from harness.workloads.base import Workload

LOAD_GRACE_S = 60  # locust's own start and stop, beyond the load's duration


@dataclass(frozen=True)
class WebLoad(Workload):
    """`users` locust users requesting `paths` (path -> weight) for `seconds` through gunicorn with the cell's
    worker concurrency as sync workers; a path's status in `expected_status` counts as success."""

    paths: dict[str, int]
    users: int = 8
    seconds: float = 10.0
    expected_status: dict[str, int] = field(default_factory=dict)
    baseline_s: float = 0.0
    settle_s: float = 0.5
    count: int = 0  # the load is bounded in time, not in requests

    kind, unit = "web_load", "request"

    def describe(self) -> str:
        mix = ", ".join(f"{weight} x {path}" for path, weight in self.paths.items())
        return f"{self.users} locust users for {self.seconds:g} s through gunicorn ({mix})"

    def params(self) -> dict:
        return {"users": self.users, "seconds": self.seconds, "paths": dict(self.paths),
                "expected_status": dict(self.expected_status), "baseline_s": self.baseline_s,
                "settle_s": self.settle_s}

    def server(self, run: CellRun) -> Gunicorn:
        return Gunicorn(run.stack, run.project, run.settings.worker.concurrency)

    def run(self, run: CellRun) -> None:
        """Baseline, the locust load, settle: the web counterpart of a task burst, with the same phase marks."""
        time.sleep(self.baseline_s)
        run.mark("dispatch")
        load = self.load(run.server.url, run.logdir)
        run.mark("drained")
        time.sleep(self.settle_s)
        run.mark("settled")
        run.data.update(web_load=load, unit="request", units_done=load["requests"], harness_sessions=0)
        load_s = round(run.marks["drained"] - run.marks["dispatch"], 3)
        run.timings["load_s"] = load_s
        run.summary.update(requests=load["requests"], request_failures=load["failures"],
                           requests_per_s=load["requests_per_s"], load_s=load_s)

    def load(self, url: str, logdir) -> dict:
        """Locust's numbers, from its own process."""
        mix, out = logdir / "locust-mix.json", logdir / "locust.json"
        mix.write_text(json.dumps({"paths": self.paths, "expected_status": self.expected_status}))
        command = [sys.executable, "-m", "harness.workloads.locust_load", url, str(self.users), str(self.seconds),
                   str(mix), str(out)]
        try:
            done = run_recorded(command, self.seconds + LOAD_GRACE_S)
        except subprocess.TimeoutExpired:
            raise HarnessError(f"locust did not finish within {self.seconds + LOAD_GRACE_S:.0f} s") from None
        if done.returncode != 0:
            raise HarnessError(f"locust failed: {last_line(done.stderr)}")
        return json.loads(out.read_text())

    def progress(self, summary: dict) -> str:
        return (f"{summary['requests']} requests ({summary['request_failures']} failed) in {summary['load_s']}s, "
                f"{summary.get('sessions_opened', '-')} sessions")
