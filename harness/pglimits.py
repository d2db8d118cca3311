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
    before = set_max_connections(stack, limit)
    try:
        yield
    finally:
        set_max_connections(stack, before)


def set_max_connections(stack, limit: int) -> int:
    """max_connections = `limit` (ALTER SYSTEM, and a restart if that changes it); the value it had before."""
    with psycopg.connect(stack.admin_dsn(), autocommit=True) as conn:
        before = int(conn.execute("SHOW max_connections").fetchone()[0])
        if before != limit:
            conn.execute(f"ALTER SYSTEM SET max_connections = {int(limit)}")
    if before != limit:
        stack.node("postgres").restart()
    return before


def too_many_connections(log_text: str) -> int:
    """Connection attempts Postgres refused for a connection limit, in a slice of its log."""
    return len(TOO_MANY.findall(log_text))
