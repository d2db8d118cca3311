"""The Compose backend on a real Docker engine: the engine's fence, and cells measured in containers with the same
verdicts and numbers as on the local backend (tolerances as in the local tests)."""
import json
import os
import subprocess
from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.stacks.compose import ComposeStack, docker_client
from tests.integration.conftest import run_cells_on

pytestmark = [pytest.mark.integration, pytest.mark.compose]
ENGINE_DIR = Path(os.environ.get("REPRO_ENGINE_DIR", "/run/celery-repro-engine"))


@pytest.fixture(scope="module")
def engine():
    """The engine's SDK client; a skip without one, unless REPRO_REQUIRE_ENGINE=1 (as .ci/run sets) makes it a
    failure."""
    try:
        return docker_client()
    except HarnessError as error:
        if os.environ.get("REPRO_REQUIRE_ENGINE") == "1":
            pytest.fail(f"REPRO_REQUIRE_ENGINE=1 but {error}")
        pytest.skip(str(error))


def our_dockerd() -> int:
    """The pid of the dockerd compose/engine.sh started; a skip for an engine started otherwise (its fence is its
    owner's), a failure where REPRO_REQUIRE_ENGINE=1 (.ci/run starts its own)."""
    pidfile = ENGINE_DIR / "dockerd.pid"
    if not pidfile.exists():
        if os.environ.get("REPRO_REQUIRE_ENGINE") == "1":
            pytest.fail(f"REPRO_REQUIRE_ENGINE=1 but no dockerd of compose/engine.sh ({pidfile} is missing)")
        pytest.skip("the engine was not started by compose/engine.sh: its fence is not ours to check")
    return int(pidfile.read_text())


def test_the_engine_is_fenced_to_loopback_and_its_own_bridges(engine):
    pid = our_dockerd()
    config = json.loads((ENGINE_DIR / "daemon.json").read_text())
    assert all(address.startswith("127.") for address in config["dns"]) and config["ip"] == "127.0.0.1"
    assert config["ipv6"] is False
    environ = dict(item.split("=", 1) for item in Path(f"/proc/{pid}/environ").read_text().split("\0") if "=" in item)
    assert {environ[name] for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")} == \
        {"http://127.0.0.1:9"} and not ({"NO_PROXY", "no_proxy"} & set(environ))
    rules = subprocess.run(["iptables", "-S", "DOCKER-USER"], capture_output=True, text=True, check=True).stdout
    rules = [line for line in rules.splitlines() if line.startswith("-A")]
    drops = [rule for rule in rules[:2] if rule.endswith("-j DROP")]  # first, before anything dockerd appends
    assert any("-i docker0 ! -o docker0" in rule for rule in drops), rules
    assert any("-i br-+ ! -o br-+" in rule for rule in drops), rules


def test_a_pull_fails_at_once_instead_of_reaching_a_registry(engine):
    our_dockerd()
    done = subprocess.run(["docker", "pull", "celery-repro/no-such-image:1"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode != 0 and "127.0.0.1:9" in done.stderr, done.stderr


def test_no_password_is_on_a_command_line_or_in_a_log_of_the_servers(engine):
    with ComposeStack(("postgres", "redis", "rabbitmq")) as stack:
        passwords = list(stack.passwords.values())
        for service in stack.services:
            container = stack.container(service)
            seen = " ".join([*container.attrs["Config"]["Cmd"], *container.attrs["Args"],
                             *(row[-1] for row in container.top()["Processes"]), container.logs().decode(errors="replace")])
            assert not [password for password in passwords if password in seen], service
            assert stack.exec(service, ["sh", "-c", "echo ok"]).strip() == "ok"
        assert all(binding["HostIp"] == "127.0.0.1" for container in [stack.container(s) for s in stack.services]
                   for bindings in container.attrs["NetworkSettings"]["Ports"].values() if bindings
                   for binding in bindings)


def run_on_compose(tmp_path_factory, scenario_name: str, cells: list[str], tasks: int) -> dict[str, dict]:
    return run_cells_on(ComposeStack, tmp_path_factory, scenario_name, cells, tasks)


@pytest.fixture(scope="module")
def conn_max_age(engine, tmp_path_factory):
    return run_on_compose(tmp_path_factory, "conn_max_age", ["5.5.3", "5.7.0"], 100)


def test_conn_max_age_in_containers_reuses_on_5_5_3_and_not_on_5_7_0(conn_max_age):
    reusing, closing = conn_max_age["5.5.3"], conn_max_age["5.7.0"]
    assert reusing["stack"]["kind"] == closing["stack"]["kind"] == "compose"
    assert reusing["summary"]["tasks_executed"] == closing["summary"]["tasks_executed"] == 100
    assert reusing["summary"]["sessions_opened"] <= 4 and reusing["verdict"] == "fixed"
    assert 0.95 <= closing["summary"]["sessions_per_task"] <= 1.1 and closing["verdict"] == "broken"


def test_a_compose_cell_records_what_its_image_installed(conn_max_age):
    record = conn_max_age["5.5.3"]
    assert record["freeze"]["celery"] == "5.5.3" and record["freeze"]["kombu"] == record["pins"]["kombu"]
    assert "gunicorn" in record["freeze"] and "click" in record["freeze"]  # the image's, with what pip chose


@pytest.fixture(scope="module")
def broker_restart(engine, tmp_path_factory):
    return run_on_compose(tmp_path_factory, "broker_restart", ["5.7.0, redis restart", "5.7.0, rabbitmq restart"], 300)


def test_a_restarted_memory_only_redis_container_loses_its_queue_and_the_worker_consumes_again(broker_restart):
    record = broker_restart["5.7.0, redis restart"]
    summary = record["summary"]
    assert record["fault"]["server"] == "redis" and record["fault"]["method"] == "restart"
    assert summary["recovered"] and summary["queue_depth_end"] == 0
    assert summary["executed_once"] + summary["never_executed"] == summary["tasks_published"]
    assert summary["never_executed"] > 20  # what was queued when the container stopped, as on the local backend


def test_a_gracefully_restarted_rabbitmq_container_loses_nothing_and_runs_at_most_the_unacked_window_twice(broker_restart):
    """A second run is a rate, not a constant (1 task in one CI run of many): an early ack still in flight when the
    node stops is lost and the message redelivered; only messages delivered to the worker can be, at most
    concurrency x prefetch multiplier = 8 at a time."""
    summary = broker_restart["5.7.0, rabbitmq restart"]["summary"]
    assert summary["recovered"] and summary["never_executed"] == 0 and summary["executed_more_than_once"] <= 8
    assert summary["executed_once"] + summary["executed_more_than_once"] == summary["tasks_published"] >= 295
    assert 5 <= summary["recovery_s"] < 30  # the broker is away for 5 s plus its own boot and healthcheck


@pytest.fixture(scope="module")
def exception_leak(engine, tmp_path_factory):
    return run_on_compose(tmp_path_factory, "exception_leak", ["5.7.0 py3.12"], 400)


def test_pool_child_memory_in_a_container_grows_per_failing_task_read_from_its_host_pid(exception_leak):
    record = exception_leak["5.7.0 py3.12"]
    summary = record["summary"]
    assert record["python"].startswith("3.12") and record["probes"]["memory"]["samples"] > 50
    assert summary["tasks_executed"] == 800 and summary["tasks_lost"] == 0
    assert summary["fail_rss_slope_low_kb_per_task"] > 100 and abs(summary["control_rss_slope_kb_per_task"]) < 20
    assert record["verdict"] == "broken"
