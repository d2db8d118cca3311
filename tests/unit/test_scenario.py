import pytest

from harness.errors import HarnessError
from harness.scenario import BROKEN, FIXED, get_scenario
from harness.settings import build


def test_unknown_scenario_names_the_known_ones():
    with pytest.raises(HarnessError, match=r"unknown scenario 'nope' \(known: .*conn_max_age"):
        get_scenario("nope")


@pytest.mark.parametrize("release, expect", [
    ("4.1.1", BROKEN), ("4.2.0", FIXED), ("4.3.1", FIXED), ("4.4.0rc1", BROKEN), ("4.4.0rc5", BROKEN),
    ("4.4.3", BROKEN), ("4.4.4", FIXED), ("5.5.3", FIXED), ("5.6.0b1", BROKEN), ("5.6.0", BROKEN), ("5.7.0", BROKEN),
])
def test_conn_max_age_claims_follow_the_fixup_code_timeline(release, expect):
    assert get_scenario("conn_max_age").claim_for_release(release).expect == expect


def test_adhoc_cells_carry_the_upstream_claim():
    cells = get_scenario("conn_max_age").cells_for_releases(["4.4.7", "5.6.0"])
    assert [(c.celery, c.claim.expect) for c in cells] == [("4.4.7", FIXED), ("5.6.0", BROKEN)]


def test_verdict_threshold():
    scenario = get_scenario("conn_max_age")
    assert scenario.verdict({"sessions_per_task": 0.004}) == FIXED
    assert scenario.verdict({"sessions_per_task": 1.0}) == BROKEN


def test_describe_is_plain_data_with_a_source_hash():
    described = get_scenario("conn_max_age").describe()
    assert described["headline"] == "sessions_per_task"
    assert len(described["source_hash"]) == 16


def test_cells_can_be_chosen_by_name_and_unknown_names_are_refused():
    scenario = get_scenario("fork_inherited_conn")
    assert [cell.name for cell in scenario.cells_named(["5.5.3 ssl"])] == ["5.5.3 ssl"]
    with pytest.raises(HarnessError, match=r"no cell 'nope' in fork_inherited_conn \(cells: 4.2.0, "):
        scenario.cells_named(["nope"])


@pytest.mark.parametrize("release, expect", [
    ("4.1.1", FIXED), ("4.2.0", BROKEN), ("4.3.1", BROKEN), ("4.4.0rc1", FIXED), ("5.5.3", FIXED), ("5.7.0", FIXED),
])
def test_fork_claims_follow_on_worker_process_init(release, expect):
    assert get_scenario("fork_inherited_conn").claim_for_release(release).expect == expect


def _record(name, celery, settings, breakage, errors=None, parent_checks=()):
    base = {"conn_max_age": 60, "child_hook": "none", "db_sslmode": "require", "time_limit_s": 15}
    return {"cell": {"name": name}, "pins": {"celery": celery}, "python": "3.8.18",
            "settings": build({**base, **settings}, "test").as_record(),
            "errors": errors or {}, "parent_checks": list(parent_checks),
            "summary": {"breakage_events": breakage, "tasks_timed_out": 0,
                        "parent_checks_failed": sum(1 for c in parent_checks if not c["ok"])}}


def test_fork_assessment_pairs_cells_that_differ_in_one_setting():
    records = [
        _record("a", "4.2.0", {}, 4, {"DatabaseError: x / SSL SYSCALL error: Bad file descriptor": 4}),
        _record("a fixed", "4.2.0", {"child_hook": "fix_django_db"}, 0),
        _record("b fixed", "5.5.3", {"child_hook": "fix_django_db"}, 0),  # no twin on its release
        _record("a naive", "4.2.0", {"child_hook": "close_all"}, 1,
                parent_checks=[{"ok": True}, {"ok": False, "error": "InterfaceError: connection already closed"}]),
    ]
    lines = get_scenario("fork_inherited_conn").assess(records)
    assert "confirmed (a naive: parent checks failed 1 of 2)" in lines[0]
    assert "'SSL SYSCALL error: Bad file descriptor': confirmed, 4 in a (tasks)" in lines
    assert "'connection already closed': confirmed, 1 in a naive (parent)" in lines
    assert "'server closed the connection unexpectedly': not seen in any cell" in lines
    assert any(line.endswith("without -> with: a 4 -> a fixed 0") for line in lines)
    assert any(line.startswith("CONN_MAX_AGE = 0 avoids it: no pair") for line in lines)


def test_leak_verdict_comes_from_the_interval_not_the_point():
    scenario = get_scenario("exception_leak")
    assert scenario.verdict({"fail_rss_slope_low_kb_per_task": 30, "fail_rss_slope_high_kb_per_task": 90}) == BROKEN
    assert scenario.verdict({"fail_rss_slope_low_kb_per_task": 1, "fail_rss_slope_high_kb_per_task": 15}) == FIXED
    assert scenario.verdict({"fail_rss_slope_low_kb_per_task": 15, "fail_rss_slope_high_kb_per_task": 25}) == "inconclusive"
    assert scenario.verdict({"fail_rss_slope_low_kb_per_task": None, "fail_rss_slope_high_kb_per_task": None}) == "inconclusive"


def test_leak_growth_shape_tells_levelling_off_from_unbounded():
    from harness.leakfit import Slope
    from scenarios.exception_leak import growth_shape

    growing, slower, flat = Slope(200, 190, 210, 50), Slope(60, 50, 70, 50), Slope(2, -5, 9, 50)
    assert growth_shape(growing, growing) == "grows steadily"
    assert growth_shape(growing, slower) == "grows, slowing"
    assert growth_shape(growing, flat) == "levels off"
    assert growth_shape(flat, flat) == "flat"
    assert growth_shape(None, flat) == "unknown"


@pytest.mark.parametrize("release, expect", [("4.4.2", BROKEN), ("4.4.3", BROKEN), ("5.5.3", BROKEN), ("5.6.0", FIXED)])
def test_leak_claims_follow_upstream_history(release, expect):
    assert get_scenario("exception_leak").claim_for_release(release).expect == expect


def _leak_record(name, celery, python, slope, verdict, **settings):
    from scenarios.exception_leak import SETTINGS

    return {"cell": {"name": name}, "pins": {"celery": celery}, "python": python, "verdict": verdict,
            "settings": build({**SETTINGS, **settings}, "test").as_record(),
            "summary": {"fail_rss_slope_kb_per_task": slope, "fail_growth_shape": "x", "child_rss_peak_mb": 1,
                        "burst_wall_s": 1}}


def test_leak_assessment_says_when_a_claim_holds_only_on_some_pythons():
    records = [_leak_record("a", "5.5.3", "3.8.18", 0.3, FIXED), _leak_record("b", "5.5.3", "3.11.7", 86, BROKEN),
               _leak_record("c", "5.5.3", "3.11.7", 85, BROKEN, fail_mode="throws")]
    lines = get_scenario("exception_leak").assess(records)
    assert any("5.5 leaks" in line and "holds on 3.11.7, not on 3.8.18" in line for line in lines)
    assert any(line.startswith("the Python version matters: confirmed, 5.5.3: Python 3.8.18 0.3") for line in lines)
    assert any(line.startswith("upstream #8882: exceptions declared in `throws` do not leak: refuted") for line in lines)


def _declare(**changes):
    from harness.scenario import Cell, Scenario
    from harness.workloads import Burst

    declared = dict(name="probe_test", title="t", claim="c", services=("postgres",), settings={"pool": "prefork"},
                    workload=Burst(task="ledger.tasks.touch_db", count=10), cells=(Cell("x", "5.5.3"),),
                    metrics=("sessions_per_task",), verdict_rule="r", verdict=lambda summary: FIXED)
    return Scenario(**{**declared, **changes})


def test_a_declaration_built_from_existing_parts_loads():
    from harness.probes.postgres import PostgresProbe

    scenario = _declare(probes=("postgres", "memory", PostgresProbe(panel="connection_states")))
    assert [probe.name for probe in scenario.probes] == ["postgres", "memory", "postgres"]
    assert scenario.cell_settings(scenario.cells[0]).worker.pool == "prefork"


@pytest.mark.parametrize("changes, message", [
    ({"settings": {"conn_max_ag": 60}}, r"scenario probe_test: unknown setting 'conn_max_ag' \(known: conn_max_age, "),
    ({"settings": {"pool": "forking"}}, r"setting 'pool' = 'forking' is not one of 'prefork', 'threads'"),
    ({"settings": {"concurrency": "4"}}, r"setting 'concurrency' = '4' is not an int"),
    ({"settings": {"celery": {"TASK_ACKS_LATE": True}}}, r"Celery setting names are lowercase"),
    ({"settings": {"time_limit_s": 0}}, r"setting 'time_limit_s' = 0 must be at least 1"),
    ({"settings": {"time_limit_s": 1.5}}, r"setting 'time_limit_s' = 1.5 is not an int or None"),
    ({"settings": {"max_tasks_per_child": -1}}, r"setting 'max_tasks_per_child' = -1 must be at least 1"),
    ({"settings": {"concurrency": 0}}, r"setting 'concurrency' = 0 must be at least 1"),
    ({"workload": "burst"}, r"scenario probe_test: unknown workload 'burst' \(known: Burst, FaultedBurst, LostWorker, WebLoad\)"),
    ({"probes": ("postgres", "memroy")}, r"scenario probe_test: unknown probe 'memroy' \(known: postgres, memory, "),
])
def test_a_declaration_with_an_unknown_part_or_setting_fails_to_load(changes, message):
    with pytest.raises(HarnessError, match=message):
        _declare(**changes)


def test_an_unknown_setting_in_a_cell_names_the_cell():
    from harness.scenario import Cell

    with pytest.raises(HarnessError, match=r"scenario probe_test, cell 'bad': unknown setting 'TASK_HOOK'"):
        _declare(cells=(Cell("bad", "5.5.3", settings={"TASK_HOOK": "close_all"}),))


def test_the_worked_example_of_the_docs_loads():
    import re

    from harness.paths import REPO_ROOT

    text = (REPO_ROOT / "docs" / "adding-a-scenario.md").read_text()
    [code] = re.findall(r"```python\n(.*?)```", text, re.S)
    namespace: dict = {}
    exec(compile(code, "threads_conn_reuse.py", "exec"), namespace)
    scenario = namespace["SCENARIO"]
    assert [cell.name for cell in scenario.cells_named(None)] == ["5.5.3 threads", "5.7.0 threads"]
    assert scenario.cell_settings(scenario.cells[0]).worker.pool == "threads"
    assert scenario.verdict({"sessions_per_task": 1.0}) == BROKEN
