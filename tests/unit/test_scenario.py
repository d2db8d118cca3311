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
