"""What a running command leaves behind if it dies (processes, temp dirs, Compose projects), recorded while it runs,
and the reaping of a dead command's leftovers: by its watchdog at once, or by the next harness command."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from harness.atomic import write_atomic
from harness.errors import HarnessError

TEMP_PREFIX = "celery-repro-"  # the only temp dirs the reaper deletes: under the temp dir, with this prefix
MARK = "REPRO_RUN"  # in the environment of every process a command starts: the name of the command's record
RECORD = re.compile(r"(\d+)-(\d+)\.json")  # <pid>-<kernel start time>.json: one command, even after pid reuse


def state_dir() -> Path:
    """One private directory per user for the records of live commands (REPRO_STATE_DIR overrides)."""
    default = Path(tempfile.gettempdir()) / f"celery-repro-state-{os.getuid()}"
    path = Path(os.environ.get("REPRO_STATE_DIR", default))
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = path.lstat()
    if info.st_uid != os.getuid() or info.st_mode & 0o077 or path.is_symlink():
        raise HarnessError(f"{path} is not a private directory of this user: remove it or set REPRO_STATE_DIR")
    return path


def start_time(pid: int) -> int | None:
    """The kernel's start time of a live process (clock ticks after boot): with the pid, it names one process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()
    return None if fields[0] == "Z" else int(fields[19])


class Leftovers:
    """The record of one live command: what to stop and delete should it die before doing so itself. Creating it
    marks every process started from then on (MARK in the environment) and starts the watchdog."""

    def __init__(self) -> None:
        self.name = f"{os.getpid()}-{start_time(os.getpid())}.json"
        self.path = state_dir() / self.name
        self.entries: dict[str, list] = {"processes": [], "dirs": [], "compose": []}
        self._lock = threading.Lock()  # servers start in threads
        os.environ[MARK] = self.name
        self._save()
        self._watch()

    def add(self, kind: str, item) -> None:
        with self._lock:
            self.entries[kind].append(item)
            self._save()

    def discard(self, kind: str, item) -> None:
        with self._lock:
            if item in self.entries[kind]:
                self.entries[kind].remove(item)
                self._save()

    def add_process(self, pid: int) -> None:
        """A process started in a session of its own (its process group is its pid)."""
        self.add("processes", [pid, start_time(pid)])

    def discard_process(self, pid: int) -> None:
        with self._lock:
            self.entries["processes"] = [entry for entry in self.entries["processes"] if entry[0] != pid]
            self._save()

    def _save(self) -> None:
        write_atomic(self.path, json.dumps(self.entries))

    def _watch(self) -> None:
        """A watchdog in a session of its own that reaps this record as soon as this process is gone, however it
        went (SIGKILL included): it waits on a pipe whose only writer is this process."""
        read_end, self._pipe = os.pipe()  # the write end is not inherited: held by this process alone
        subprocess.Popen([sys.executable, "-m", "harness.reaper", "--watch", str(read_end), self.name],
                         pass_fds=(read_end,), start_new_session=True, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)})
        os.close(read_end)


_LEFTOVERS: Leftovers | None = None


def leftovers() -> Leftovers:
    """This command's record (created on first use)."""
    global _LEFTOVERS
    if _LEFTOVERS is None:
        _LEFTOVERS = Leftovers()
    return _LEFTOVERS


def run_recorded(command: list[str], timeout: float, **kwargs) -> subprocess.CompletedProcess:
    """subprocess.run(capture_output=True, text=True) in a session of its own, recorded for the reaper while it
    runs (a dead command's script must not go on publishing); TimeoutExpired as subprocess.run raises it."""
    record = leftovers()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True, **kwargs)
    try:
        record.add_process(process.pid)
        out, err = process.communicate(timeout=timeout)
    except BaseException:  # a timeout, Ctrl-C or SIGTERM: it is in no process group the terminal signals
        _kill(os.killpg, process.pid)  # it may have exited on its own meanwhile
        process.communicate()
        raise
    finally:
        record.discard_process(process.pid)
    return subprocess.CompletedProcess(command, process.returncode, out, err)


def owner_alive(name: str) -> bool:
    match = RECORD.fullmatch(name)
    return match is None or str(start_time(int(match.group(1)))) == match.group(2)


def reap_dead() -> list[str]:
    """Stop and delete what every dead command left; one line per dead command that had left anything."""
    lines = [reap(record) for record in sorted(state_dir().glob("*.json")) if not owner_alive(record.name)]
    return [line for line in lines if line]


def reap(record: Path) -> str:
    """Stop one dead command's processes (those carrying its mark, and the groups it recorded whose leader is still
    the process it started), delete its temp dirs and Compose projects; a line saying what was found."""
    try:
        entries = json.loads(record.read_text())
    except (OSError, ValueError):
        entries = {}
    groups = [pid for pid, start in entries.get("processes", []) if start is not None and start_time(pid) == start]
    for pid in groups:
        _kill(os.killpg, pid)
    carrying = kill_marked(record.name)
    dirs = sum(_remove_temp_dir(Path(path)) for path in entries.get("dirs", []))
    projects = sum(_down_compose(project) for project in entries.get("compose", []))
    record.unlink(missing_ok=True)
    if not (carrying or groups or dirs or projects):
        return ""
    owner = record.name.partition("-")[0]
    return (f"reaped what a harness command that died (pid {owner}) left: {_count(len(set(carrying) | set(groups)), 'process')}, "
            f"{_count(dirs, 'temp dir')}, {_count(projects, 'Compose project')}")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else ('es' if noun.endswith('s') else 's')}"


def kill_marked(name: str, rounds: int = 20) -> list[int]:
    """SIGKILL every process carrying the mark, in rounds until none is left: a dying process may still spawn one
    (an Erlang node whose epmd went away starts `epmd -daemon`); every pid killed."""
    killed: list[int] = []
    quiet_rounds = 0
    for _ in range(rounds):
        found = marked(name)
        quiet_rounds = 0 if found else quiet_rounds + 1
        if quiet_rounds == 2:  # none twice, 50 ms apart
            break
        for pid in found:
            _kill(os.kill, pid)
        killed += [pid for pid in found if pid not in killed]
        time.sleep(0.05)
    return killed


def marked(name: str) -> list[int]:
    """Live processes (the watchdog itself aside) whose environment carries the mark of record `name`."""
    needle = f"\0{MARK}={name}\0".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if needle in b"\0" + (entry / "environ").read_bytes() and start_time(int(entry.name)) is not None:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def _kill(kill, pid: int) -> None:
    try:
        kill(pid, signal.SIGKILL)
    except OSError:
        pass


def _remove_temp_dir(path: Path) -> int:
    if path.parent != Path(tempfile.gettempdir()) or not path.name.startswith(TEMP_PREFIX) or not path.is_dir():
        return 0
    shutil.rmtree(path, ignore_errors=True)
    return 1


def _down_compose(project: str) -> int:
    """Remove a Compose project's containers, networks and volumes by their project label; 1 if it had any."""
    if shutil.which("docker") is None:
        return 0
    label = f"label=com.docker.compose.project={project}"
    found = False
    for kind, remove in (("container", ["rm", "--force", "--volumes"]), ("network", ["network", "rm"]),
                         ("volume", ["volume", "rm", "--force"])):
        listed = subprocess.run(["docker", kind, "ls", "--quiet", *(["--all"] if kind == "container" else []),
                                 "--filter", label], capture_output=True, text=True, timeout=60).stdout.split()
        if listed:
            subprocess.run(["docker", *remove, *listed], capture_output=True, timeout=120)
            found = True
    return int(found)


def watch(read_fd: int, name: str) -> None:
    """The watchdog: wait until the command's pipe closes (it has exited or died), then reap its record if the
    command did not clear it itself."""
    for sig in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    while os.read(read_fd, 1024):
        pass
    record = state_dir() / name
    if record.exists():
        reap(record)


if __name__ == "__main__" and sys.argv[1:2] == ["--watch"]:
    watch(int(sys.argv[2]), sys.argv[3])
