"""Result files on disk: where a run's files go, written atomically, read back as schema-2 records."""
from __future__ import annotations

import json
import re
from pathlib import Path

import msgspec

from harness.atomic import write_atomic
from harness.errors import HarnessError, warn
from harness.paths import check_free_space, results_dir
from harness.record import CellRecord, encode, upgrade


RESULTS_FREE_MB = 100  # a run's JSON, logs and charts: a few MB; room for them before the stack starts


def run_dir(scenario: str, run_id: str) -> Path:
    return results_dir() / scenario / run_id


def new_run_dir(scenario: str, run_id: str) -> Path:
    """A run directory of its own, created now (a run started in the same second gets RUN_ID-2, -3, ...); a
    one-line error when the results dir cannot be written or has no room."""
    parent = results_dir() / scenario
    try:
        parent.mkdir(parents=True, exist_ok=True)
        check_free_space(parent, RESULTS_FREE_MB, "a run's results")
        for attempt in range(1, 100):
            path = parent / (run_id if attempt == 1 else f"{run_id}-{attempt}")
            try:
                path.mkdir()
                return path
            except FileExistsError:
                continue
    except OSError as error:
        raise HarnessError(f"cannot write results in {parent}: {error.strerror} (REPRO_RESULTS_DIR names another "
                           "place)") from None
    raise HarnessError(f"99 runs of {scenario} started in the second {run_id}: start fewer at once")


def cell_filename(index: int, cell_name: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9.]+", "-", cell_name).strip("-")
    return f"{index:02d}-{slug}.json"


class ResultFileError(HarnessError, ValueError):
    """A stored file that is not a result record: unreadable JSON, another schema, missing fields."""


def write_result(record: CellRecord, path: Path) -> Path:
    return write_atomic(path, encode(record))


def load_record(path: Path) -> dict:
    """One result file as a schema-2 record (schema 1 migrated), with its `file`; ValueError naming the file."""
    try:
        return upgrade(json.loads(path.read_text())) | {"file": str(path)}
    except (ValueError, msgspec.ValidationError, KeyError, TypeError) as error:
        raise ResultFileError(f"{path}: not a result record ({error}); move it away or run the cell again") from None


def load_results(directory: Path) -> list[dict]:
    """Every readable cell result in a run directory, in cell order; a file that is not one is skipped with one
    warning naming it."""
    records = []
    for path in sorted(directory.glob("*.json")):
        try:
            records.append(load_record(path))
        except ResultFileError as error:
            warn(f"skipped {error}")
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
    """The cells a run holds (a file that cannot be read names none; loading it says why)."""
    names = set()
    for path in run.glob("*.json"):
        try:
            names.add(json.loads(path.read_text())["cell"]["name"])
        except (ValueError, KeyError, TypeError):
            continue
    return names
