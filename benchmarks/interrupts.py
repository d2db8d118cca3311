"""Stop `harness run` with each stopping signal at random moments and count what it leaves: processes, temp dirs,
partial result files, and the exit codes. `python -m benchmarks.interrupts [RUNS_PER_SIGNAL]`."""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import psutil

from harness.atomic import write_atomic
from harness.paths import REPO_ROOT
from harness.reaper import marked, start_time

# all three kinds of server (broker_restart's services) and a worker under a burst that never finishes
COMMAND = ("run", "broker_restart", "--celery", "5.7.0", "--tasks", "20000")
SETTLE_S = 15.0  # what a stopped command may take to stop its servers; the watchdog reaps within a second


def temp_dirs() -> set[Path]:
    return {path for path in Path(tempfile.gettempdir()).glob("celery-repro-*") if "-state-" not in path.name}


def start(workdir: Path, *args: str) -> subprocess.Popen:
    """`python -m harness ARGS` with its own results and state dirs under `workdir`, output in workdir/out.txt."""
    env = {**os.environ, "REPRO_RESULTS_DIR": str(workdir / "results"), "REPRO_STATE_DIR": str(workdir / "state")}
    with (workdir / "out.txt").open("w") as out:
        return subprocess.Popen([sys.executable, "-m", "harness", *args], stdout=out, stderr=subprocess.STDOUT,
                                env=env, cwd=REPO_ROOT)


def wait_for(workdir: Path, needle: str, timeout_s: float = 240) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if needle in (workdir / "out.txt").read_text():
            return
        time.sleep(0.1)
    raise AssertionError(f"'{needle}' not seen in: {(workdir / 'out.txt').read_text()}")


def alive(processes: list[psutil.Process]) -> list[psutil.Process]:
    return [p for p in processes if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


def interrupt(workdir: Path, sig: int, after_s: float | None = None, needle: str | None = None,
              kill_watchdog: bool = False) -> dict:
    """One run stopped by `sig`, `after_s` after start (or after `needle` is printed); what it left once settled.
    With `kill_watchdog`, its watchdog is killed first (as a CI runner killing every process would) and the next
    command (`harness list`) has to reap."""
    workdir.mkdir(parents=True, exist_ok=True)
    before = temp_dirs()
    harness = start(workdir, *COMMAND)
    if needle:
        wait_for(workdir, needle)
    time.sleep(after_s or 0)
    ours = psutil.Process(harness.pid).children(recursive=True)
    mark = f"{harness.pid}-{start_time(harness.pid)}.json"  # in the environment of all it started
    watchdogs = [p for p in ours if "harness.reaper" in _command_line(p)]
    phase = (workdir / "out.txt").read_text().strip().splitlines()[-1:] or ["(nothing printed)"]
    if kill_watchdog:
        for watchdog in watchdogs:
            watchdog.kill()
    harness.send_signal(sig)
    code = harness.wait(timeout=120)
    reaped_by_next = ""
    if kill_watchdog:
        start(workdir, "list").wait(timeout=120)
        reaped_by_next = next((line for line in (workdir / "out.txt").read_text().splitlines() if "reaped" in line), "")
    deadline = time.monotonic() + SETTLE_S
    while time.monotonic() < deadline and (alive(ours) or marked(mark) or temp_dirs() - before):
        time.sleep(0.2)
    said = (workdir / "out.txt").read_text().strip().splitlines()[-1:] or [""]
    results = list((workdir / "results").rglob("*")) if (workdir / "results").exists() else []
    return {"signal": signal.Signals(sig).name, "after_s": after_s, "needle": needle, "phase": phase[0][:120],
            "exit_code": code, "said": said[0][:300], "processes": len(ours),
            "strays": sorted({p.pid for p in alive(ours)} | set(marked(mark))),
            "temp_dirs_left": [str(path) for path in temp_dirs() - before],
            "partial_files": [str(path) for path in results if path.suffix == ".tmp" or
                              (path.suffix == ".json" and not _parses(path))],
            "watchdogs": len(watchdogs), "reaped_by_next_command": reaped_by_next}


def _command_line(process: psutil.Process) -> str:
    try:
        return " ".join(process.cmdline())
    except psutil.Error:  # gone since it was listed
        return ""


def _parses(path: Path) -> bool:
    try:
        json.loads(path.read_text())
        return True
    except ValueError:
        return False


def main(runs_per_signal: int) -> None:
    rng, trials = random.Random(7), []
    with tempfile.TemporaryDirectory() as scratch:
        for number in range(runs_per_signal):
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGKILL):
                after = round(rng.uniform(0.3, 12.0), 2)
                kill_watchdog = sig == signal.SIGKILL and number % 2 == 1
                trial = interrupt(Path(scratch) / f"{number}-{sig}", sig, after, kill_watchdog=kill_watchdog)
                trials.append(trial)
                print(json.dumps(trial), flush=True)
    totals = {name: {"runs": 0, "with_strays": 0, "with_temp_dirs": 0, "with_partial_files": 0,
                     "exit_codes": Counter()} for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGKILL")}
    for trial in trials:
        total = totals[trial["signal"]]
        total["runs"] += 1
        total["with_strays"] += bool(trial["strays"])
        total["with_temp_dirs"] += bool(trial["temp_dirs_left"])
        total["with_partial_files"] += bool(trial["partial_files"])
        total["exit_codes"][str(trial["exit_code"])] += 1
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out = write_atomic(REPO_ROOT / "benchmarks" / "results" / f"interrupts-{stamp}.json",
                       json.dumps({"command": COMMAND, "totals": totals, "trials": trials}, indent=1))
    for name, total in totals.items():
        print(f"{name}: {total['runs']} runs, {total['with_strays']} left processes, {total['with_temp_dirs']} left "
              f"temp dirs, {total['with_partial_files']} left partial files; exit codes {dict(total['exit_codes'])}")
    print(f"written: {out}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
