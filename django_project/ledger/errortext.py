"""How an exception is written down in the ledger and the parent-check log."""


def describe(exc):
    """'Class: message' on one line (libpq messages span several lines: joined with ' / ')."""
    return "%s: %s" % (type(exc).__name__, " / ".join(line.strip() for line in str(exc).strip().splitlines()))
