"""Every fault method on the real brokers' nodes: same port afterwards, a new pid where it restarts, data kept where it
should."""
import socket
import time

import pytest

from harness.faults import Fault
from harness.stacks.local import LocalStack

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def brokers():
    with LocalStack(("redis", "redis-aof", "rabbitmq")) as stack:
        yield stack


def redis_command(server, *lines):
    with socket.create_connection(("127.0.0.1", server.port), timeout=2) as sock:
        sock.sendall("".join(f"{line}\r\n" for line in (f"AUTH {server.password}", *lines)).encode())
        time.sleep(0.1)
        return sock.recv(4096)


@pytest.mark.parametrize("method", ["restart", "kill"])
def test_restart_and_kill_come_back_on_the_same_port_with_a_new_pid(brokers, method):
    for name in ("redis", "rabbitmq"):
        server = brokers.node(name)
        pid, port = server.process.pid, server.port
        record = Fault(method).apply(server)
        assert server.process.pid != pid and server.port == port and server.ready()
        assert record["finished_at"] > record["started_at"] and record["server"] == name


def test_only_the_append_only_redis_keeps_queued_data_across_a_kill(brokers):
    for name in ("redis", "redis-aof"):
        redis_command(brokers.servers[name], "SET kept yes")
        Fault("kill").apply(brokers.node(name))
    assert b"yes" not in redis_command(brokers.servers["redis"], "GET kept")
    assert b"yes" in redis_command(brokers.servers["redis-aof"], "GET kept")


def test_pause_freezes_then_resumes(brokers):
    server = brokers.node("redis")
    record = Fault("pause", pause_s=1.5).apply(server)
    assert record["finished_at"] - record["started_at"] >= 1.5 and server.ready()


def test_drop_closes_redis_clients_without_a_restart(brokers):
    server = brokers.node("redis")
    client, pid = socket.create_connection(("127.0.0.1", server.port)), server.process.pid
    client.sendall(f"AUTH {server.password}\r\nPING\r\n".encode())
    time.sleep(0.1)
    assert client.recv(64) == b"+OK\r\n+PONG\r\n"
    Fault("drop").apply(server)
    client.settimeout(5)
    assert client.recv(64) == b"" and server.process.pid == pid
    client.close()


def test_drop_on_rabbitmq_keeps_the_node_running(brokers):
    """That the worker's own connection is dropped is shown by the broker_restart scenario's worker log."""
    server = brokers.node("rabbitmq")
    pid = server.process.pid
    Fault("drop").apply(server)
    assert server.process.pid == pid and server.ready()
