import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
import urllib.request
from urllib.parse import urlsplit

import psutil
import psycopg
import pytest

from harness.envs import ensure_env
from harness.errors import HarnessError
from harness.pins import resolve
from harness.settings import build
from harness.stacks.health import amqp_ready, postgres_ready
from harness.stacks.local import LocalStack
from harness.stacks.servers import PostgresServer, RedisServer
from harness.stacks.service_user import SERVICE_USER
from harness.sut.project import DjangoProject, project_variables
from harness.sut.web import Gunicorn
from harness.sut.worker import Worker

pytestmark = pytest.mark.integration
LOOPBACK = {"127.0.0.1", "::1"}


def server_pids(stack):
    pids = []
    for server in stack.servers.values():
        pids.append(server.process.pid)
        if getattr(server, "epmd", None):
            pids.append(server.epmd.pid)
    return pids


def listening_addresses(pids):
    return [(c.laddr.ip, c.pid) for c in psutil.net_connections("inet") if c.status == "LISTEN" and c.pid in pids]


def test_every_server_answers_its_protocol(stack):
    assert postgres_ready(stack.admin_dsn())
    assert stack.servers["redis"].ready() and amqp_ready(stack.servers["rabbitmq"].port)
    assert stack.start_s < 30
    assert all(version != "unknown" for version in stack.versions().values())


def test_every_listening_socket_is_loopback(stack):
    addresses = listening_addresses(server_pids(stack))
    assert len(addresses) >= 5  # postgres, redis, amqp, erlang distribution, epmd
    assert {ip for ip, _ in addresses} <= LOOPBACK


def test_no_standard_port_is_used(stack):
    ports = [s.port for s in stack.servers.values()]
    assert not {5432, 6379, 5672, 4369, 25672} & set(ports)


def test_cells_get_private_namespaces(stack):
    dsn = stack.create_database("ns_check")
    assert urlsplit(dsn).path == "/ns_check" and postgres_ready(dsn)
    assert stack.broker_url("redis", 3).endswith("/3")
    assert stack.broker_url("rabbitmq", 3).endswith("/cell3")


def test_stop_leaves_no_process(tmp_path):
    with LocalStack(("redis", "rabbitmq")) as running:
        pids = server_pids(running)
    time.sleep(1)
    assert [pid for pid in pids if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"] == []


def test_busy_port_is_a_clear_error(tmp_path):
    server = RedisServer(tmp_path)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        server.port = sock.getsockname()[1]
        with pytest.raises(HarnessError, match=f"port {server.port} on 127.0.0.1 is already in use"):
            server.start()


def test_postgres_serves_plain_and_tls_clients(stack):
    ssl_query = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
    with psycopg.connect(stack.admin_dsn()) as plain:
        assert plain.execute(ssl_query).fetchone() == (False,)
    with psycopg.connect(stack.admin_dsn().replace("sslmode=disable", "sslmode=require")) as tls:
        assert tls.execute(ssl_query).fetchone() == (True,)


def test_an_interrupt_while_stopping_one_server_still_stops_the_others():
    with pytest.raises(KeyboardInterrupt):
        with LocalStack(("redis", "redis-aof")) as running:
            pids = server_pids(running)
            first_stopped = running.servers["redis-aof"]  # servers stop in reverse order of start
            stop = first_stopped.stop

            def stop_then_interrupt():
                stop()
                raise KeyboardInterrupt

            first_stopped.stop = stop_then_interrupt
    time.sleep(1)
    assert [pid for pid in pids if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"] == []


def test_nodes_are_the_servers_and_only_those_started(stack):
    assert all(stack.node(name) is server and server.name == name for name, server in stack.servers.items())
    with LocalStack(("redis",)) as only_redis:
        with pytest.raises(HarnessError, match=r"^no server 'rabbitmq' in this stack \(started: redis\)$"):
            only_redis.node("rabbitmq")


CELERY, PYTHON = "5.5.3", "3.11"


@pytest.fixture(scope="module")
def project(stack, tmp_path_factory):
    """A migrated cell of the built-in project: celery 5.5.3 with gunicorn, prefork with 2 children."""
    env = ensure_env(PYTHON, resolve(CELERY, PYTHON, {"gunicorn": "*"}))
    settings = build({"conn_max_age": 0, "pool": "prefork", "concurrency": 2, "parent_conn": True}, "test")
    variables = project_variables(settings, stack.create_database("local_stack_cell"), stack.broker_url("redis", 9))
    cell = DjangoProject(env, variables, tmp_path_factory.mktemp("cell"))
    cell.migrate()
    return cell


def gone(pids):
    return [pid for pid in pids if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"] == []


def test_a_worker_runs_from_the_cell_venv_and_leaves_no_process(stack, project):
    with Worker(stack, project, f"local-{CELERY}") as worker:
        main = psutil.Process(worker.pid)
        pids = [worker.pid, *(child.pid for child in main.children())]
        assert worker.alive() and main.cmdline()[:3] == [str(project.env.python), "-m", "celery"]
        assert len(pids) == 3 and main.cwd().endswith("django_project")
    assert not worker.alive()
    time.sleep(1)
    assert gone(pids) and project.parent_checks()[-1]["event"] == "worker_shutdown"


def test_a_worker_allowed_to_stop_cold_is_killed_but_keeps_its_warm_shutdown_for_a_shutdown_hook(stack, project):
    (project.logdir / "plain").mkdir(exist_ok=True)
    hooked, plain = project, DjangoProject(project.env, {**project.variables, "REPRO_PARENT_CONN": "0"},
                                           project.logdir / "plain")
    for cell, warm in ((hooked, True), (plain, False)):
        with Worker(stack, cell, f"cold-{warm}") as worker:
            pids = [worker.pid, *(child.pid for child in psutil.Process(worker.pid).children())]
            worker.may_stop_cold()
        time.sleep(0.5)
        assert gone(pids)
        assert ("Warm shutdown" in worker.logfile.read_text()) is warm, cell.variables["REPRO_PARENT_CONN"]


def test_gunicorn_answers_on_a_loopback_url_and_leaves_no_process(stack, project):
    with Gunicorn(stack, project, 2) as server:
        with urllib.request.urlopen(f"{server.url}/health/", timeout=5) as response:
            assert response.status == 200
        main = psutil.Process(server.process.pid)
        pids = [main.pid, *(child.pid for child in main.children())]
        assert {ip for ip, _ in listening_addresses(pids)} <= LOOPBACK and urlsplit(server.url).hostname == "127.0.0.1"
    time.sleep(1)
    assert gone(pids)


def test_no_server_lets_in_a_client_without_the_runs_credentials(stack, project):
    """Another local user knows the ports (they are listed by ss) but not this run's passwords."""
    postgres, redis, rabbitmq = (stack.servers[name] for name in ("postgres", "redis", "rabbitmq"))
    for dsn in (f"postgresql://postgres@127.0.0.1:{postgres.port}/postgres",
                f"postgresql://postgres:guess@127.0.0.1:{postgres.port}/postgres"):
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(dsn, connect_timeout=5, sslmode="disable")
    with socket.create_connection(("127.0.0.1", redis.port), timeout=2) as sock:
        sock.sendall(b"PING\r\nCONFIG GET dir\r\n")
        time.sleep(0.2)
        assert sock.recv(256).startswith(b"-NOAUTH")
    login = ("import sys, kombu\ntry:\n    kombu.Connection(sys.argv[1], connect_timeout=5).connect()\n"
             "except Exception as error:\n    print(type(error).__name__)\nelse:\n    print('connected')")
    for url in (f"amqp://guest:guest@127.0.0.1:{rabbitmq.port}//", f"amqp://repro:guess@127.0.0.1:{rabbitmq.port}//"):
        refused = subprocess.run([str(project.env.python), "-c", login, url], capture_output=True, text=True)
        assert refused.stdout.strip() == "AccessRefused", refused.stderr
    passwords = [server.password for server in stack.servers.values()]
    command_lines = " ".join(" ".join(psutil.Process(pid).cmdline()) for pid in server_pids(stack))
    logs = " ".join(path.read_text(errors="replace") for path in stack.root.rglob("*.log") if path.is_file())
    assert not [password for password in passwords if password in command_lines or password in logs]


def test_postgres_runs_as_an_account_of_its_own_behind_a_private_socket_dir(stack):
    postgres = stack.servers["postgres"]
    socket_dir = (postgres.dir / "sock").stat()
    assert socket_dir.st_mode & 0o777 == 0o700 and (postgres.dir.stat().st_mode & 0o777) == 0o700
    if os.geteuid() == 0:
        owner = pwd.getpwnam(SERVICE_USER).pw_uid
        assert psutil.Process(postgres.process.pid).uids().real == owner == socket_dir.st_uid
        assert owner != pwd.getpwnam("postgres").pw_uid
    assert stack.root.stat().st_mode & 0o777 == 0o711


@pytest.mark.parametrize("server_class", [RedisServer, PostgresServer])
def test_a_port_taken_after_it_was_chosen_is_named_as_busy(server_class):
    root = Path(tempfile.mkdtemp(prefix="celery-repro-"))
    root.chmod(0o711)  # as LocalStack's: Postgres' own account passes through
    server = server_class(root)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # bound, not listening: invisible to the pre-start check, fatal to bind()
        server.port = sock.getsockname()[1]
        with pytest.raises(HarnessError, match=f"^{server.name}: port {server.port} on 127.0.0.1 was taken by "
                                               "another process after the harness chose it: run again$"):
            try:
                server.start()
            finally:
                server.stop()
                shutil.rmtree(root)
