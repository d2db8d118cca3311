"""Workloads a scenario can declare: a burst of tasks, a burst with a broker fault, a web load."""
from __future__ import annotations

from harness.workloads.base import Workload
from harness.workloads.burst import Burst
from harness.workloads.faulted import FaultedBurst
from harness.workloads.web import WebLoad

WORKLOADS = (Burst, FaultedBurst, WebLoad)

__all__ = ["Workload", "Burst", "FaultedBurst", "WebLoad", "WORKLOADS"]
