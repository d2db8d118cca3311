import json
from pathlib import Path

import pytest

from harness import results
from harness.atomic import write_atomic
from harness.record import CellRecord, SCHEMA_VERSION
from tests.records import make_record


def write(path, **fields):
    """A valid record file at `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(make_record(**fields)))


def test_write_atomic_replaces_whole_file_and_leaves_no_temp(tmp_path):
    path = tmp_path / "run" / "00-x.json"
    import msgspec

    first, second = (msgspec.convert(make_record(name), CellRecord) for name in ("a", "b"))
    results.write_result(first, path)
    results.write_result(second, path)
    assert json.loads(path.read_text())["cell"]["name"] == "b"
    assert json.loads(path.read_text())["schema_version"] == SCHEMA_VERSION
    assert [p.name for p in path.parent.iterdir()] == ["00-x.json"]


def test_failed_write_leaves_nothing(tmp_path):
    with pytest.raises(TypeError):
        write_atomic(tmp_path / "r.json", object())
    assert list(tmp_path.iterdir()) == []


def test_load_refuses_another_schema(tmp_path):
    (tmp_path / "00-a.json").write_text(json.dumps({"schema_version": 999}))
    with pytest.raises(ValueError, match=r"00-a.json: not a result record \(schema_version 999"):
        results.load_record(tmp_path / "00-a.json")


def test_load_names_the_file_of_a_truncated_or_malformed_record(tmp_path):
    (tmp_path / "00-a.json").write_text(json.dumps(make_record())[:200])
    with pytest.raises(ValueError, match="00-a.json: not a result record"):
        results.load_record(tmp_path / "00-a.json")
    (tmp_path / "00-a.json").write_text(json.dumps({**make_record(), "summary": 3}))
    with pytest.raises(ValueError, match=r"00-a.json: not a result record \(Expected `object`"):
        results.load_record(tmp_path / "00-a.json")


def test_a_run_skips_a_file_it_cannot_read_with_one_warning_naming_it(tmp_path, capsys):
    write_atomic(tmp_path / "00-a.json", json.dumps(make_record()))
    (tmp_path / "01-b.json").write_text(json.dumps(make_record())[:200])
    records = results.load_results(tmp_path)
    assert [Path(record["file"]).name for record in records] == ["00-a.json"]
    [warning] = capsys.readouterr().err.strip().splitlines()
    assert warning.startswith(f"warning: skipped {tmp_path / '01-b.json'}: not a result record (")


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
    write(tmp_path / "s" / "20260101T000000Z" / "00-a.json", name="a")
    write(tmp_path / "s" / "20260102T000000Z-merged" / "00-a.json", name="a")
    (tmp_path / "s" / "timeline").mkdir()
    (tmp_path / "s" / "timeline" / "5.5.2-to-5.6.0-sessions_per_task.json").write_text('{"releases": []}')
    assert [run.name for run in results.runs("s")] == ["20260102T000000Z-merged", "20260101T000000Z"]
    assert results.latest_full_run("s", {"a"}).name == "20260102T000000Z-merged"


def test_latest_full_run_skips_newer_runs_that_lack_default_cells(tmp_path, monkeypatch):
    monkeypatch.setenv("REPRO_RESULTS_DIR", str(tmp_path))
    for run_id, names in (("20260101T000000Z", ["a", "b"]), ("20260102T000000Z", ["a"])):
        for index, name in enumerate(names):
            write(tmp_path / "s" / run_id / f"{index:02d}-{name}.json", name=name)
    assert results.latest_full_run("s", {"a", "b"}).name == "20260101T000000Z"
    assert results.latest_full_run("s", {"c"}).name == "20260102T000000Z"
