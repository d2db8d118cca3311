"""Finding a user's project from its files, reading its lock file, and the rule that refuses hosts (no server)."""
import subprocess
import sys
from pathlib import Path

import pytest

from harness.applicability import broker, handlers, persistent_text
from harness.errors import HarnessError
from harness.paths import REPO_ROOT
from harness.scenario import get_scenario
from harness.sut.inspection import ProjectFacts, check_runnable, refusals, unsupported
from harness.sut.lockfile import pinned_versions, requirement_lines
from harness.sut.user_project import find_project
from harness.uv import uv_reason

SAMPLE = REPO_ROOT / "tests" / "sample_project"


def test_the_sample_project_is_found_from_its_manage_py_and_celery_module():
    project = find_project(SAMPLE)
    assert (project.name, project.settings, project.app) == ("sample_project", "shopsite.settings.local",
                                                             "shopsite.celery:app")
    assert project.lock.name == "uv.lock" and project.python == "3.12"


def test_settings_and_app_given_win_and_are_kept_for_the_suggested_commands():
    project = find_project(SAMPLE, "shopsite.settings.base", "shopsite.celery:app")
    assert project.settings == "shopsite.settings.base"
    assert project.options == ("--settings", "shopsite.settings.base", "--app", "shopsite.celery:app")


def test_its_uv_lock_pins_what_it_declares():
    versions = pinned_versions(requirement_lines(SAMPLE / "uv.lock"))
    assert versions["celery"] == "5.5.3" and versions["django"] == "5.2.8" and versions["psycopg"] == "3.2.12"
    assert "sample-shop" not in versions  # the project itself is not installed


def test_poetry_lock_and_requirements_are_read(tmp_path):
    (tmp_path / "poetry.lock").write_text('[[package]]\nname = "celery"\nversion = "5.4.0"\n\n'
                                          '[[package]]\nname = "pywin32"\nversion = "306"\n'
                                          'markers = "sys_platform == \\"win32\\""\n')
    assert requirement_lines(tmp_path / "poetry.lock") == ["celery==5.4.0",
                                                           'pywin32==306 ; sys_platform == "win32"']
    (tmp_path / "base.txt").write_text("kombu==5.6.1\n")
    (tmp_path / "requirements.txt").write_text("# pinned\n-r base.txt\nCelery[redis]==5.6.2  # the worker\n-e .\n"
                                               "Django_Extensions==3.2\n")
    lines = requirement_lines(tmp_path / "requirements.txt")
    assert lines == ["kombu==5.6.1", "Celery[redis]==5.6.2", "Django_Extensions==3.2"]
    assert pinned_versions(lines) == {"kombu": "5.6.1", "celery": "5.6.2", "django-extensions": "3.2"}


@pytest.mark.parametrize("files, message", [
    ({}, "no manage.py setting DJANGO_SETTINGS_MODULE"),
    ({"manage.py": "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'site.settings')"}, "no package with a celery.py"),
    ({"manage.py": "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'site.settings')",
      "site/celery.py": "app = Celery('site')"}, "has no uv.lock, poetry.lock, requirements.txt"),
])
def test_what_cannot_be_found_is_one_line_saying_what_to_pass(tmp_path, files, message):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    with pytest.raises(HarnessError, match=message):
        find_project(tmp_path)
    with pytest.raises(HarnessError, match="no such directory"):
        find_project(tmp_path / "missing")


def database(engine):
    return {"engine": engine, "conn_max_age": 60 if engine else 0, "conn_health_checks": False, "options": []}


def facts(hosts, engine="django.db.backends.postgresql", default="", settings_module="shopsite.settings.local"):
    databases = {"default": database(default), "shop": database(engine)}
    return ProjectFacts({"celery": "5.5.3"}, "3.12", hosts, databases, {}, "redis", "", None, settings_module)


def test_a_host_off_this_machine_is_refused_naming_the_setting():
    found = refusals(facts([{"setting": "DATABASES['shop']['HOST']", "host": "db.internal", "local": False},
                            {"setting": "EMAIL_HOST", "host": "smtp.example.com", "local": False},
                            {"setting": "CELERY_BROKER_URL", "host": "127.0.0.1", "local": True},
                            {"setting": "SENTRY_DSN", "host": "localhost", "local": True}]))
    assert found == ["DATABASES['shop']['HOST'] names db.internal, which is not this machine: the harness replaces "
                     "it, but the project's code may read it first",
                     "EMAIL_HOST names smtp.example.com, which is not this machine: the harness cannot point it at "
                     "its own servers"]


def test_a_project_without_postgres_or_with_another_engine_is_refused():
    with pytest.raises(HarnessError, match="has no PostgreSQL database in DATABASES"):
        check_runnable(find_project(SAMPLE), facts([], engine="django.db.backends.mysql"))
    with pytest.raises(HarnessError, match=r"DATABASES\['default'\] uses django.db.backends.sqlite3"):
        check_runnable(find_project(SAMPLE), facts([], default="django.db.backends.sqlite3"))


def test_applicability_reads_the_settings_scenarios_depend_on():
    record = {**facts([]).as_record(), "receivers": {"task_postrun": ["celery.x", "shop.close"]}}
    assert persistent_text(record) == "CONN_MAX_AGE=60 on 'shop'"
    assert handlers(record, "task_postrun") == ["shop.close"] and broker(record) == "redis"


def test_uv_errors_keep_the_whole_wrapped_reason():
    stderr = ("  × No solution found when resolving dependencies:\n  ╰─▶ Because there is no version of "
              "celery[redis]==9.9.9 and you require\n      celery[redis]==9.9.9, we can conclude that your "
              "requirements are\n      unsatisfiable.\n")
    assert uv_reason(stderr).endswith("we can conclude that your requirements are unsatisfiable.")


def harness(*args):
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("args, message", [
    (["--task", "orders.tasks.x"], "--settings, --app and --task describe a project"),
    (["--project", str(SAMPLE), "--task", "orders.tasks.x", "--args", "{oops"], "--args is not JSON"),
    (["--project", str(SAMPLE), "--task", "orders.tasks.x", "--args", "3"], "--args takes a JSON list"),
    (["--project", str(Path("/nonexistent"))], "no such directory"),
])
def test_project_options_are_checked_before_anything_starts(args, message):
    done = harness("run", "conn_max_age", *args)
    assert done.returncode == 2 and message in done.stdout and len(done.stdout.strip().splitlines()) == 1


@pytest.mark.parametrize("name", ["soft_time_limit", "broker_restart"])
def test_task_is_refused_where_the_scenario_measures_its_own_tasks(name):
    done = harness("run", name, "--project", str(SAMPLE), "--task", "orders.tasks.confirm_order")
    assert done.returncode == 2 and f"{name} does not take a project's own task" in done.stdout


@pytest.mark.parametrize("name", ["broker_restart", "redis_visibility"])
def test_only_a_plain_burst_can_send_a_projects_task(name):
    with pytest.raises(HarnessError, match="--task replaces the task of a plain burst"):
        get_scenario(name).workload.with_task("orders.tasks.confirm_order", "[]")
    assert get_scenario("conn_leak").workload.with_task("orders.tasks.confirm_order", "[1]").own_tasks == {
        "orders.tasks.confirm_order"}


def test_a_project_choosing_its_settings_itself_or_shadowing_the_ledger_is_refused(tmp_path):
    project = find_project(SAMPLE)
    assert unsupported(project, facts([])) == []
    [line] = unsupported(project, facts([], settings_module="shopsite.settings.prod"))
    assert line.startswith("its code sets DJANGO_SETTINGS_MODULE to shopsite.settings.prod itself")
    shadowing = find_project(SAMPLE)
    object.__setattr__(shadowing, "root", tmp_path)
    (tmp_path / "ledger").mkdir()
    assert unsupported(shadowing, facts([])) == ["its ledger would shadow the harness's own module of that name"]


def inspection_script():
    sys.path.insert(0, str(REPO_ROOT / "django_project"))
    try:
        import celery_repro_inspect
    finally:
        sys.path.pop(0)
    return celery_repro_inspect


def test_a_host_is_local_only_on_loopback_or_a_socket():
    is_local = inspection_script().is_local
    assert all(map(is_local, ["127.0.0.1", "127.0.1.1", "localhost", "::1", ""]))
    assert not any(map(is_local, ["db.internal", "10.0.0.5", "localhost.example.com", "0.0.0.0"]))


def inspected_hosts(**settings):
    settings_hosts = inspection_script().settings_hosts
    module = type("settings", (), settings)
    return list(settings_hosts(module, sorted(settings)))


def test_the_inspection_finds_hosts_in_urls_and_host_names_but_not_in_local_caches():
    assert inspected_hosts(
        EMAIL_HOST="smtp.example.com", REDIS_HOSTS=["cache-1:6379", "127.0.0.1"], SENTRY_DSN="https://k@o1.ingest.io/1",
        DATABASES={"shop": {"HOST": "db.internal", "NAME": "shop"}},
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "snowflake"},
                "redis": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://cache-2:6379/1"}},
        ELASTICSEARCH={"default": {"hosts": {"es.internal:9200"}}}, TIME_ZONE="UTC") == [
        ("CACHES['redis']['LOCATION']", "cache-2"), ("DATABASES['shop']['HOST']", "db.internal"),
        ("ELASTICSEARCH['default']['hosts'][0]", "es.internal"), ("EMAIL_HOST", "smtp.example.com"),
        ("REDIS_HOSTS[0]", "cache-1"), ("REDIS_HOSTS[1]", "127.0.0.1"), ("SENTRY_DSN", "o1.ingest.io")]
