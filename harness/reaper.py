"""What a running command leaves behind if it dies (processes, temp dirs, Compose projects), recorded while it runs,
and the reaping of a dead command's leftovers: by its watchdog at once, or by the next harness command."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEMP_PREFIX = "celery-repro-"  # the only temp dirs the reaper deletes: under the temp dir, with this prefix


def state_dir() -> Path:
    """One private directory per user for the records of live commands (REPRO_STATE_DIR overrides)."""
    default = Path(tempfile.gettempdir()) / f"celery-repro-state-{os.getuid()}"
    path = Path(os.environ.get("REPRO_STATE_DIR", default))
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = path.lstat()
    if info.st_uid != os.getuid() or info.st_mode & 0o077 or path.is_symlink():
        raise SystemExit(f"error: {path} is not a private directory of this user: remove it or set REPRO_STATE_DIR")
    return path


def start_time(pid: int) -> int | None:
    """The kernel's start time of a process (clock ticks after boot): with the pid, it names one process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()
    return None if fields[0] == "Z" else int(fields[19])


class Leftovers:
    """The record of one live command: what to stop and delete should it die before doing so itself."""

    def __init__(self) -> None:
        self.path = state_dir() / f"{os.getpid()}-{start_time(os.getpid())}.json"
        self.entries: dict[str, list] = {"processes": [], "dirs": [], "compose": []}
        self.watchdog: subprocess.Popen | None = None

    def add(self, kind: str, item) -> None:
        self.entries[kind].append(item)
        self._save()

    def discard(self, kind: str, item) -> None:
        if item in self.entries[kind]:
            self.entries[kind].remove(item)
            self._save()

    def add_process(self, pid: int) -> None:
        """A process started in a session of its own (its process group is its pid)."""
        self.add("processes", [pid, start_time(pid)])

    def discard_process(self, pid: int) -> None:
        self.discard("processes", [pid, next((s for p, s in self.entries["processes"] if p == pid), None)])

    def _save(self) -> None:
        if not any(self.entries.values()):
            self.path.unlink(missing_ok=True)
            return
        self._watch()
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.entries))
        os.replace(tmp, self.path)

    def _watch(self) -> None:
        """A watchdog in a session of its own that reaps this record as soon as this process is gone, however it
        went (SIGKILL included): it waits on a pipe whose only writer is this process."""
        if self.watchdog is not None:
            return
        read_end, write_end = os.pipe()
        self.watchdog = subprocess.Popen(
            [sys.executable, "-m", "harness.reaper", "--watch", str(read_end), self.path.name],
            pass_fds=(read_end,), start_new_session=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)})
        os.close(read_end)
        self._pipe = write_end  # held open until this process exits


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
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True, **kwargs)
    leftovers().add_process(process.pid)
    try:
        out, err = process.communicate(timeout=timeout)
    except BaseException:  # a timeout, Ctrl-C or SIGTERM: it is in no process group the terminal signals
        process.kill()
        process.communicate()
        raise
    finally:
        leftovers().discard_process(process.pid)
    return subprocess.CompletedProcess(command, process.returncode, out, err)


def owner_alive(name: str) -> bool:
    pid, _, start = name.removesuffix(".json").partition("-")
    return str(start_time(int(pid))) == start


def reap_dead() -> list[str]:
    """Stop and delete what every dead command left; one line per dead command that had left anything."""
    lines = []
    for record in sorted(state_dir().glob("*.json")):
        if not owner_alive(record.name):
            lines.append(reap(record))
    return [line for line in lines if line]


def reap(record: Path) -> str:
    """Stop the processes of one dead command's record (checking each is still the process it started) and delete
    its temp dirs and Compose projects; a line saying what was found."""
    try:
        entries = json.loads(record.read_text())
    except (OSError, ValueError):
        record.unlink(missing_ok=True)
        return ""
    killed = sum(_kill_group(pid, start) for pid, start in entries.get("processes", []))
    dirs = sum(_remove_temp_dir(Path(path)) for path in entries.get("dirs", []))
    projects = sum(_down_compose(project) for project in entries.get("compose", []))
    record.unlink(missing_ok=True)
    if not (killed or dirs or projects):
        return ""
    pid = record.name.partition("-")[0]
    return (f"reaped what a harness command that died (pid {pid}) left: {killed} processes, {dirs} temp dirs, "
            f"{projects} Compose projects")


def _kill_group(pid: int, start: int | None) -> int:
    """SIGKILL to every process of the group `pid` led, if its leader is still that process or gone; how many."""
    leader = start_time(pid)
    if leader is not None and leader != start:
        return 0  # the pid was reused: not ours
    members = [p for p in _pids() if _group(p) == pid and (start_time(p) or 0) >= (start or 0)]
    for member in members:
        try:
            os.kill(member, signal.SIGKILL)
        except OSError:
            pass
    return len(members)


def _pids() -> list[int]:
    return [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]


def _group(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[2])
    except (OSError, IndexError, ValueError):
        return None


def _remove_temp_dir(path: Path) -> int:
    if path.parent != Path(tempfile.gettempdir()) or not path.name.startswith(TEMP_PREFIX) or not path.is_dir():
        return 0
    shutil.rmtree(path, ignore_errors=True)
    return 1


def _down_compose(project: str) -> int:
    """Remove a Compose project's containers, networks and volumes by their project label."""
    if shutil.which("docker") is None:
        return 0
    label = f"label=com.docker.compose.project={project}"
    found = 0
    for kind, remove in (("container", ["rm", "--force", "--volumes"]), ("network", ["network", "rm"]),
                         ("volume", ["volume", "rm", "--force"])):
        listed = subprocess.run(["docker", kind, "ls", "--quiet", *(["--all"] if kind == "container" else []),
                                 "--filter", label], capture_output=True, text=True, timeout=60).stdout.split()
        if listed:
            subprocess.run(["docker", *remove, *listed], capture_output=True, timeout=120)
            found += kind == "container"
    return 1 if found else 0


def watch(read_fd: int, name: str) -> None:
    """The watchdog: wait until the command's pipe closes, give it a moment to be reaped, then reap its record."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    while os.read(read_fd, 1024):
        pass
    record = state_dir() / name
    for _ in range(50):
        if not owner_alive(name):
            break
        time.sleep(0.1)
    if record.exists() and not owner_alive(name):
        reap(record)


if __name__ == "__main__" and sys.argv[1:2] == ["--watch"]:
    watch(int(sys.argv[2]), sys.argv[3])
