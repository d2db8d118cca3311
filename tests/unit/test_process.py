"""Processes of ours: free ports, and a ProcessSpec run locally (port, readiness, pid, stop, a one-line failure);
the worker and gunicorn as ProcessSpecs."""
import sys
from pathlib import Path
from types import SimpleNamespace

import psutil
import pytest

from harness.errors import HarnessError
from harness.paths import DJANGO_PROJECT
from harness.settings import build
from harness.stacks.base import LISTEN, ProcessSpec
from harness.stacks.local import LocalStack
from harness.stacks.process import free_port
from harness.sut.project import DjangoProject, project_variables
from harness.sut.web import Gunicorn
from harness.sut.worker import WORKER_STOP_GRACE_S, Worker, worker_args

SERVE = "import sys, time; print('listening on', sys.argv[1], flush=True); time.sleep(60)"


def test_free_port_never_repeats_within_a_process():
    ports = [free_port() for _ in range(200)]
    assert len(set(ports)) == len(ports)


def script_spec(tmp_path, code, **fields):
    log = tmp_path / "app.log"
    return ProcessSpec(label="app (1.0)", args=("-c", code, LISTEN), environment={"APP": "1"}, app_dir=tmp_path,
                       log=log, ready=lambda url: "listening" in log.read_text(), python=Path(sys.executable),
                       python_version="3.11.7", pins={}, stop_grace_s=5, **fields)


def test_a_local_process_listens_on_a_free_loopback_port_and_stops(tmp_path):
    handle = LocalStack().start_process(script_spec(tmp_path, SERVE, port=8000))
    pid = handle.pid
    try:
        port = int(handle.url.rsplit(":", 1)[1])
        assert handle.url == f"http://127.0.0.1:{port}" and port != 8000 and handle.running()
        assert f"listening on 127.0.0.1:{port}" in (tmp_path / "app.log").read_text()
        assert psutil.Process(pid).cwd() == str(tmp_path) and psutil.Process(pid).environ()["APP"] == "1"
    finally:
        handle.stop()
    assert not handle.running()
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_a_local_process_without_a_port_has_no_url(tmp_path):
    handle = LocalStack().start_process(script_spec(tmp_path, SERVE))
    handle.stop()
    assert handle.url is None and "listening on {listen}" in (tmp_path / "app.log").read_text()


def test_a_local_process_that_exits_before_ready_is_one_line(tmp_path):
    code = "raise SystemExit('ImportError: no module named repro')"
    with pytest.raises(HarnessError, match=r"^app \(1.0\) did not become ready: ImportError: no module named repro$"):
        LocalStack().start_process(script_spec(tmp_path, code))


class RecordingStack:
    """A stack that only records the specs it is asked to start."""

    def __init__(self):
        self.specs = []

    def start_process(self, spec):
        self.specs.append(spec)
        return SimpleNamespace(pid=4100, url="http://127.0.0.1:5000", running=lambda: True, stop=lambda: None)


def project(tmp_path):
    env = SimpleNamespace(python_version="3.11.9", pins={"celery": "5.5.3", "gunicorn": "23.0.0"},
                          python=tmp_path / "venv" / "bin" / "python")
    settings = build({"conn_max_age": 0, "pool": "solo", "concurrency": 3}, "test")
    variables = project_variables(settings, "postgresql://x@127.0.0.1:1/db", "redis://127.0.0.1:2/0")
    return DjangoProject(env, variables, tmp_path / "logs")


def test_the_worker_is_a_process_spec_of_the_cell_s_python_and_keeps_the_parent_log(tmp_path):
    stack, cell = RecordingStack(), project(tmp_path)
    with Worker(stack, cell, "c00-5.5.3") as worker:
        assert worker.pid == 4100 and worker.alive()
    [spec] = stack.specs
    assert spec.label == "celery worker (5.5.3)" and spec.args == tuple(worker_args(cell.variables, "c00-5.5.3"))
    assert spec.args[:5] == ("-m", "celery", "-A", "repro", "worker") and "--pool=solo" in spec.args
    assert (spec.python, spec.python_version, spec.pins) == (cell.env.python, "3.11.9", cell.env.pins)
    assert spec.environment == cell.variables and spec.app_dir == DJANGO_PROJECT
    assert spec.log == worker.logfile == tmp_path / "logs" / "c00-5.5.3.log" and spec.port is None
    assert spec.stop_grace_s == WORKER_STOP_GRACE_S
    assert spec.copy_out == (Path(cell.variables["REPRO_PARENT_LOG"]),)


def test_gunicorn_is_a_process_spec_that_listens_where_the_stack_says(tmp_path):
    stack = RecordingStack()
    server = Gunicorn(stack, project(tmp_path), 3)
    assert server.url is None
    with server:
        assert server.url == "http://127.0.0.1:5000"
    [spec] = stack.specs
    assert spec.args == ("-m", "gunicorn", "repro.wsgi:application", "--bind", LISTEN, "--workers", "3",
                         "--worker-class", "sync", "--graceful-timeout", "5")
    assert spec.label == "gunicorn (23.0.0)" and spec.port == 8000 and spec.log == tmp_path / "logs" / "gunicorn.log"
    assert spec.copy_out == () and spec.stop_grace_s == 10
