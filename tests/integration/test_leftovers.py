"""A harness killed (SIGKILL) or hung up on (SIGHUP) at several moments, with servers of all three kinds and a worker
running: nothing of it is left, by its watchdog or by the next command."""
import signal

import pytest

from benchmarks.interrupts import interrupt

pytestmark = pytest.mark.integration
STACK_UP = "stack (local)"


@pytest.mark.parametrize("sig, needle, after_s", [
    (signal.SIGKILL, "env celery", 0.5),  # servers starting
    (signal.SIGKILL, STACK_UP, 6.0),  # worker up, burst running
    (signal.SIGHUP, "env celery", 0.5),
    (signal.SIGHUP, STACK_UP, 6.0),
], ids=["kill-starting", "kill-mid-burst", "hup-starting", "hup-mid-burst"])
def test_nothing_outlives_a_killed_or_hung_up_harness(tmp_path, sig, needle, after_s):
    trial = interrupt(tmp_path, sig, after_s, needle)
    assert trial["processes"] >= (8 if needle == STACK_UP else 3), trial  # servers, epmd, worker and its children
    assert trial["strays"] == [] and trial["temp_dirs_left"] == [] and trial["partial_files"] == [], trial
    assert trial["exit_code"] == (-signal.SIGKILL if sig == signal.SIGKILL else 128 + signal.SIGHUP), trial


def test_the_next_command_reaps_what_a_killed_harness_and_its_watchdog_left(tmp_path):
    trial = interrupt(tmp_path, signal.SIGKILL, 6.0, STACK_UP, kill_watchdog=True)
    assert trial["watchdogs"] == 1 and trial["processes"] >= 8, trial
    assert trial["reaped_by_next_command"].startswith("reaped what a harness command that died"), trial
    assert trial["strays"] == [] and trial["temp_dirs_left"] == [], trial
