"""--repeat on the real stack: medians with intervals, verdicts from the intervals, a significant difference."""
import pytest

from harness.compare import significance
from harness.runner import plan, run_scenario
from harness.results import load_results
from harness.scenario import get_scenario
from harness.stacks.local import LocalStack

pytestmark = pytest.mark.integration
RUNS, TASKS = 4, 30


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REPRO_RESULTS_DIR", str(tmp_path_factory.mktemp("results")))
        scenario = get_scenario("conn_max_age")
        directory = run_scenario(scenario, plan(scenario, names=["5.5.3", "5.7.0"]), LocalStack, print,
                                 count=TASKS, repeat=RUNS)
        return load_results(directory)


def test_every_cell_ran_its_repeats_with_fresh_workers(records):
    for record in records:
        assert len(record["repeats"]) == RUNS
        assert record["stats"]["sessions_per_task"]["n"] == RUNS
    reuse, close = records
    assert [r["summary"]["sessions_per_task"] for r in reuse["repeats"]] == pytest.approx([2 / TASKS] * RUNS, abs=0.05)
    assert all(r["summary"]["sessions_per_task"] == 1.0 for r in close["repeats"])


def test_verdicts_come_from_the_intervals(records):
    reuse, close = records
    assert reuse["stats"]["sessions_per_task"]["high"] < 0.5 and reuse["verdict"] == "fixed"
    assert close["stats"]["sessions_per_task"]["low"] > 0.5 and close["verdict"] == "broken"


def test_the_difference_is_significant_by_the_rank_test(records):
    [line] = significance(records)
    assert "p = 0.029" in line and "(significant at 5%" in line
