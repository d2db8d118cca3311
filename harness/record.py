"""The result record of one cell: its declared type (schema 2), reading schema-1 files, and its JSON Schema.

Dataclasses checked and converted by msgspec: the standard library's types, with validation on read and a JSON
Schema generated from the same declaration, through one small dependency.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Optional

import msgspec

from harness.settings import OWNER, Settings

SCHEMA_VERSION = 2


@dataclass
class ClaimInfo:
    expect: str
    source: str


@dataclass
class ScenarioInfo:
    """The scenario as declared when the cell ran; `source_hash` identifies the code that judged it."""

    name: str
    title: str
    claim: str
    source_hash: str
    verdict_rule: str
    metrics: list[str]
    headline: str
    threshold: Optional[float] = None  # the headline value the verdict rule compares with, where there is one


@dataclass
class CellInfo:
    index: int
    name: str
    claim: Optional[ClaimInfo] = None


@dataclass
class WorkloadInfo:
    """What ran: `kind` (burst, faulted_burst, web_load), task names, how many, in which unit, its parameters."""

    kind: str
    tasks: list[str]
    count: int
    units: str = "tasks"
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class ProbeInfo:
    """How a sampling probe ran: rate, samples taken, its own CPU cost."""

    hz: float
    samples: int
    cpu_pct_of_core: float


@dataclass
class PatchInfo:
    """A unified diff applied to the cell's site-packages: its file name, hash, the files it changes, its text."""

    name: str
    sha256: str
    files: list[str]
    text: str


@dataclass
class Repeat:
    summary: dict[str, Any]
    verdict: str
    started_at: str


@dataclass
class CellRecord:
    """One cell's result file. `series` holds each probe's time series by probe name, `panels` the chart panels
    they name; `summary` the numbers (unit in the name); `verdict` the scenario's rule applied to them."""

    scenario: ScenarioInfo
    cell: CellInfo
    pins: dict[str, str]
    python: str
    settings: Settings
    workload: WorkloadInfo
    started_at: str
    finished_at: str
    summary: dict[str, Any]
    verdict: str
    agrees_with_claim: Optional[bool]
    freeze: dict[str, str] = field(default_factory=dict)
    timings: dict[str, Any] = field(default_factory=dict)
    probes: dict[str, ProbeInfo] = field(default_factory=dict)
    series: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    panels: list[str] = field(default_factory=list)
    phases: Optional[dict[str, float]] = None
    errors: dict[str, int] = field(default_factory=dict)  # ledger error message -> count
    fault: Optional[dict[str, Any]] = None
    parent_checks: list[dict[str, Any]] = field(default_factory=list)
    web_load: Optional[dict[str, Any]] = None
    completions: Optional[list[float]] = None
    patch: Optional[PatchInfo] = None  # the diff applied to the cell's installed packages
    project: Optional[dict[str, Any]] = None  # a user's project: where it is, its lock file, what its settings say
    stats: Optional[dict[str, Any]] = None
    repeats: Optional[list[Repeat]] = None
    stack: dict[str, Any] = field(default_factory=dict)
    servers: dict[str, str] = field(default_factory=dict)
    host: dict[str, Any] = field(default_factory=dict)
    harness: dict[str, Any] = field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION


def encode(record: CellRecord) -> str:
    return json.dumps(asdict(record), indent=1, sort_keys=True)


def validate(data: dict) -> dict:
    """A schema-2 record as plain data, checked against the type (msgspec.ValidationError if it does not fit)."""
    return asdict(msgspec.convert(data, CellRecord))


def upgrade(data: dict) -> dict:
    """Any stored record as schema 2: version 1 migrated, version 2 checked; ValueError for another version."""
    version = data.get("schema_version")
    if version == 1:
        data = from_v1(data)
    elif version != SCHEMA_VERSION:
        raise ValueError(f"schema_version {version!r} is not 1 or {SCHEMA_VERSION}")
    return validate(data)


def json_schema() -> dict:
    """The JSON Schema of a result file (results/record.schema.json is this, written by `make schema`)."""
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "celery-repro cell result",
            **msgspec.json.schema(CellRecord)}


# Schema 1 kept every setting in one dict with mixed-case keys; these are their schema-2 names.
V1_SETTINGS = {"CONN_MAX_AGE": "conn_max_age", "DB_POOL": "db_pool", "DB_SSLMODE": "db_sslmode",
               "MAX_TASKS_PER_CHILD": "max_tasks_per_child", "TASK_TIME_LIMIT_S": "time_limit_s",
               "WORKER_REMOTE_FEATURES": "remote_features", "LEAK_BYTES": "leak_bytes", "FAIL_MODE": "fail_mode",
               "TASK_SLEEP_S": "task_sleep_s", "WORK_SLEEP_S": "work_sleep_s", "TXN_STYLE": "txn_style",
               "PARENT_CONN": "parent_conn", "CHILD_HOOK": "child_hook", "TASK_HOOK": "task_hook",
               "GC_ON_FAILURE": "gc_on_failure", "PG_MAX_CONNECTIONS": "pg_max_connections"}
V1_WORKLOAD = {"WEB_USERS": "users", "WEB_SECONDS": "seconds", "FAULT": "fault", "FAULT_AFTER_TASKS": "after_tasks",
               "PAUSE_S": "pause_s", "DOWN_S": "down_s"}


def _v1_settings(old: dict) -> tuple[dict, dict]:
    """(grouped settings, workload parameters) from a schema-1 settings dict."""
    groups: dict[str, dict] = {}
    params = {V1_WORKLOAD[k]: v for k, v in old.items() if k in V1_WORKLOAD}
    for key, value in old.items():
        name = V1_SETTINGS.get(key, key)
        if name in OWNER:
            groups.setdefault(OWNER[name], {})[name] = value
    return {**groups, "celery": old.get("celery") or {}}, params


def _v1_kind(old: dict) -> tuple[str, str]:
    if old.get("path") == "web":
        return "web_load", "requests"
    return ("faulted_burst" if old.get("FAULT") else "burst"), "tasks"


def _v1_panels(data: dict) -> list[str]:
    if data["scenario"].get("chart") == "states":
        return ["connection_states"]
    if data.get("memory"):
        return ["child_rss"]
    return ["completions"] if data.get("fault") else ["sessions"]


def _v1_probes(data: dict) -> tuple[dict, dict]:
    """(series by probe, probe info by probe): schema 1 kept the memory sampler's rate and cost inside `memory`."""
    series, probes = {"postgres": data.get("series") or {}}, {}
    if data.get("probe"):
        probes["postgres"] = data["probe"]
    if memory := data.get("memory"):
        info = {key: memory[key] for key in ("hz", "cpu_pct_of_core") if key in memory}
        series["memory"] = {key: value for key, value in memory.items() if key not in info}
        probes["memory"] = {**info, "samples": len(series["memory"].get("t", []))}
    return series, probes


V1_TIMINGS = {"worker_start_s": "server_start_s", "worker_stop_s": "server_stop_s"}


def from_v1(data: dict) -> dict:
    """A schema-1 record in schema 2's shape: settings grouped, per-probe series, panels named."""
    settings, params = _v1_settings(data.get("settings") or {})
    kind, units = _v1_kind(data.get("settings") or {})
    series, probes = _v1_probes(data)
    timings = {V1_TIMINGS.get(key, key): value for key, value in (data.get("timings") or {}).items()}
    scenario = {k: v for k, v in data["scenario"].items() if k != "chart"}
    return {**{k: v for k, v in data.items() if k not in ("series", "memory", "probe", "file")},
            "scenario": scenario, "settings": settings, "series": series, "panels": _v1_panels(data),
            "probes": probes, "timings": timings,
            "workload": {**data["workload"], "kind": kind, "units": units, "params": params},
            "freeze": data.get("freeze") or {}, "schema_version": SCHEMA_VERSION}


if __name__ == "__main__":  # python -m harness.record > results/record.schema.json
    print(json.dumps(json_schema(), indent=1, sort_keys=True))
