"""The `harness` entry point: signals handled from the first instruction, a dead command's leftovers reaped, then
the command line (imported only after that, so an early Ctrl-C never shows an import traceback)."""
from __future__ import annotations

import sys

from harness import signals


def main() -> None:
    """SIGINT, SIGTERM and SIGHUP (a closed terminal) all stop a run cleanly, even when the shell that started us
    ignores SIGINT (as background jobs of a non-interactive shell inherit)."""
    signals.install()
    try:
        from harness.reaper import reap_dead

        for line in reap_dead():
            print(line, file=sys.stderr)
        from harness.cli import app
    except KeyboardInterrupt:
        print(f"interrupted ({signals.signal_name()}) before anything started", file=sys.stderr)
        sys.exit(signals.exit_code())
    app()
