"""The matrix workflow: actionlint passes, its legs come from `harness list --json`, results reach Pages."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from harness.paths import REPO_ROOT
from harness.scenario import all_scenarios

WORKFLOW = REPO_ROOT / ".github" / "workflows" / "matrix.yml"


def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def steps(job: str) -> list[dict]:
    return workflow()["jobs"][job]["steps"]


def step_running(job: str, text: str) -> dict:
    [step] = [step for step in steps(job) if text in step.get("run", "")]
    return step


def uses(job: str, action: str) -> dict:
    [step] = [step for step in steps(job) if step.get("uses", "").startswith(action + "@")]
    return step


def test_actionlint_passes():
    actionlint = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which("actionlint")
    assert actionlint, "actionlint is not installed (dev dependency)"
    done = subprocess.run([actionlint, "-no-color", str(WORKFLOW)], capture_output=True, text=True, cwd=REPO_ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


def test_list_json_yields_every_default_cell_once():
    done = subprocess.run([sys.executable, "-m", "harness", "list", "--json"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    listing = json.loads(done.stdout)
    legs = {(leg["scenario"], leg["cell"]) for leg in listing["matrix"]}
    expected = {(name, cell.name) for name, scenario in all_scenarios().items() for cell in scenario.cells_named(None)}
    assert legs == expected and len(listing["matrix"]) == len(expected)
    assert len({leg["slug"] for leg in listing["matrix"]}) == len(expected)
    assert all(set(leg) == {"scenario", "cell", "python", "slug"} and leg["python"].startswith("3.")
               for leg in listing["matrix"])
    assert {scenario["name"] for scenario in listing["scenarios"]} == set(all_scenarios())


def test_plan_job_feeds_the_matrix_from_list_json():
    plan = step_running("plan", "harness list --json")
    assert plan["id"] == "legs" and "jq -c .matrix" in plan["run"] and "$GITHUB_OUTPUT" in plan["run"]
    jobs = workflow()["jobs"]
    assert jobs["plan"]["outputs"]["legs"] == "${{ steps.legs.outputs.legs }}"
    assert jobs["cell"]["strategy"]["matrix"] == {"include": "${{ fromJSON(needs.plan.outputs.legs) }}"}


def test_each_leg_runs_its_cell_on_the_local_backend_and_uploads_uniquely_named_json():
    job = workflow()["jobs"]["cell"]
    assert job["env"] == {"SCENARIO": "${{ matrix.scenario }}", "CELL": "${{ matrix.cell }}",
                          "CELL_PYTHON": "${{ matrix.python }}"}
    assert step_running("cell", "bash .ci/run --install-only")
    run = step_running("cell", "harness run")["run"]
    assert run == '.venv/bin/harness run "$SCENARIO" --cell "$CELL"' and "--stack" not in run
    upload = uses("cell", "actions/upload-artifact")["with"]
    assert upload["name"] == "results-${{ matrix.slug }}" and upload["path"] == "results/*/*/*.json"


def test_leg_cells_are_accepted_by_the_cli_cell_option():
    for name, scenario in all_scenarios().items():
        cells = [cell.name for cell in scenario.cells_named(None)]
        assert [cell.name for cell in scenario.cells_named(cells)] == cells


def test_fan_in_merges_reports_summarises_and_deploys_to_pages():
    download = uses("report", "actions/download-artifact")["with"]
    assert download == {"pattern": "results-*", "path": "results", "merge-multiple": True}
    assert step_running("report", "python -m harness.merge")
    assert step_running("report", "harness report --html --out site")
    assert step_running("report", "$GITHUB_STEP_SUMMARY")["run"] == 'cat site/summary.md >> "$GITHUB_STEP_SUMMARY"'
    assert uses("report", "actions/upload-pages-artifact")["with"] == {"path": "site"}
    deploy = workflow()["jobs"]["deploy"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages" and deploy["needs"] == "report"
    assert uses("deploy", "actions/deploy-pages")["id"] == "deployment"
    assert workflow()["permissions"] == {"contents": "read"}


def test_ci_run_installs_chromium_for_the_report_test_but_not_for_legs():
    script = (REPO_ROOT / ".ci" / "run").read_text()
    assert "missing+=(chromium)" in script and '"${1:-}" = "--install-only"' in script
