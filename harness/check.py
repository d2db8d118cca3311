"""What a run's records say in one line and for scripts: claims confirmed and refuted, the problems `--check` exits
non-zero on (a refuted claim, a verdict other than an expected file's), and the records as one JSON document."""
from __future__ import annotations

import json
from pathlib import Path

from harness.errors import HarnessError

CHECK_FAILED = 3  # exit code of --check when a claim is refuted or a verdict differs from the expected one


def closing_line(name: str, records: list[dict], page: Path) -> str:
    """`conn_max_age: 5 cells, 3 claims confirmed, 2 refuted (report: ...)`."""
    judged = [record["agrees_with_claim"] for record in records if record["agrees_with_claim"] is not None]
    unclaimed = len(records) - len(judged)
    extra = f", {unclaimed} without a claim" if unclaimed else ""
    return (f"{name}: {len(records)} cells, {judged.count(True)} claims confirmed, {judged.count(False)} refuted"
            f"{extra} (report: {page})")


def expected_verdicts(path: Path | None) -> dict[str, str]:
    """An expected file: a JSON object of cell name -> verdict; a one-line error for anything else."""
    if path is None:
        return {}
    try:
        expected = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise HarnessError(f"--expect {path}: {error}") from None
    if not isinstance(expected, dict) or not all(isinstance(v, str) for v in expected.values()):
        raise HarnessError(f"--expect {path}: not a JSON object of cell name -> verdict")
    return expected


def problems(records: list[dict], expected: dict[str, str]) -> list[str]:
    """One line per refuted claim and per cell whose verdict is not the expected one (or that did not run)."""
    found = [f"{record['cell']['name']}: measured {record['verdict']}, claimed {record['cell']['claim']['expect']} "
             f"({record['cell']['claim']['source']})" for record in records if record["agrees_with_claim"] is False]
    verdicts = {record["cell"]["name"]: record["verdict"] for record in records}
    for cell, verdict in expected.items():
        if verdicts.get(cell) != verdict:
            found.append(f"{cell}: expected {verdict}, measured {verdicts.get(cell, 'nothing (not in this run)')}")
    return found


def as_document(name: str, run: Path, records: list[dict]) -> str:
    """The run as one JSON document: every record as the result schema describes it, and the file it came from."""
    return json.dumps({"scenario": name, "run": str(run), "files": [record["file"] for record in records],
                       "records": [{k: v for k, v in record.items() if k != "file"} for record in records]})
