"""Merging CI legs: the newest file of each cell, into one run directory, in the scenario's cell order."""
import json

from harness.merge import main, merge_scenario
from harness.results import latest_full_run
from harness.scenario import get_scenario
from tests.records import make_record


def leg(root, run_id: str, cell: str, value: float) -> None:
    directory = root / "conn_max_age" / run_id
    directory.mkdir(parents=True)
    record = make_record(cell, summary={"sessions_per_task": value})
    (directory / f"00-{cell}.json").write_text(json.dumps(record))


def test_legs_merge_into_one_run_in_cell_order(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("REPRO_RESULTS_DIR", str(tmp_path))
    leg(tmp_path, "20260101T000000Z", "5.5.3", 0.5)
    leg(tmp_path, "20260101T000100Z", "5.5.3", 0.004)
    leg(tmp_path, "20260101T000200Z", "4.4.0rc4", 1.0)
    merged = merge_scenario(get_scenario("conn_max_age"), "20260101T010000Z-merged")
    assert sorted(path.name for path in merged.iterdir()) == ["00-4.4.0rc4.json", "02-5.5.3.json"]
    assert json.loads((merged / "02-5.5.3.json").read_text())["summary"]["sessions_per_task"] == 0.004
    assert latest_full_run("conn_max_age", {"4.4.0rc4", "5.5.3"}) == merged
    assert merge_scenario(get_scenario("exception_leak"), "x") is None
    main(["20260101T020000Z-merged"])
    assert capsys.readouterr().out.strip() == str(tmp_path / "conn_max_age" / "20260101T020000Z-merged")
