import json

import pytest

from harness import results


def test_write_atomic_replaces_whole_file_and_leaves_no_temp(tmp_path):
    path = tmp_path / "run" / "00-x.json"
    results.write_result({"a": 1}, path)
    results.write_result({"a": 2}, path)
    assert json.loads(path.read_text()) == {"a": 2, "schema_version": results.SCHEMA_VERSION}
    assert [p.name for p in path.parent.iterdir()] == ["00-x.json"]


def test_failed_write_leaves_nothing(tmp_path):
    with pytest.raises(TypeError):
        results.write_result({"bad": object()}, tmp_path / "r.json")
    assert list(tmp_path.iterdir()) == []


def test_load_refuses_another_schema(tmp_path):
    (tmp_path / "00-a.json").write_text(json.dumps({"schema_version": 999}))
    with pytest.raises(ValueError, match="schema_version 999"):
        results.load_results(tmp_path)


def test_cell_filename_is_a_safe_slug():
    assert results.cell_filename(4, "5.7.0 + django pool") == "04-5.7.0-django-pool.json"


def test_latest_run_skips_empty_dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("REPRO_RESULTS_DIR", str(tmp_path))
    (tmp_path / "s" / "20260101T000000Z").mkdir(parents=True)
    (tmp_path / "s" / "20260101T000000Z" / "00-a.json").write_text("{}")
    (tmp_path / "s" / "20270101T000000Z").mkdir()
    assert results.latest_run("s").name == "20260101T000000Z"


def test_timeline_and_bisect_folders_are_not_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("REPRO_RESULTS_DIR", str(tmp_path))
    results.write_result({"cell": {"name": "a"}}, tmp_path / "s" / "20260101T000000Z" / "00-a.json")
    results.write_result({"cell": {"name": "a"}}, tmp_path / "s" / "20260102T000000Z-merged" / "00-a.json")
    (tmp_path / "s" / "timeline").mkdir()
    (tmp_path / "s" / "timeline" / "5.5.2-to-5.6.0-sessions_per_task.json").write_text('{"releases": []}')
    assert [run.name for run in results.runs("s")] == ["20260102T000000Z-merged", "20260101T000000Z"]
    assert results.latest_full_run("s", {"a"}).name == "20260102T000000Z-merged"


def test_latest_full_run_skips_newer_runs_that_lack_default_cells(tmp_path, monkeypatch):
    monkeypatch.setenv("REPRO_RESULTS_DIR", str(tmp_path))
    for run_id, names in (("20260101T000000Z", ["a", "b"]), ("20260102T000000Z", ["a"])):
        for index, name in enumerate(names):
            results.write_result({"cell": {"name": name}}, tmp_path / "s" / run_id / f"{index:02d}-{name}.json")
    assert results.latest_full_run("s", {"a", "b"}).name == "20260101T000000Z"
    assert results.latest_full_run("s", {"c"}).name == "20260102T000000Z"
