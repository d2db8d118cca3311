import copy
from pathlib import Path

import pytest

from harness import compare
from harness.results import load_results

FIXTURE = Path(__file__).parents[1] / "fixtures" / "v1" / "conn_max_age" / "20261202T183820Z"


@pytest.fixture
def records():
    return load_results(FIXTURE)


def with_hook(record: dict, hook: str) -> dict:
    changed = copy.deepcopy(record)
    changed["cell"]["name"] += f" + {hook}"
    changed["settings"]["hooks"]["task_hook"] = hook
    return changed


def test_twins_compare_flat_setting_names(records):
    base = records[3]
    variant = with_hook(base, "close_all")
    assert compare.twins([*records, variant], "task_hook", "close_all", "none") == [(base, variant)]


def test_twins_differ_in_nothing_else(records):
    variant = with_hook(records[3], "close_all")
    variant["settings"]["worker"]["concurrency"] = 4
    assert compare.twins([records[3], variant], "task_hook", "close_all", "none") == []
    variant = with_hook(records[3], "close_all")
    variant["workload"]["params"] = {"method": "restart"}
    assert compare.twins([records[3], variant], "task_hook", "close_all", "none") == []


def test_claim_status_and_agreement(records):
    assert [compare.claim_status(r) for r in records[:2]] == ["confirmed", "refuted"]
    assert [compare.agreement(r) for r in records[:2]] == ["agrees", "DISAGREES"]
    records[0]["verdict"] = "inconclusive"
    assert compare.claim_status(records[0]) == "inconclusive"


def test_fmt_stat_shows_a_median_with_its_interval(records):
    record = records[2]
    assert compare.fmt_stat(record, "sessions_per_task") == "0.004"
    record["stats"] = {"sessions_per_task": {"median": 0.004, "low": 0.002, "high": 0.01}}
    assert compare.fmt_stat(record, "sessions_per_task") == "0.004 [0.002, 0.010]"
    assert compare._fmt(None) == "-" and compare._fmt(123.456) == "123.5"
