"""The `harness` entry point: signals handled from the first instruction, a dead command's leftovers reaped, then
the command line (imported only after that, so an early Ctrl-C never shows an import traceback)."""
from __future__ import annotations

import os
import sys

from harness import signals
from harness.errors import HarnessError


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
        print(f"interrupted ({signals.signal_name()}) before anything started", file=sys.stderr, flush=True)
        os._exit(signals.exit_code())  # nothing to clean up yet; sys.exit could turn into a SIGINT death when the
        # interrupt passed through code run by the C API during an import
    except HarnessError as error:  # the reaper's state dir is not private
        print(f"error: {error}", file=sys.stderr, flush=True)
        sys.exit(2)
    app()
