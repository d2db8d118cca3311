"""conn_max_age, conn_leak and exception_leak on tests/sample_project (its own settings layout, Celery app, lock file,
database alias, model and task_postrun hook), beside reference cells; then `harness doctor` on the results."""
import json
import os
import subprocess
import sys

import pytest

from harness.paths import REPO_ROOT
from harness.runner import plan, run_scenario
from harness.scenario import get_scenario
from harness.stacks.local import LocalStack
from harness.sut.user_project import find_project

pytestmark = pytest.mark.integration
SAMPLE = REPO_ROOT / "tests" / "sample_project"
PROJECT = "sample_project"


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REPRO_RESULTS_DIR", str(tmp_path_factory.mktemp("results")))
        yield os.environ["REPRO_RESULTS_DIR"]


def run_on_project(name, cells, tasks, task=None, **environment):
    """The records by cell name of `name` run on the reference cells and the sample project."""
    with pytest.MonkeyPatch.context() as patch:
        for variable, value in environment.items():
            patch.setenv(variable, value)
        scenario = get_scenario(name)
        planned = plan(scenario, names=cells, project=find_project(SAMPLE), project_task=task)
        directory = run_scenario(scenario, planned, LocalStack, print, count=tasks)
    records = [json.loads(path.read_text()) for path in sorted(directory.glob("*.json"))]
    return {record["cell"]["name"]: record for record in records}


@pytest.fixture(scope="module")
def conn_max_age(results):
    return run_on_project("conn_max_age", ["5.5.3"], 100)


def test_the_projects_task_postrun_hook_costs_a_session_per_task(conn_max_age):
    project, reference = conn_max_age[PROJECT], conn_max_age["5.5.3"]
    assert project["pins"]["celery"] == "5.5.3" and project["python"].startswith("3.12")
    assert project["summary"]["tasks_executed"] == 100 and project["summary"]["tasks_lost"] == 0
    assert 0.95 <= project["summary"]["sessions_per_task"] <= 1.05 and project["verdict"] == "broken"
    assert reference["summary"]["sessions_per_task"] <= 0.05 and reference["verdict"] == "fixed"
    assert project["project"]["receivers"]["task_postrun"] == ["orders.signals.close_connections_after_task"]
    assert project["project"]["databases"]["shop"]["conn_max_age"] == 60


def test_without_the_hook_the_project_reuses_connections_as_its_release_does(results):
    records = run_on_project("conn_max_age", ["5.5.3"], 100, SHOP_CLOSE_DB_AFTER_TASK="0")
    assert records[PROJECT]["summary"]["sessions_per_task"] <= 0.05 and records[PROJECT]["verdict"] == "fixed"


def test_the_projects_own_task_is_counted_and_measured(results):
    records = run_on_project("conn_max_age", ["5.7.0"], 100, ("orders.tasks.confirm_order", '{"reference": "A-1"}'))
    own = records[f"{PROJECT}: confirm_order"]
    assert own["workload"]["tasks"] == ["orders.tasks.confirm_order"]
    assert own["summary"]["tasks_executed"] == 100 and own["summary"]["task_errors"] == 0
    assert own["summary"]["distinct_worker_pids"] == 2  # both pool children noted their tasks
    assert 0.95 <= own["summary"]["sessions_per_task"] <= 1.05


def test_a_project_with_two_databases_gets_every_table(results):
    records = run_on_project("conn_max_age", ["5.7.0"], 50, ("orders.tasks.confirm_order", '["A-2"]'),
                             SHOP_DEFAULT_DB="1")  # orders only on 'shop' by its router, the ledger on 'default'
    own = records[f"{PROJECT}: confirm_order"]
    assert own["summary"]["tasks_executed"] == 50 and own["summary"]["task_errors"] == 0
    assert own["project"]["databases"]["default"]["engine"] == "django.db.backends.postgresql"


def test_the_projects_hook_leaves_no_connection_behind(results):
    records = run_on_project("conn_leak", ["5.5.3 prefork"], 200)
    project, reference = records[PROJECT]["summary"], records["5.5.3 prefork"]["summary"]
    assert project["backends_final"] == 0 and project["idle_in_transaction_final"] == 0
    assert project["sessions_opened"] >= 0.95 * 200  # one session per task: the hook closes after every task
    assert records[PROJECT]["verdict"] == "fixed"
    assert reference["idle_in_transaction_final"] > 0 and records["5.5.3 prefork"]["verdict"] == "broken"


def test_a_failing_task_of_the_project_grows_child_memory(results):
    records = run_on_project("exception_leak", ["5.5.3 py3.12"], 450, ("orders.tasks.charge_order", '["A-1", 1250]'))
    own = records[f"{PROJECT}: charge_order"]["summary"]
    assert own["worker_log_errors_by_class"] == {"PaymentDeclined": 450}  # fail_rss_slope needs 8 bins of 50
    assert own["fail_rss_slope_low_kb_per_task"] > 20  # the scenario's threshold
    assert own["control_rss_slope_high_kb_per_task"] < 20
    assert records[f"{PROJECT}: charge_order"]["verdict"] == "broken"


def harness(*args, **environment):
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True, timeout=300,
                          cwd=REPO_ROOT, env={**os.environ, **environment})


def test_doctor_lists_the_claims_that_apply_with_what_was_measured(conn_max_age):
    done = harness("doctor", "--project", str(SAMPLE))
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"{PROJECT}: celery 5.5.3, ")
    assert "conn_max_age applies: CONN_MAX_AGE=60 on 'shop'" in lines
    assert any(line.startswith("  measured on this project, cell 'sample_project") and "sessions_per_task" in line
               for line in lines)
    assert any(line.startswith("  measured on celery 5.5.3, cell '5.5.3': fixed") for line in lines)
    assert "ARGS='--project tests/sample_project'" in done.stdout
    assert lines[-1] == "does not apply to these settings: consumer_timeout, soft_time_limit"


def test_a_project_pointing_at_another_host_is_refused_by_doctor_and_run(results):
    done = harness("doctor", "--project", str(SAMPLE), SHOP_DB_HOST="db.example.com")
    assert done.returncode == 2
    assert ("refused: DATABASES['shop']['HOST'] names db.example.com, which is not this machine"
            in done.stdout.splitlines()[-1])
    done = harness("run", "conn_max_age", "--cell", "5.5.3", "--project", str(SAMPLE), SHOP_DB_HOST="db.example.com")
    assert done.returncode == 2 and "stack (" not in done.stdout  # refused before any server started
    assert "error: sample_project refused: DATABASES['shop']['HOST'] names db.example.com" in done.stdout
