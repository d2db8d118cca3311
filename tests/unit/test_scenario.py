import pytest

from harness.errors import HarnessError
from harness.scenario import BROKEN, FIXED, get_scenario


def test_unknown_scenario_names_the_known_ones():
    with pytest.raises(HarnessError, match=r"unknown scenario 'nope' \(known: .*conn_max_age"):
        get_scenario("nope")


@pytest.mark.parametrize("release, expect", [
    ("4.1.1", BROKEN), ("4.2.0", FIXED), ("4.3.1", FIXED), ("4.4.0rc1", BROKEN), ("4.4.0rc5", BROKEN),
    ("4.4.3", BROKEN), ("4.4.4", FIXED), ("5.5.3", FIXED), ("5.6.0", BROKEN), ("5.7.0", BROKEN),
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
    base = {"CONN_MAX_AGE": 60, "CHILD_HOOK": "none", "DB_SSLMODE": "require", "TASK_TIME_LIMIT_S": 15}
    return {"cell": {"name": name}, "pins": {"celery": celery}, "settings": {**base, **settings},
            "errors": errors or {}, "parent_checks": list(parent_checks),
            "summary": {"breakage_events": breakage, "tasks_timed_out": 0,
                        "parent_checks_failed": sum(1 for c in parent_checks if not c["ok"])}}


def test_fork_assessment_pairs_cells_that_differ_in_one_setting():
    records = [
        _record("a", "4.2.0", {}, 4, {"DatabaseError: x / SSL SYSCALL error: Bad file descriptor": 4}),
        _record("a fixed", "4.2.0", {"CHILD_HOOK": "fix_django_db"}, 0),
        _record("b fixed", "5.5.3", {"CHILD_HOOK": "fix_django_db"}, 0),  # no twin on its release
        _record("a naive", "4.2.0", {"CHILD_HOOK": "close_all"}, 1,
                parent_checks=[{"ok": True}, {"ok": False, "error": "InterfaceError: connection already closed"}]),
    ]
    lines = get_scenario("fork_inherited_conn").assess(records)
    assert "confirmed (a naive: parent checks failed 1 of 2)" in lines[0]
    assert "'SSL SYSCALL error: Bad file descriptor': confirmed, 4 in a (tasks)" in lines
    assert "'connection already closed': confirmed, 1 in a naive (parent)" in lines
    assert "'server closed the connection unexpectedly': not seen in any cell" in lines
    assert any(line.endswith("without -> with: a 4 -> a fixed 0") for line in lines)
    assert any(line.startswith("CONN_MAX_AGE = 0 avoids it: no pair") for line in lines)
