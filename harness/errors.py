"""The one exception type the CLI turns into a one-line error and exit code 2."""
from __future__ import annotations


class HarnessError(Exception):
    """A problem the user can act on; its message is printed on one line."""
