"""Which signals stop a command (SIGINT, SIGTERM, SIGHUP), turned into KeyboardInterrupt, and the exit code each
gives (128 + its number)."""
from __future__ import annotations

import signal

STOPPING = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
received: list[int] = []  # the signals that arrived, first first


def _stop(signum, frame) -> None:
    received.append(signum)
    raise KeyboardInterrupt


def install() -> None:
    """From now on every stopping signal raises KeyboardInterrupt, even one the parent shell set to be ignored."""
    for sig in STOPPING:
        signal.signal(sig, _stop)


def exit_code() -> int:
    return 128 + (received[0] if received else signal.SIGINT)


def signal_name() -> str:
    return signal.Signals(received[0]).name if received else "SIGINT"
