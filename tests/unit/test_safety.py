"""Input limits, release versions, run directories of their own, a cache cleaned of only what the harness made, and a
damaged pins cache set aside: no server needed."""
import json
import shutil
import signal
import subprocess
import sys
import time

import pytest

from harness import pins
from harness.errors import HarnessError
from harness.paths import clean_cache
from harness.results import new_run_dir


def harness(*args, env=None):
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True, timeout=60,
                          env=env)


@pytest.mark.parametrize("args, message", [
    (["--tasks", "10000000"], "error: --tasks 10000000 is more than 100000 (the whole burst is queued at once): "
                              "add --no-limits to run it anyway"),
    (["--repeat", "500"], "error: --repeat 500 is more than 20: add --no-limits to run it anyway"),
    (["--celery", "notaversion"], "error: 'notaversion' is not a release version (like 5.5.3 or 5.6.0rc1)"),
])
def test_counts_beyond_the_machine_and_versions_that_are_not_versions_are_one_line_exit_2(args, message):
    done = harness("run", "conn_max_age", *args)
    assert done.returncode == 2 and done.stdout.strip().splitlines() == [message], done.stdout + done.stderr


def test_bisect_refuses_an_endpoint_that_is_not_a_version():
    done = harness("bisect", "conn_max_age", "--good", "x", "--bad", "5.7.0")
    assert done.returncode == 2 and "'x' is not a release version" in done.stdout


def test_runs_started_in_the_same_second_get_directories_of_their_own(tmp_path, monkeypatch):
    monkeypatch.setenv("REPRO_RESULTS_DIR", str(tmp_path))
    made = [new_run_dir("conn_max_age", "20261203T120000Z") for _ in range(3)]
    assert [path.name for path in made] == ["20261203T120000Z", "20261203T120000Z-2", "20261203T120000Z-3"]
    assert all(path.is_dir() for path in made)


def test_a_results_dir_that_cannot_be_written_is_refused_before_anything_starts(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("REPRO_RESULTS_DIR", str(blocker))
    with pytest.raises(HarnessError, match=r"^cannot write results in .*file/conn_max_age: Not a directory"):
        new_run_dir("conn_max_age", "20261203T120000Z")


def test_clean_cache_deletes_only_what_the_harness_created(tmp_path, monkeypatch):
    monkeypatch.setenv("REPRO_CACHE_DIR", str(tmp_path))
    for name in ("venvs/py3.11-x/bin", "wheels/abc"):
        (tmp_path / name).mkdir(parents=True)
    (tmp_path / "pins.json").write_text("{}")
    (tmp_path / "my-notes.txt").write_text("the user's")
    (tmp_path / "other").mkdir()
    path, deleted = clean_cache()
    assert path == tmp_path and set(deleted) == {"venvs", "wheels", "pins.json", "CACHEDIR.TAG"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["my-notes.txt", "other"]


@pytest.mark.parametrize("content", ["[]", '{"key": [1, 2]}', '{"[\\"3.11\\", [\\"celery'])
def test_a_damaged_pins_cache_is_set_aside_with_one_warning(tmp_path, monkeypatch, capsys, content):
    monkeypatch.setenv("REPRO_CACHE_DIR", str(tmp_path))
    (tmp_path / "pins.json").write_text(content)
    monkeypatch.setattr(pins, "_compile", lambda lines, python: {"celery": "5.5.3"})
    assert pins.resolve("5.5.3", "3.11") == {"celery": "5.5.3"}
    [warning] = capsys.readouterr().err.strip().splitlines()
    assert warning.startswith(f"warning: {tmp_path / 'pins.json'} was damaged (") and "resolving pins afresh" in warning
    [aside] = tmp_path.glob("pins.json.damaged-*")
    assert aside.read_text() == content and list(json.loads((tmp_path / "pins.json").read_text()).values()) == \
        [{"celery": "5.5.3"}]


def handles(pid: int, sig: int) -> bool:
    """Whether the process catches `sig` yet (its SigCgt mask in /proc)."""
    status = dict(line.split(":\t", 1) for line in open(f"/proc/{pid}/status").read().splitlines() if ":\t" in line)
    return bool(int(status["SigCgt"], 16) >> (sig - 1) & 1)


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_a_signal_at_startup_is_one_line_even_where_the_shell_ignored_sigint(tmp_path, sig, code):
    """As a background job of a non-interactive shell: SIGINT ignored on entry; the harness still stops."""
    harness_process = subprocess.Popen(
        [sys.executable, "-m", "harness", "list"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    deadline = time.monotonic() + 10
    while not handles(harness_process.pid, sig) and time.monotonic() < deadline:
        time.sleep(0.005)
    harness_process.send_signal(sig)  # at once: the command line's imports have only just begun
    out, _ = harness_process.communicate(timeout=30)
    if harness_process.returncode == 0:
        pytest.skip("the command finished before the signal arrived")
    assert harness_process.returncode == code and "Traceback" not in out, out
    assert f"interrupted ({signal.Signals(sig).name})" in out.strip().splitlines()[-1]


def test_too_little_free_space_is_one_line_before_anything_starts(tmp_path):
    from harness.paths import check_free_space

    free = shutil.disk_usage(tmp_path).free // 2**20
    check_free_space(tmp_path, 1, "a run's results")  # a megabyte is there
    with pytest.raises(HarnessError, match=r"^only \d+ MB free in .+, a run's results needs \d+ MB: free some space$"):
        check_free_space(tmp_path, free + 10**6, "a run's results")
