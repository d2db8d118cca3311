"""Probes by name: what a scenario can measure around its workload."""
from __future__ import annotations

from harness.errors import HarnessError
from harness.probes.base import Probe
from harness.probes.memory import MemoryProbe
from harness.probes.parent import ParentChecksProbe
from harness.probes.postgres import PostgresProbe

PROBES = {probe.name: probe for probe in (PostgresProbe, MemoryProbe, ParentChecksProbe)}


def resolve(declared: object, where: str) -> Probe:
    """A probe declared by name (its defaults) or as an instance; a one-line error for anything else."""
    if isinstance(declared, Probe):
        return declared
    if isinstance(declared, str) and declared in PROBES:
        return PROBES[declared]()
    raise HarnessError(f"{where}: unknown probe {declared!r} (known: {', '.join(PROBES)})")
