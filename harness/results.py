"""The result file: one JSON document per cell run, with a schema version, written atomically."""
from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

from harness.paths import results_dir

SCHEMA_VERSION = 1


def run_dir(scenario: str, run_id: str) -> Path:
    return results_dir() / scenario / run_id


def cell_filename(index: int, cell_name: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9.]+", "-", cell_name).strip("-")
    return f"{index:02d}-{slug}.json"


def write_atomic(path: Path, text: str) -> Path:
    """Write via a temp file in the same directory and rename, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; results are meant to be read by anyone
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def write_result(record: dict, path: Path) -> Path:
    return write_atomic(path, json.dumps({"schema_version": SCHEMA_VERSION, **record}, indent=1, sort_keys=True))


def load_results(directory: Path) -> list[dict]:
    """Every cell result in a run directory, in cell order; refuses files of another schema."""
    records = []
    for path in sorted(directory.glob("*.json")):
        record = json.loads(path.read_text())
        if record.get("schema_version") != SCHEMA_VERSION:
            raise ValueError(f"{path}: schema_version {record.get('schema_version')} is not {SCHEMA_VERSION}")
        records.append(record | {"file": str(path)})
    return records


RUN_ID = re.compile(r"\d{8}T\d{6}Z(-[\w.-]+)?")  # runner.new_run_id(); bisect/ and timeline/ hold other files


def runs(scenario: str) -> list[Path]:
    """Run directories of a scenario that hold at least one result, newest first."""
    return sorted((p for p in (results_dir() / scenario).glob("*")
                   if p.is_dir() and RUN_ID.fullmatch(p.name) and any(p.glob("*.json"))), reverse=True)


def latest_run(scenario: str) -> Path | None:
    """The newest run directory of a scenario that holds at least one result."""
    found = runs(scenario)
    return found[0] if found else None


def latest_full_run(scenario: str, cell_names: set[str]) -> Path | None:
    """The newest run that holds every one of these cells (the default ones), else the newest run."""
    for run in runs(scenario):
        if cell_names <= _cell_names(run):
            return run
    return latest_run(scenario)


def _cell_names(run: Path) -> set[str]:
    return {json.loads(path.read_text())["cell"]["name"] for path in run.glob("*.json")}
