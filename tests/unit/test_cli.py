import subprocess
import sys


def harness(*args):
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True, timeout=60)


def test_unknown_scenario_is_one_line_and_exit_2():
    done = harness("run", "nope")
    assert done.returncode == 2
    assert done.stdout.strip().splitlines() == ["error: unknown scenario 'nope' (known: conn_max_age)"]


def test_unknown_stack_is_refused_before_anything_starts():
    done = harness("run", "conn_max_age", "--stack", "mars")
    assert done.returncode == 2 and "unknown stack 'mars'" in done.stdout


def test_list_shows_cells_and_claims_without_starting_anything():
    done = harness("list")
    assert done.returncode == 0
    assert "cell 4.4.0rc5: celery 4.4.0rc5; expected fixed per seed 000" in done.stdout
