"""The compose stack without a Docker engine: the one-line refusal, pid lookup, faults and URLs on a fake client."""
import subprocess
import sys

import pytest

from harness.errors import HarnessError
from harness.faults import Fault
from harness.stacks import open_stack
from harness.stacks.compose import ComposeStack, pool_pids

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


WORKER = "/usr/local/bin/python /usr/local/bin/celery -A repro worker --loglevel=INFO"
PS = [("4100", "4080", WORKER), ("4121", "4100", WORKER), ("4122", "4100", WORKER),
      ("4200", "4100", "sh -c celery -A repro inspect ping")]
TOP = {"Titles": ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"],
       "Processes": [["10001", pid, ppid, "0", "09:00", "?", "00:00:00", command] for pid, ppid, command in PS]}


def test_pool_pids_are_the_worker_main_and_its_children_from_docker_top():
    assert pool_pids(TOP) == (4100, [4121, 4122])


class FakeContainer:
    def __init__(self, service):
        self.service, self.calls, self.attrs = service, [], {"State": {"Health": {"Status": "healthy"}}}

    def __getattr__(self, name):
        if name in ("stop", "kill", "start", "pause", "unpause"):
            return lambda **kwargs: self.calls.append(name)
        raise AttributeError(name)

    def exec_run(self, command):
        self.calls.append(" ".join(command))
        return 0, b"redis-server v=7.2.5 sha=0\n"

    def top(self):
        return TOP


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
    record = stack.inject("redis", Fault(method, pause_s=0.0))
    assert stack.client.by_service["redis"].calls == expected
    assert record["method"] == method and record["server"] == "redis"
    assert record["finished_at"] >= record["started_at"]


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
    assert stack.worker_pids() == (4100, [4121, 4122])
