"""One process of ours under mirakuru (a server, or a cell's ProcessSpec): started until it answers, stopped by pid."""
from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path
from typing import Callable

import port_for
from mirakuru import Executor
from mirakuru.exceptions import AlreadyRunning, ProcessExitedWithError, ProcessFinishedWithError, TimeoutExpired

from harness.errors import HarnessError, last_line
from harness.reaper import leftovers
from harness.stacks.base import ProcessSpec, listening_at
from harness.stacks.health import port_open

STARTUP_TIMEOUT_S = 60
BIND_FAILED = re.compile(r"address already in use|eaddrinuse|could not bind", re.IGNORECASE)  # how each server says it


class ProbedExecutor(Executor):
    """A mirakuru executor that is started once `probe()` says the process really answers."""

    def __init__(self, command: list[str], port: int | None, probe: Callable[[], bool],
                 spawned: Callable[[int], None] | None = None, **kwargs) -> None:
        super().__init__(command, **kwargs)
        self.port, self.probe, self.spawned = port, probe, spawned

    def pre_start_check(self) -> bool:
        return self.port is not None and port_open(self.port)

    def after_start_check(self) -> bool:
        return self.probe()

    def check_subprocess(self) -> bool:
        """mirakuru's check, first called right after each spawn: that is when the reaper learns the new pid."""
        if self.process is not None and self.spawned is not None:
            self.spawned(self.process.pid)
        return super().check_subprocess()


_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A free TCP port on the loopback interface, never one this process handed out before."""
    port = port_for.select_random(exclude_ports=_HANDED_OUT)
    _HANDED_OUT.add(port)
    return port


class ManagedProcess:
    """One process tree we started (a server or a worker): command, readiness probe, log file, stop signal."""

    def __init__(self, name: str, command: list[str], port: int | None, probe: Callable[[], bool],
                 log: Path, env: dict[str, str] | None = None, stop_signal: int = signal.SIGTERM,
                 cwd: str | None = None) -> None:
        self.name, self.port, self.log, self.stop_signal = name, port, log, stop_signal
        self._recorded: int | None = None  # the pid recorded for the reaper (every process also carries its mark)
        self._log_file = log.open("ab")
        self._executor = ProbedExecutor(
            command, port, probe, self._record, envvars=env or {}, stdin=None, stdout=None, stderr=None, cwd=cwd,
            timeout=STARTUP_TIMEOUT_S, stop_signal=stop_signal,
            popen_kwargs={"stdout": self._log_file, "stderr": subprocess.STDOUT, "stdin": subprocess.DEVNULL},
        )

    @property
    def pid(self) -> int | None:
        process = self._executor.process
        return process.pid if process else None

    def running(self) -> bool:
        return self._executor.running()

    def start(self) -> None:
        try:
            self._executor.start()
        except AlreadyRunning:
            raise HarnessError(f"{self.name}: port {self.port} on 127.0.0.1 is already in use") from None
        except (ProcessExitedWithError, TimeoutExpired):
            if self.port is not None and BIND_FAILED.search(self.log.read_text(errors="replace")):
                raise HarnessError(f"{self.name}: port {self.port} on 127.0.0.1 was taken by another process after "
                                   "the harness chose it: run again") from None
            raise HarnessError(f"{self.name} did not become ready: {self.last_log_line()}") from None
        except BaseException:
            self.close()  # Ctrl-C while waiting: the process is in its own session and would outlive us
            raise
        self._record(self.pid)

    def _record(self, pid: int) -> None:
        """The reaper learns each new pid once (a restart spawns a new one)."""
        if pid != self._recorded:
            if self._recorded is not None:
                leftovers().discard_process(self._recorded)
            self._recorded = pid
            leftovers().add_process(pid)

    def stop(self, sig: int | None = None) -> None:
        try:
            self._executor.stop(stop_signal=sig)
        except ProcessFinishedWithError:
            pass
        if self._recorded is not None:
            leftovers().discard_process(self._recorded)
            self._recorded = None

    def stop_main_first(self, grace_s: float) -> None:
        """Signal only the main process (so it can shut its children down itself), then stop the rest."""
        process = self._executor.process
        if process is not None and process.poll() is None:
            os.kill(process.pid, self.stop_signal)
            try:
                process.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                pass
        self.stop()

    def close(self) -> None:
        """Stop the process if it still runs and release the log file."""
        self.stop()
        self._log_file.close()

    def last_log_line(self) -> str:
        return last_line(self.log.read_text(errors="replace") if self.log.exists() else "")


class LocalProcess:
    """A ProcessSpec run from its virtualenv in its app directory, on a free loopback port if it serves one."""

    def __init__(self, spec: ProcessSpec) -> None:
        port = free_port() if spec.port is not None else None
        self.url = f"http://127.0.0.1:{port}" if port else None
        self.grace_s = spec.stop_grace_s
        args = listening_at(spec.args, f"127.0.0.1:{port}" if port else None)
        self.process = ManagedProcess(spec.label, [str(spec.python), *args], port, lambda: spec.ready(self.url),
                                      spec.log, env=spec.environment, cwd=str(spec.app_dir))

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def running(self) -> bool:
        return self.process.running()

    def start(self) -> "LocalProcess":
        """Start it and wait until it is ready; stopped again if it is not."""
        try:
            self.process.start()
        except BaseException:
            self.process.close()
            raise
        return self

    def stop(self) -> None:
        self.process.stop_main_first(self.grace_s)
        self.process.close()

    def kill(self) -> None:
        self.process.stop(signal.SIGKILL)  # the whole process group: the pool's children too
