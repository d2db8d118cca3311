"""Workloads a scenario can declare: a burst of tasks, a burst with a broker fault, a lost worker, a web load."""
from __future__ import annotations

from harness.workloads.base import Workload
from harness.workloads.burst import Burst
from harness.workloads.faulted import FaultedBurst
from harness.workloads.lost_worker import LostWorker
from harness.workloads.web import WebLoad

WORKLOADS = (Burst, FaultedBurst, LostWorker, WebLoad)

__all__ = ["Workload", "Burst", "FaultedBurst", "LostWorker", "WebLoad", "WORKLOADS"]
