"""The compose stack on a fake docker client: the one-line refusal, nodes and faults, URLs, the image, one-off
processes (environment inside, host pid, log, kept files, stop order)."""
import io
import subprocess
import sys
import tarfile
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from harness.errors import HarnessError
from harness.faults import Fault
from harness.paths import DJANGO_PROJECT
from harness.settings import build
from harness.stacks import open_stack
from harness.stacks.base import ProcessSpec
from harness.stacks.compose import ComposeStack, compose_v2
from harness.stacks.images import build_args, image_name
from harness.stacks.one_off import container_environment, main_pid
from harness.sut import web
from harness.sut.project import DjangoProject, project_variables
from harness.sut.web import Gunicorn
from harness.sut.worker import WORKER_STOP_GRACE_S, Worker, worker_args

NO_ENGINE = "unix:///nonexistent/docker.sock"


def test_open_stack_refuses_compose_without_an_engine(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", NO_ENGINE)
    with pytest.raises(HarnessError, match=f"^no Docker engine is reachable at {NO_ENGINE} "):
        open_stack("compose")


def test_run_with_compose_and_no_engine_is_one_line_and_exit_2():
    done = subprocess.run([sys.executable, "-m", "harness", "run", "conn_max_age", "--stack", "compose"],
                          capture_output=True, text=True, timeout=60,
                          env={"DOCKER_HOST": NO_ENGINE, "PATH": "/usr/bin:/bin", "HOME": "/tmp"})
    assert done.returncode == 2
    [line] = done.stdout.strip().splitlines()
    assert line.startswith(f"error: no Docker engine is reachable at {NO_ENGINE}") and "--stack local" in line


def test_compose_v1_alone_is_refused_in_one_line_naming_v2(tmp_path, monkeypatch):
    """bookworm's docker-compose 1.29 next to a docker client without the compose plugin (both stand-ins here:
    what is checked is the refusal, which no real engine can show)."""
    (tmp_path / "docker").write_text("#!/bin/sh\necho \"docker: unknown command: docker compose\" >&2; exit 1\n")
    (tmp_path / "docker-compose").write_text("#!/bin/sh\necho 1.29.2\n")
    for tool in ("docker", "docker-compose"):
        (tmp_path / tool).chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(HarnessError, match=r"docker-compose is Compose v1; --stack compose needs Compose v2"):
        compose_v2()


WORKER = ("python -m celery -A repro worker --loglevel=INFO --hostname=c00-5.5.3@%h --pool=prefork --concurrency=1 "
          "--without-gossip --without-mingle --without-heartbeat")
PS = [("4100", "4080", WORKER), ("4121", "4100", WORKER), ("4122", "4100", WORKER),
      ("4200", "4080", 'sh -c celery -A repro inspect ping -d "celery@abc" -t 5 | grep -q pong'),
      ("4201", "4200", "/usr/local/bin/python /usr/local/bin/celery -A repro inspect ping -d celery@abc -t 5")]


def top(rows):
    return {"Titles": ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"],
            "Processes": [["10001", pid, ppid, "0", "09:00", "?", "00:00:00", command] for pid, ppid, command in rows]}


TOP = top(PS)


def test_main_pid_is_the_process_running_the_command_beside_an_exec_d_health_check():
    assert main_pid(TOP, WORKER) == 4100
    retitled = [("4100", "4080", "[celeryd: c00@abc:MainProcess]"), ("4121", "4100", "[celeryd: ForkPoolWorker-1]")]
    assert main_pid(top(retitled), WORKER) == 4100  # the only root, whatever its title
    with pytest.raises(HarnessError, match="^expected one main process running 'python -m celery .*found 2$"):
        main_pid(top([*retitled, PS[3]]), WORKER)


class FakeContainer:
    def __init__(self, service):
        self.service, self.calls, self.health = service, [], []

    @property
    def attrs(self):
        status = self.health.pop(0) if self.health else "healthy"
        return {"State": {"Health": {"Status": status}}}

    def __getattr__(self, name):
        if name in ("stop", "kill", "start", "pause", "unpause"):
            return lambda **kwargs: self.calls.append(name)
        raise AttributeError(name)

    def exec_run(self, command):
        self.calls.append(" ".join(command))
        return 0, b"redis-server v=7.2.5 sha=0\n"


class FakeClient:
    def __init__(self):
        self.containers, self.by_service = self, {}

    def list(self, all, filters):
        service = filters["label"][1].split("=", 1)[1]
        return [self.by_service.setdefault(service, FakeContainer(service))]


@pytest.fixture
def stack():
    return ComposeStack(("postgres", "redis", "rabbitmq"), project="p1", client=FakeClient())


@pytest.mark.parametrize("method,expected", [("restart", ["stop", "start"]), ("kill", ["kill", "start"]),
                                             ("pause", ["pause", "unpause"]),
                                             ("drop", ["redis-cli CLIENT KILL TYPE normal",
                                                       "redis-cli CLIENT KILL TYPE pubsub"])])
def test_faults_act_on_the_service_container(stack, method, expected):
    record = Fault(method, pause_s=0.0).apply(stack.node("redis"))
    assert stack.client.by_service["redis"].calls == expected
    assert record["method"] == method and record["server"] == "redis"
    assert record["finished_at"] >= record["started_at"]


def test_a_node_waits_until_its_container_is_healthy_again(stack, monkeypatch):
    monkeypatch.setattr("harness.stacks.containers.time.sleep", lambda seconds: None)
    node = stack.node("rabbitmq")
    container = node.container()
    container.health = ["starting", "unhealthy"]
    node.restart(kill=True, down_s=1.0)
    assert container.calls == ["kill", "start"] and container.health == []


def test_nodes_are_the_stack_s_servers_only(stack):
    with pytest.raises(HarnessError, match=r"^no server 'redis-aof' in this stack \(started: postgres, redis, "):
        stack.node("redis-aof")
    with pytest.raises(HarnessError, match="^no way to drop the clients of 'postgres'"):
        Fault("drop").apply(stack.node("postgres"))


def test_urls_use_loopback_ports_and_this_run_s_random_passwords(stack, monkeypatch):
    assert stack.variables()["REPRO_REDIS_PORT"] == str(stack.ports["redis"])
    assert len(set(stack.passwords.values())) == 3 and all(len(value) >= 20 for value in stack.passwords.values())
    redis = stack.broker_url("redis", 3)
    assert redis == f"redis://:{stack.passwords['REPRO_REDIS_PASSWORD']}@127.0.0.1:{stack.ports['redis']}/3"
    assert stack.client.by_service["redis"].calls == ["redis-cli -n 3 FLUSHDB"]
    assert stack.broker_url("rabbitmq", 2).endswith(f"@127.0.0.1:{stack.ports['rabbitmq']}/cell2")
    assert stack.client.by_service["rabbitmq"].calls == ["rabbitmqctl add_vhost cell2",
                                                          "rabbitmqctl set_permissions -p cell2 repro .* .* .*"]
    assert stack.admin_dsn().startswith("postgresql://postgres:") and "@127.0.0.1:" in stack.admin_dsn()


def spec(tmp_path, environment, **fields):
    return ProcessSpec(label="app", args=("-m", "app"), environment=environment, app_dir=DJANGO_PROJECT,
                       log=tmp_path / "app.log", ready=lambda url: True, python=Path("/venv/bin/python"),
                       python_version="3.11.9", pins={}, **fields)


def test_the_environment_inside_aims_published_urls_at_services_and_host_paths_at_the_image(tmp_path):
    kept = tmp_path / "logs" / "parent_checks.jsonl"
    environment = {"DB": "postgresql://u:p@127.0.0.1:40001/cell?sslmode=disable", "BROKER": "redis://127.0.0.1:40002/3",
                   "CONF": '{"result_backend": "redis://:pw@127.0.0.1:40002"}', "OTHER": "http://127.0.0.1:40003/",
                   "PORT_ALIKE": "127.0.0.1:400011", "PYTHONPATH": str(DJANGO_PROJECT), "KEEP": str(kept)}
    inside = container_environment(spec(tmp_path, environment, copy_out=(kept,)),
                                   {40001: "postgres:5432", 40002: "redis:6379"})
    assert inside == {"DB": "postgresql://u:p@postgres:5432/cell?sslmode=disable", "BROKER": "redis://redis:6379/3",
                      "CONF": '{"result_backend": "redis://:pw@redis:6379"}', "OTHER": "http://127.0.0.1:40003/",
                      "PORT_ALIKE": "127.0.0.1:400011", "PYTHONPATH": "/app", "KEEP": "/tmp/parent_checks.jsonl"}


PINS = {"celery": "5.5.3", "kombu": "5.5.4", "billiard": "4.2.2", "django": "5.2.8", "psycopg": "3.2.12"}


class CellContainer:
    """A one-off container: its log, state, docker top and what was done to it, in order."""

    def __init__(self, log: bytes, processes: dict, status: str = "running"):
        self.log, self.processes, self.status, self.calls = log, processes, status, []

    def logs(self, stream, follow):
        return iter(self.log.splitlines(keepends=True))

    def reload(self):
        pass

    def top(self):
        return self.processes

    def stop(self, timeout):
        self.calls.append(("stop", timeout))
        self.status = "exited"

    def get_archive(self, path):
        self.calls.append(("get_archive", path))
        data = io.BytesIO()
        with tarfile.open(fileobj=data, mode="w") as tar:
            content = b'{"event": "worker_shutdown", "ok": true}\n'
            info = tarfile.TarInfo(path.rsplit("/", 1)[1])
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
        return [data.getvalue()], {}

    def remove(self, force):
        self.calls.append(("remove", force))


WORKER_LOG = (b"[2025-01-01 09:00:00,000: INFO/MainProcess] c00-5.5.3@abc ready.\n"
              b"[2025-01-01 09:00:01,000: INFO/ForkPoolWorker-1] Task ledger.tasks.touch_db[c00-1] succeeded in 0.02s\n"
              b"[2025-01-01 09:00:01,100: ERROR/ForkPoolWorker-1] Task ledger.tasks.fail[c00-2] raised unexpected: "
              b"OperationalError('gone')\n")


@pytest.fixture
def cell_stack(stack, monkeypatch):
    """A compose stack whose `docker compose` calls are recorded; `run` creates a CellContainer."""
    stack.calls, stack.log, stack.top = [], WORKER_LOG, TOP

    def compose(*args, env=None, timeout=None):
        stack.calls.append((args, env or {}))
        if args[0] == "run":
            name = next(arg.split("=", 1)[1] for arg in args if arg.startswith("--name="))
            stack.client.by_name[name] = CellContainer(stack.log, stack.top)
        return ""

    stack.client.by_name = {}
    stack.client.get = stack.client.by_name.__getitem__
    monkeypatch.setattr(stack, "compose", compose)
    return stack


def cell_project(stack, tmp_path, broker="redis"):
    env = SimpleNamespace(python_version="3.11.9", pins=PINS, python=tmp_path / "venv" / "bin" / "python")
    settings = build({"conn_max_age": 0, "pool": "prefork", "concurrency": 1, "parent_conn": True}, "test")
    return DjangoProject(env, project_variables(settings, stack.dsn("cell00"), stack.broker_url(broker, 3)),
                         tmp_path / "logs")


def test_the_cell_image_is_built_once_per_pin_set_with_the_stack_s_build_args(cell_stack):
    image = cell_stack.image("3.11.9", PINS)
    assert cell_stack.image("3.11.2", dict(PINS)) == image
    [(args, variables)] = cell_stack.calls
    assert args[0] == "build" and args[-1] == "worker" and variables == {"REPRO_CELL_IMAGE": image}
    assert list(args[1:-1]) == [f"--build-arg={key}={value}" for key, value in build_args("3.11", PINS).items()]
    assert "--build-arg=CELERY_VERSION=5.5.3" in args and "--build-arg=PYTHON_VERSION=3.11" in args
    assert image.startswith("celery-repro-cell:celery5.5.3-py3.11-")
    other = cell_stack.image("3.11.9", {**PINS, "kombu": "5.5.3"})
    assert other != image and len(cell_stack.calls) == 2
    assert image_name(build_args("3.11", PINS)) == image  # the same tag in every run and every stack


@pytest.mark.parametrize("broker,host", [("redis", "@redis:6379/3"), ("rabbitmq", "@rabbitmq:5672/cell3")])
def test_the_worker_container_gets_the_cell_environment_with_in_network_hostnames(cell_stack, tmp_path, broker,
                                                                                  host):
    project = cell_project(cell_stack, tmp_path, broker)
    with Worker(cell_stack, project, "c00-5.5.3"):
        pass
    (build_call, _), (run, variables) = cell_stack.calls
    assert build_call[0] == "build"
    assert run[:5] == ("run", "--detach", "--no-deps", "--no-TTY", "--name=p1-worker-c00-5.5.3")
    assert not any(arg.startswith(("--publish", "--service-ports")) for arg in run)
    assert run[run.index("worker") + 1:] == ("python", *worker_args(project.variables, "c00-5.5.3"))
    assert {arg.split("=", 1)[1] for arg in run if arg.startswith("--env=")} == set(project.variables)
    password = cell_stack.passwords["REPRO_POSTGRES_PASSWORD"]
    assert variables["REPRO_DATABASE_URL"] == f"postgresql://postgres:{password}@postgres:5432/cell00?sslmode=disable"
    assert variables["REPRO_BROKER_URL"].endswith(host)
    assert variables["PYTHONPATH"] == "/app" and variables["REPRO_PARENT_LOG"] == "/tmp/parent_checks.jsonl"
    assert variables["REPRO_CELL_IMAGE"] == cell_stack.image("3.11.9", PINS)
    assert not any("127.0.0.1" in value or str(tmp_path) in value for value in variables.values())
    assert not any(secret in arg for arg in run for secret in cell_stack.passwords.values())


def test_the_worker_container_pid_log_counts_and_stop_order(cell_stack, tmp_path):
    project = cell_project(cell_stack, tmp_path)
    with Worker(cell_stack, project, "c00-5.5.3") as worker:
        container = cell_stack.client.by_name["p1-worker-c00-5.5.3"]
        assert worker.pid == 4100 and worker.alive()  # the celery main process from docker top, a host pid
        assert worker.logfile == project.logdir / "c00-5.5.3.log"
        deadline = time.monotonic() + 5
        while worker.tasks_reported("c00") < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert worker.tasks_reported("c00") == 2
    assert container.calls == [("stop", WORKER_STOP_GRACE_S), ("get_archive", "/tmp/parent_checks.jsonl"),
                               ("remove", True)]
    assert not worker.alive()
    assert worker.log_errors() == 1 and worker.log_errors_by_class() == {"OperationalError": 1}
    assert project.parent_checks() == [{"event": "worker_shutdown", "ok": True}]


def test_a_worker_container_that_exits_before_ready_is_reported_and_removed(cell_stack, tmp_path, monkeypatch):
    cell_stack.log = b"Traceback (most recent call last):\nImportError: no module named repro\n"
    monkeypatch.setattr(CellContainer, "reload", lambda self: setattr(self, "status", "exited"))
    message = r"^celery worker \(5.5.3\) in container p1-worker-c00 did not become ready: ImportError"
    with pytest.raises(HarnessError, match=message):
        with Worker(cell_stack, cell_project(cell_stack, tmp_path), "c00"):
            pass
    assert [call[0] for call in cell_stack.client.by_name["p1-worker-c00"].calls] == ["stop", "get_archive",
                                                                                        "remove"]


def test_the_web_container_answers_on_a_published_loopback_port(cell_stack, tmp_path, monkeypatch):
    asked, cell_stack.top = [], top([("5100", "5080", "python -m gunicorn repro.wsgi:application --bind 0.0.0.0:8000"),
                                     ("5101", "5100", "python -m gunicorn repro.wsgi:application --bind 0.0.0.0:8000")])
    monkeypatch.setattr(web, "answers", lambda url: asked.append(url) or True)
    with Gunicorn(cell_stack, cell_project(cell_stack, tmp_path), 4) as server:
        port = int(server.url.rsplit(":", 1)[1])
        assert server.url == f"http://127.0.0.1:{port}" and asked == [server.url] and server.process.pid == 5100
        assert port not in cell_stack.ports.values()
    (_, _), (run, _) = cell_stack.calls
    assert run[:6] == ("run", "--detach", "--no-deps", "--no-TTY", "--name=p1-web-gunicorn",
                       f"--publish=127.0.0.1:{port}:8000")
    assert run[run.index("web") + 1:] == ("python", "-m", "gunicorn", "repro.wsgi:application", "--bind",
                                          "0.0.0.0:8000", "--workers", "4", "--worker-class", "sync",
                                          "--graceful-timeout", "5")
    assert cell_stack.client.by_name["p1-web-gunicorn"].calls == [("stop", 10), ("remove", True)]
