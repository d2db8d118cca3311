import json
import os
import re
import subprocess
import sys
from pathlib import Path


def harness(*args):
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True, timeout=60)


def test_unknown_scenario_is_one_line_and_exit_2():
    done = harness("run", "nope")
    assert done.returncode == 2
    [line] = done.stdout.strip().splitlines()
    assert re.fullmatch(r"error: unknown scenario 'nope' \(known: [a-z_]+(, [a-z_]+)*\)", line)
    assert "conn_max_age" in line and "fork_inherited_conn" in line


def test_unknown_cell_is_one_line_and_exit_2():
    done = harness("run", "fork_inherited_conn", "--cell", "9.9.9")
    assert done.returncode == 2
    [line] = done.stdout.strip().splitlines()
    assert line.startswith("error: no cell '9.9.9' in fork_inherited_conn (cells: 4.2.0, 4.2.0 ssl, ")


def test_unknown_stack_is_refused_before_anything_starts():
    done = harness("run", "conn_max_age", "--stack", "mars")
    assert done.returncode == 2 and "unknown stack 'mars'" in done.stdout


def test_list_shows_cells_and_claims_without_starting_anything():
    done = harness("list")
    assert done.returncode == 0
    assert "cell 4.4.0rc5: celery 4.4.0rc5; expected fixed per the #5483 fix page: 'first fixed release: 4.4.0rc5'" in done.stdout


def test_celery_and_cell_do_not_combine():
    done = harness("run", "conn_max_age", "--celery", "5.5.3", "--cell", "5.5.3")
    assert done.returncode == 2 and "--celery and --cell do not combine" in done.stdout


def test_claims_reads_result_files_and_names_scenarios_without_runs(tmp_path):
    import os
    import shutil
    from pathlib import Path

    fixture = Path(__file__).parents[1] / "fixtures" / "v1" / "conn_max_age" / "20261202T183820Z"
    shutil.copytree(fixture, tmp_path / "conn_max_age" / fixture.name)
    done = subprocess.run([sys.executable, "-m", "harness", "claims"], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "REPRO_RESULTS_DIR": str(tmp_path)})
    assert done.returncode == 0, done.stdout + done.stderr
    [row] = [line for line in done.stdout.splitlines() if "PR #6134" in line]
    source, *cells = [cell.strip() for cell in row.strip("│ ").split("│")]
    assert source.startswith("upstream: PR #6134 (4.4.4)")  # long sources wrap within their column
    assert cells == ["5.5.3", "fixed", "fixed", "sessions_per_task 0.004", "confirmed", "02-5.5.3.json"]
    assert "exception_leak: no run yet (make scenario NAME=exception_leak)" in done.stdout


def test_python_must_be_a_minor_version_and_a_patch_a_diff(tmp_path):
    done = harness("run", "exception_leak", "--celery", "5.7.0", "--python", "three")
    assert done.returncode == 2 and "--python takes a minor version like 3.13 (got 'three')" in done.stdout
    notes = tmp_path / "notes.txt"
    notes.write_text("not a diff\n")
    done = harness("run", "exception_leak", "--celery", "5.7.0", "--patch", str(notes))
    assert done.returncode == 2 and len(done.stdout.strip().splitlines()) == 1
    assert "is not a unified diff" in done.stdout


def test_a_patch_named_without_a_directory_is_read_from_the_working_directory(tmp_path):
    (tmp_path / "fix.txt").write_text("no hunks here\n")
    done = subprocess.run([sys.executable, "-m", "harness", "run", "exception_leak", "--celery", "5.7.0", "--patch",
                           "fix.txt"], capture_output=True, text=True, timeout=60, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    assert done.returncode == 2 and "fix.txt is not a unified diff" in done.stdout


def test_version_is_one_line_and_exit_0():
    done = harness("--version")
    assert done.returncode == 0 and re.fullmatch(r"celery-repro \d+\.\d+\.\d+", done.stdout.strip()), done.stdout


def test_make_alone_lists_every_target_and_starts_nothing():
    root = Path(__file__).resolve().parents[2]
    makefile = (root / "Makefile").read_text()
    targets = re.search(r"^\.PHONY: (.+)$", makefile, re.M).group(1).split()
    listed = subprocess.run(["make", "--no-print-directory"], cwd=root, capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0 and sorted(line.split()[1] for line in listed.stdout.splitlines()) == \
        sorted(targets), listed.stdout
    dry = subprocess.run(["make", "--dry-run", "--no-print-directory"], cwd=root, capture_output=True, text=True)
    assert dry.returncode == 0 and dry.stdout.startswith("awk ") and len(dry.stdout.splitlines()) == 1, dry.stdout


def test_a_reversed_bisect_is_one_line_and_exit_2():
    done = harness("bisect", "conn_max_age", "--good", "5.7.0", "--bad", "5.5.3")
    assert done.returncode == 2 and done.stdout.strip().splitlines() == [
        "error: --good 5.7.0 is not older than --bad 5.5.3: --good names the release before the change, --bad the "
        "first known one after it"]


def copied_full_run(tmp_path):
    import shutil

    fixture = Path(__file__).parents[1] / "fixtures" / "v1" / "conn_max_age" / "20261202T183820Z"
    return Path(shutil.copytree(fixture, tmp_path / "conn_max_age" / fixture.name))


def test_report_picks_the_newest_run_of_the_default_cells_not_a_newer_one_cell_run(tmp_path):
    full = copied_full_run(tmp_path)
    single = tmp_path / "conn_max_age" / "20261203T000000Z"
    single.mkdir()
    (single / "00-5.7.0.json").write_text(next(full.glob("*5.7.0.json")).read_text())
    done = subprocess.run([sys.executable, "-m", "harness", "report", "conn_max_age"], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "REPRO_RESULTS_DIR": str(tmp_path)})
    assert done.returncode == 0 and f"report: {full / 'report.md'}" in done.stdout, done.stdout + done.stderr


def test_a_result_file_that_cannot_be_read_is_skipped_with_one_warning(tmp_path):
    full = copied_full_run(tmp_path)
    broken = next(full.glob("*5.7.0.json"))
    broken.write_text(broken.read_text()[:300])
    done = subprocess.run([sys.executable, "-m", "harness", "claims"], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "REPRO_RESULTS_DIR": str(tmp_path)})
    assert done.returncode == 0 and "PR #6134" in done.stdout, done.stdout + done.stderr
    [warning] = done.stderr.strip().splitlines()
    assert warning.startswith(f"warning: skipped {broken}: not a result record (")
    reported = harness_on(tmp_path, "report", "conn_max_age", "--run", str(full))
    assert reported.returncode == 0 and reported.stderr.count(f"warning: skipped {broken}") == 1, reported.stderr


def harness_on(results, *args):
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "REPRO_RESULTS_DIR": str(results)})


def test_report_json_is_one_document_of_records_that_validate_against_the_schema(tmp_path):
    import jsonschema

    full = copied_full_run(tmp_path)
    done = harness_on(tmp_path, "report", "conn_max_age", "--json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)  # the table, findings and closing line went to stderr
    assert document["run"] == str(full) and len(document["records"]) == len(list(full.glob("*.json")))
    schema = json.loads((Path(__file__).parents[2] / "results" / "record.schema.json").read_text())
    for record in document["records"]:
        jsonschema.validate(record, schema)
    assert f"conn_max_age: 5 cells, 3 claims confirmed, 2 refuted (report: {full / 'report.md'})" in done.stderr


def test_check_exits_3_on_a_refuted_claim_or_a_verdict_other_than_the_expected_one(tmp_path):
    copied_full_run(tmp_path)  # two of its five claims are refuted (4.4.0rc5, 5.7.0 + django pool)
    assert harness_on(tmp_path, "report", "conn_max_age").returncode == 0
    checked = harness_on(tmp_path, "report", "conn_max_age", "--check")
    assert checked.returncode == 3 and [line.split(":")[1].strip() for line in checked.stdout.splitlines()
                                        if line.startswith("check:")] == ["4.4.0rc5", "5.7.0 + django pool"]
    expected = tmp_path / "expected.json"
    expected.write_text(json.dumps({"5.5.3": "broken", "9.9.9": "fixed"}))
    done = harness_on(tmp_path, "report", "conn_max_age", "--expect", str(expected))
    assert done.returncode == 3
    assert "check: 5.5.3: expected broken, measured fixed" in done.stdout
    assert "check: 9.9.9: expected fixed, measured nothing (not in this run)" in done.stdout


def test_claims_json_lists_every_scenario(tmp_path):
    copied_full_run(tmp_path)
    done = harness_on(tmp_path, "claims", "--json")
    document = json.loads(done.stdout)
    assert done.returncode == 0 and {entry["scenario"] for entry in document} >= {"conn_max_age", "exception_leak"}
    [entry] = [entry for entry in document if entry["scenario"] == "conn_max_age"]
    assert "claim" in " ".join(entry["columns"]) and all(len(row) == len(entry["columns"]) for row in entry["rows"])
