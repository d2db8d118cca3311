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


def redis_ready(port: int) -> bool:
    """True once Redis answers PING with PONG."""
    return _exchange(port, b"PING\r\n").startswith(b"+PONG")


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


def redis_kill_clients(port: int) -> None:
    """Drop every client connection, ours excepted: normal ones, then pub/sub ones (Celery's remote control)."""
    for kind in (b"normal", b"pubsub"):
        reply = _exchange(port, b"CLIENT KILL TYPE " + kind + b"\r\n")
        if not reply.startswith(b":"):
            raise HarnessError(f"redis refused CLIENT KILL TYPE {kind.decode()}: {reply!r}")


def redis_flush_db(port: int, db: int) -> None:
    """Empty one Redis database (a cell's broker namespace); raise unless Redis says OK twice."""
    with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
        sock.sendall(f"SELECT {db}\r\nFLUSHDB\r\n".encode())
        reply = b""
        while reply.count(b"\r\n") < 2:
            chunk = sock.recv(256)
            if not chunk:
                break
            reply += chunk
    if reply.count(b"+OK") != 2:
        raise HarnessError(f"redis did not flush db {db}: {reply!r}")
