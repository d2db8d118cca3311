"""`harness doctor`: which claims of the catalogue apply to a user's project, with what was measured, from its lock
file and settings alone (nothing is started but its settings' import in its own env)."""
from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from packaging.version import InvalidVersion, Version

from harness.compare import fmt_stat
from harness.results import load_results, runs
from harness.scenario import Scenario, all_scenarios
from harness.sut.inspection import refusals, unsupported
from harness.sut.own_project import project_pins, read_project
from harness.sut.user_project import UserProject

REFUSED = 2  # the exit code when the project's settings name a host the harness must not reach


@dataclass
class Finding:
    """One scenario that applies: why, what upstream says of the release, what was measured, how to check."""

    scenario: str
    reason: str
    upstream: str | None
    measured: list[str] = field(default_factory=list)
    command: str = ""


@dataclass
class Diagnosis:
    project: str
    pins: dict[str, str]
    unpinned: list[str]
    refused: list[str]
    findings: list[Finding]
    not_applicable: list[str]


def diagnose(project: UserProject, say: Callable[[str], None]) -> Diagnosis:
    """Read the project's releases and settings and match them against every scenario and its stored results."""
    pinned = project_pins(project)
    unpinned = [name for name in ("kombu", "billiard", "django") if name not in pinned.pins]
    _, facts = read_project(project, pinned, say)
    refused = [*refusals(facts), *unsupported(project, facts)]
    if refused:
        return Diagnosis(project.name, pinned.pins, unpinned, refused, [], [])
    record, release = {**project.describe(), **facts.as_record()}, pinned.pins["celery"]
    findings, not_applicable = [], []
    for scenario in all_scenarios().values():
        reason = scenario.applies(record)
        if reason is None:
            not_applicable.append(scenario.name)
            continue
        findings.append(Finding(scenario.name, reason, _upstream(scenario, release),
                                measured_lines(scenario, project.root, release), check_command(scenario, project)))
    return Diagnosis(project.name, pinned.pins, unpinned, [], findings, not_applicable)


def _upstream(scenario: Scenario, release: str) -> str | None:
    claim = scenario.claim_for_release(release)
    return f"{claim.expect} ({claim.source})" if claim else None


def check_command(scenario: Scenario, project: UserProject) -> str:
    args = shlex.join(["--project", _shown_path(project.root), *project.options])
    return f"make scenario NAME={scenario.name} ARGS={shlex.quote(args)}"


def _shown_path(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def measured_lines(scenario: Scenario, root: Path, release: str) -> list[str]:
    """The newest measurement of this project, then the newest cells of the same Celery release (else of its
    minor series), each with verdict, headline and file."""
    own, same, series = None, [], []
    for run in runs(scenario.name):
        records = load_results(run)
        own = own or next((r for r in records if r.get("project") and Path(r["project"]["root"]) == root), None)
        reference = [r for r in records if not r.get("project")]
        same = same or [r for r in reference if r["pins"].get("celery") == release]
        series = series or [r for r in reference if _series(r["pins"].get("celery")) == _series(release)]
        if own and same:
            break
    lines = [f"measured on this project, cell {own['cell']['name']!r}: {_measured(own)}"] if own else []
    reference = same or series
    label = f"celery {release}" if same else f"celery {_series(release)}.x"
    lines += [f"measured on {label}, cell {r['cell']['name']!r}: {_measured(r)}" for r in reference]
    return lines or [f"not measured here yet for celery {_series(release)}.x"]


def _measured(record: dict) -> str:
    headline = record["scenario"]["headline"]
    return f"{record['verdict']}, {headline} {fmt_stat(record, headline)} ({_shown_path(Path(record['file']))})"


def _series(release: str | None) -> str | None:
    try:
        version = Version(release or "")
    except InvalidVersion:
        return None
    return f"{version.major}.{version.minor}"


def report_lines(diagnosis: Diagnosis) -> list[str]:
    """The diagnosis for people: releases, then each applicable claim, then what does not apply."""
    pins = ", ".join(f"{name} {version}" for name, version in diagnosis.pins.items())
    lines = [f"{diagnosis.project}: {pins}"]
    lines += [f"{name}: not pinned in the lock file (claims that depend on it cannot be matched)"
              for name in diagnosis.unpinned]
    if diagnosis.refused:
        return lines + [f"refused: {line}" for line in diagnosis.refused]
    for finding in diagnosis.findings:
        lines.append(f"{finding.scenario} applies: {finding.reason}")
        if finding.upstream:
            lines.append(f"  upstream for celery {diagnosis.pins['celery']}: {finding.upstream}")
        lines += [f"  {line}" for line in finding.measured]
        lines.append(f"  check it on this project: {finding.command}")
    if diagnosis.not_applicable:
        lines.append(f"does not apply to these settings: {', '.join(diagnosis.not_applicable)}")
    return lines

