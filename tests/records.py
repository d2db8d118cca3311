"""Valid schema-2 result records for tests, built from the record type with only what a test cares about."""
from __future__ import annotations

from dataclasses import asdict

from harness.record import CellInfo, CellRecord, ClaimInfo, ScenarioInfo, WorkloadInfo
from harness.settings import build


def make_record(name: str = "a", celery: str = "5.5.3", python: str = "3.11.7", settings: dict | None = None,
                summary: dict | None = None, verdict: str = "fixed", claim: tuple[str, str] | None = None,
                scenario: str = "conn_max_age", index: int = 0, **fields) -> dict:
    """A result record as a dict (what load_results returns), settings given by their flat names."""
    info = ScenarioInfo(scenario, "title", "claim", "0" * 16, "rule", ["sessions_per_task"], "sessions_per_task")
    record = CellRecord(
        scenario=info, cell=CellInfo(index, name, ClaimInfo(*claim) if claim else None), pins={"celery": celery},
        python=python, settings=build(settings or {}, "test"),
        workload=WorkloadInfo("burst", ["ledger.tasks.touch_db"], 10), started_at="2026-01-01T00:00:00+00:00",
        finished_at="2026-01-01T00:01:00+00:00", summary=summary or {}, verdict=verdict,
        agrees_with_claim=None if claim is None else claim[0] == verdict)
    return {**asdict(record), **fields}
