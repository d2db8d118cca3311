"""Talking each server's own protocol: readiness probes and the few commands the stack sends."""
from __future__ import annotations

import socket

import psycopg

from harness.errors import HarnessError

AMQP_HEADER = b"AMQP\x00\x00\x09\x01"
AMQP_CONNECTION_START = b"\x01\x00\x00"  # method frame on channel 0 ...
AMQP_CLASS_METHOD = b"\x00\x0a\x00\x0a"  # ... carrying Connection.Start (class 10, method 10)


def postgres_ready(dsn: str) -> bool:
    """True once Postgres accepts a session and answers a query."""
    try:
        with psycopg.connect(dsn, connect_timeout=1, autocommit=True) as conn:
            return conn.execute("SELECT 1").fetchone() == (1,)
    except psycopg.Error:
        return False


def redis_ready(port: int, password: str) -> bool:
    """True once Redis takes the password and answers PING with PONG (False while it is still starting); a refused
    password is an error at once."""
    try:
        return redis_command(port, password, "PING") == [b"+PONG"]
    except OSError:
        return False
    except HarnessError as error:
        if "WRONGPASS" in str(error):
            raise
        return False


def amqp_ready(port: int) -> bool:
    """True once the broker answers the AMQP 0-9-1 header with Connection.Start."""
    reply = _exchange(port, AMQP_HEADER)
    return reply.startswith(AMQP_CONNECTION_START) and reply[7:11] == AMQP_CLASS_METHOD


def port_open(port: int) -> bool:
    """True if something accepts TCP connections on 127.0.0.1:port."""
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _exchange(port: int, payload: bytes) -> bytes:
    """Send payload to 127.0.0.1:port and return the first bytes of the reply (b'' on failure)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(payload)
            return sock.recv(64)
    except OSError:
        return b""


def redis_command(port: int, password: str, *commands: str) -> list[bytes]:
    """Log in, send inline commands with one-line replies (status, error or integer), return their replies."""
    with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
        sock.sendall("".join(f"{line}\r\n" for line in (f"AUTH {password}", *commands)).encode())
        reply = b""
        while reply.count(b"\r\n") < len(commands) + 1:
            chunk = sock.recv(256)
            if not chunk:
                break
            reply += chunk
    login, *replies = reply.split(b"\r\n")[:len(commands) + 1]
    if login != b"+OK":
        raise HarnessError(f"redis on port {port} refused the harness's password: {login!r}")
    return replies


def redis_kill_clients(port: int, password: str) -> None:
    """Drop every client connection, ours excepted: normal ones, then pub/sub ones (Celery's remote control)."""
    for kind, reply in zip(("normal", "pubsub"), redis_command(port, password, "CLIENT KILL TYPE normal",
                                                               "CLIENT KILL TYPE pubsub")):
        if not reply.startswith(b":"):
            raise HarnessError(f"redis refused CLIENT KILL TYPE {kind}: {reply!r}")


def redis_flush_db(port: int, password: str, db: int) -> None:
    """Empty one Redis database (a cell's broker namespace); raise unless Redis says OK twice."""
    replies = redis_command(port, password, f"SELECT {db}", "FLUSHDB")
    if replies != [b"+OK", b"+OK"]:
        raise HarnessError(f"redis did not flush db {db}: {replies!r}")
