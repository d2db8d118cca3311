"""The soft_time_limit, consumer_timeout and redis_visibility scenarios' own arithmetic, from ledger rows."""
import pytest

from harness.errors import HarnessError
from harness.ledger import LedgerRow
from harness.pins import requirements
from harness.runner import plan
from harness.scenario import BROKEN, FIXED, INCONCLUSIVE, get_scenario
from harness.settings import build
from harness.workloads.lost_worker import redeliveries
from scenarios import redis_visibility, soft_time_limit

ERROR = "OperationalError: sending query failed: another command is already in progress"


def rounds(failing_next: int, total: int) -> list[LedgerRow]:
    """`total` rounds of slow_query, touch_db, touch_db; the first task after the slow one fails in the first
    `failing_next` rounds."""
    rows = []
    for round_ in range(total):
        base = 3 * round_
        rows.append(LedgerRow("slow_query", base, 0, 0, None))
        rows.append(LedgerRow("touch_db", base + 1, 0, 0, None, ERROR if round_ < failing_next else ""))
        rows.append(LedgerRow("touch_db", base + 2, 0, 0, None))
    return rows


@pytest.mark.parametrize("failing, expect", [(20, BROKEN), (0, FIXED), (5, INCONCLUSIVE)])
def test_soft_time_limit_rate_of_the_next_task_and_its_interval(failing, expect):
    summary = {"worker_log_errors_by_class": {"SoftTimeLimitExceeded": 20}, "sessions_opened": 21}
    numbers = soft_time_limit.derive(summary, {"rows": rounds(failing, 20)})
    assert (numbers["next_task_failed"], numbers["next_tasks"], numbers["second_task_failed"]) == (failing, 20, 0)
    assert numbers["next_task_failure_rate"] == failing / 20 and numbers["interrupted_soft"] == 20
    assert numbers["next_task_failure_low"] <= failing / 20 <= numbers["next_task_failure_high"]
    assert numbers["next_task_error"] == (ERROR if failing else "")
    assert soft_time_limit.verdict(numbers) == expect


def test_redeliveries_count_only_killed_tasks_run_after_the_kill():
    rows = [LedgerRow("started_then_sleep", 0, 99.0, 99.0, None), LedgerRow("started_then_sleep", 1, 99.5, 99.5, None),
            LedgerRow("started_then_sleep", 2, 102.0, 102.0, None),
            LedgerRow("started_then_sleep", 0, 140.0, 140.0, None)]
    numbers = redeliveries(rows, killed={0, 1}, killed_at=100.0, replaced_at=101.5)
    assert (numbers["killed_tasks"], numbers["redelivered_tasks"]) == (2, 1)
    assert numbers["redelivery_delay_max_s"] == 40.0 and numbers["replacement_start_s"] == 1.5
    late = {**numbers, "visibility_timeout_s": 30, "all_slots_busy": True}
    assert redis_visibility.verdict(late) == BROKEN  # one killed task never ran again
    both = redeliveries(rows + [LedgerRow("started_then_sleep", 1, 150.0, 150.0, None)], {0, 1}, 100.0, 101.5)
    both["all_slots_busy"] = True
    assert redis_visibility.verdict({**both, "visibility_timeout_s": 30}) == FIXED  # both within 2 x 30 s
    assert redis_visibility.verdict({**both, "visibility_timeout_s": 20}) == BROKEN  # 50 s > 2 x 20 s
    # a kill that did not find every slot busy, or killed nothing, tested nothing
    assert redis_visibility.verdict({**both, "visibility_timeout_s": 30, "all_slots_busy": False}) == INCONCLUSIVE
    nothing = redeliveries(rows, killed=set(), killed_at=100.0, replaced_at=101.5)
    assert redis_visibility.verdict({**nothing, "all_slots_busy": True, "tasks_duplicated": 0}) == INCONCLUSIVE


def test_a_living_worker_that_runs_a_task_twice_is_broken():
    assert redis_visibility.verdict({"tasks_duplicated": 2}) == BROKEN
    assert redis_visibility.verdict({"tasks_duplicated": 0}) == FIXED


def test_a_psycopg2_cell_leaves_psycopg_3_out():
    lines = requirements("5.5.3", "3.11", soft_time_limit.PSYCOPG2)
    assert "psycopg2-binary==2.9.10" in lines
    assert not [line for line in lines if line.startswith(("psycopg[", "psycopg-pool", "psycopg=="))]


def test_python_313_has_a_django_line():
    assert "django==5.2.*" in requirements("5.7.0", "3.13", {})


def test_new_settings_are_typed_and_bounded():
    settings = build({"soft_time_limit_s": 0.5, "conn_health_checks": True, "failure_hook": "close_all",
                      "rabbitmq_consumer_timeout_s": 5, "query_sleep_s": 2}, "test")
    assert settings.worker.soft_time_limit_s == 0.5 and settings.harness.rabbitmq_consumer_timeout_s == 5
    with pytest.raises(HarnessError, match="'rabbitmq_consumer_timeout_s' = 0 must be at least 1"):
        build({"rabbitmq_consumer_timeout_s": 0}, "test")
    with pytest.raises(HarnessError, match="failure_hook"):
        build({"failure_hook": "gc"}, "test")


def test_python_and_patch_shape_only_adhoc_cells_and_patches_stay_local():
    scenario = get_scenario("exception_leak")
    with pytest.raises(HarnessError, match="--python and --patch shape ad-hoc cells"):
        plan(scenario, names=["4.4.3"], python="3.13")
    with pytest.raises(HarnessError, match="patched cells run on the local stack only"):
        plan(scenario, names=["5.7.0 py3.12 + f_locals re-read"], stack="compose")


def test_adhoc_cells_take_a_python_and_a_patch_and_drop_the_release_claim():
    scenario = get_scenario("exception_leak")
    patch = next(cell.patch for cell in scenario.cells if cell.patch)
    [cell] = scenario.cells_for_releases(["5.7.0"], "3.13", patch)
    assert cell.name == f"celery 5.7.0 py3.13 + {patch.name}" and cell.python == "3.13" and cell.claim is None
    [plain] = scenario.cells_for_releases(["5.7.0"], "3.13")
    assert plain.claim is not None and plain.patch is None
