"""Postgres's own limits a cell can set for its duration (max_connections), and the FATALs they cause."""
from __future__ import annotations

import re
from contextlib import contextmanager

import psycopg

# What Postgres says when max_connections (or a database/role limit) is reached.
TOO_MANY = re.compile(r"FATAL:.*(too many clients already|too many connections)")


@contextmanager
def max_connections(stack, limit: int | None):
    """Postgres restarted with max_connections = `limit` for the block (ALTER SYSTEM), restored after."""
    if limit is None:
        yield
        return
    _set(stack, limit)
    try:
        yield
    finally:
        _set(stack, None)


def _set(stack, limit: int | None) -> None:
    with psycopg.connect(stack.admin_dsn(), autocommit=True) as conn:
        if limit is None:
            conn.execute("ALTER SYSTEM RESET max_connections")
        else:
            conn.execute(f"ALTER SYSTEM SET max_connections = {int(limit)}")
    stack.node("postgres").restart()


def too_many_connections(log_text: str) -> int:
    """Connection attempts Postgres refused for a connection limit, in a slice of its log."""
    return len(TOO_MANY.findall(log_text))
