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
    assert "cell 4.4.0rc5: celery 4.4.0rc5; expected fixed per seed 000" in done.stdout


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
