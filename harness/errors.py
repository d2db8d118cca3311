"""The one exception type the CLI turns into a one-line error and exit code 2, its wording helper, and the one-line
warnings printed on stderr."""
from __future__ import annotations

import sys


class HarnessError(Exception):
    """A problem the user can act on; its message is printed on one line."""


def last_line(text: str, limit: int = 300) -> str:
    """The last non-empty line of a tool's output, which is where tools say what went wrong."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:limit] if lines else "no output"


def warn(message: str) -> None:
    """One line on stderr for something the harness repaired or set aside and goes on without."""
    print(f"warning: {message}", file=sys.stderr, flush=True)
