"""compose/: compose.yaml against the compose-spec schema, its safety rules, and the Dockerfile's pin arguments."""
import importlib.resources
import json
import os
import re
import subprocess
import sys

import jsonschema
import pytest
import yaml

from harness.paths import REPO_ROOT
from harness.packages import PINNED
from harness.pins import install_lines, resolve
from harness.errors import HarnessError
from harness.stacks.compose import PASSWORDS, PORT_VARIABLES, VERSION_COMMANDS, compose_v2
from harness.stacks.images import GUNICORN, arg_name, build_args

COMPOSE = REPO_ROOT / "compose" / "compose.yaml"
DOCKERFILE = REPO_ROOT / "compose" / "Dockerfile"
INSTALL_PINS = REPO_ROOT / "compose" / "install-pins.sh"
SERVERS = ("postgres", "redis", "redis-aof", "rabbitmq")
CELERY5 = {"celery": "5.5.3", "kombu": "5.5.4", "billiard": "4.2.2", "amqp": "5.3.1", "vine": "5.1.0",
           "redis": "5.2.1", "django": "5.2.8", "psycopg": "3.2.12", "psycopg-pool": "3.2.7", "setuptools": "80.9.0"}
CELERY4 = {"celery": "4.4.7", "kombu": "4.6.11", "billiard": "3.6.4.0", "amqp": "2.6.1", "vine": "1.3.0",
           "redis": "3.5.3", "django": "3.2.25", "psycopg2-binary": "2.9.9", "setuptools": "75.3.2",
           "importlib-metadata": "4.13.0", "future": "0.18.3"}


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def spec_validator():
    """The compose-spec JSON schema as check-jsonschema vendors it."""
    vendor = importlib.resources.files("check_jsonschema.builtin_schemas.vendor")
    schema = json.loads(vendor.joinpath("compose-spec.json").read_text())
    return jsonschema.validators.validator_for(schema)(schema)


def test_compose_file_matches_the_compose_spec_schema():
    spec_validator().validate(compose())


def test_the_schema_rejects_a_misspelt_key():
    broken = compose()
    broken["services"]["redis"]["healthchek"] = broken["services"]["redis"].pop("healthcheck")
    with pytest.raises(jsonschema.ValidationError, match="healthchek"):
        spec_validator().validate(broken)


def compose_command() -> list[str]:
    """`docker compose` (v2), or a skip saying why not: none here, or only Compose v1, which rejects this file."""
    try:
        compose_v2()
    except HarnessError as error:
        pytest.skip(f"no Compose v2 here ({error}); the schema test stands in for `docker compose config`")
    return ["docker", "compose"]


def test_a_compose_implementation_accepts_the_file():
    command = compose_command()
    env = {**os.environ, **{name: "not-a-real-password" for name in PASSWORDS}}
    done = subprocess.run([*command, "--file", str(COMPOSE), "config", "--quiet"], capture_output=True, text=True,
                          env=env)
    assert done.returncode == 0, done.stderr


def test_every_service_has_a_healthcheck_and_waits_for_healthy_dependencies():
    services = compose()["services"]
    assert set(SERVERS) | {"web", "worker"} == set(services)
    for name, service in services.items():
        assert service["healthcheck"]["test"], name
        for dependency in service.get("depends_on", {}).values():
            assert dependency == {"condition": "service_healthy"}, name


def test_ports_are_published_on_loopback_only_and_images_pinned():
    for name, service in compose()["services"].items():
        for port in service.get("ports", []):
            assert re.fullmatch(r"127\.0\.0\.1:\$\{REPRO_[A-Z_]+_PORT:-\d+\}:\d+", port), (name, port)
        if name in SERVERS:  # a variable whose default is a pinned official image
            assert re.fullmatch(r"\$\{REPRO_[A-Z]+_IMAGE:-[a-z]+:\d+\.\d+(\.\d+)?(-[a-z]+)?\}", service["image"]), \
                service["image"]


def test_no_password_is_written_in_the_file():
    text = COMPOSE.read_text()
    for variable in PASSWORDS:
        assert f"${{{variable}:-" not in text  # never a default
    for name, service in compose()["services"].items():
        for key, value in service.get("environment", {}).items():
            if re.search(r"PASS|AUTH|SECRET", key) and not key.endswith("_FILE"):
                assert re.fullmatch(r"\$\{REPRO_[A-Z]+_PASSWORD:\?[^}]+\}", value), (name, key)
    for password in re.findall(r"://[^:/@\s]*:([^@\s]+)@", text):
        assert re.fullmatch(r"\$\{REPRO_[A-Z]+_PASSWORD:\?[^}]+\}", password)
    assert compose()["secrets"] == {"postgres_password": {"environment": "REPRO_POSTGRES_PASSWORD"}}


def test_compose_stack_names_the_variables_and_services_of_the_file():
    text = COMPOSE.read_text()
    assert set(re.findall(r"\$\{(REPRO_[A-Z_]+_PORT)", text)) == set(PORT_VARIABLES.values())
    assert set(re.findall(r"\$\{(REPRO_[A-Z_]+_PASSWORD):\?", text)) == set(PASSWORDS)
    assert set(VERSION_COMMANDS) == set(SERVERS)


def dockerfile_args() -> list[str]:
    return re.findall(r"^ARG ([A-Z0-9_]+)", DOCKERFILE.read_text(), re.MULTILINE)


IMAGE_SOURCE_ARGS = {"BASE_IMAGE", "WHEELHOUSE", "PIP_OPTIONS"}  # where the Python and the wheels come from


def test_build_args_are_the_dockerfile_args_and_the_compose_build_args():
    expected = set(build_args("3.11", CELERY5))
    assert expected == {"PYTHON_VERSION", "EXTRA_PINS", "GUNICORN_VERSION", *map(arg_name, PINNED)}
    assert set(dockerfile_args()) == expected | IMAGE_SOURCE_ARGS
    assert set(compose()["x-cell"]["build"]["args"]) == expected | IMAGE_SOURCE_ARGS
    assert all(f"${{{name}:-" in value for name, value in compose()["x-cell"]["build"]["args"].items())


def install_pins(args: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["sh", str(INSTALL_PINS)], capture_output=True, text=True,
                          env={"PATH": os.environ["PATH"], **args})


@pytest.mark.parametrize("python,pins", [("3.11", CELERY5), ("3.8", CELERY4)])
def test_the_image_installs_exactly_the_pins_of_the_local_backend(python, pins):
    done = install_pins(build_args(python, pins))
    assert done.returncode == 0, done.stderr
    assert sorted(done.stdout.split()) == sorted([*install_lines(pins), f"gunicorn=={GUNICORN}"])


def test_an_image_without_a_celery_pin_is_refused():
    done = install_pins({**build_args("3.11", CELERY5), "CELERY_VERSION": ""})
    assert done.returncode != 0 and "harness compose-args" in done.stderr


def test_the_dockerfile_context_sends_only_the_project_the_pin_script_and_the_wheels():
    ignore = (REPO_ROOT / "compose" / "Dockerfile.dockerignore").read_text().split()
    assert ignore[:4] == ["*", "!django_project", "!compose/install-pins.sh", "!compose/wheelhouse"]
    dockerfile = DOCKERFILE.read_text()
    assert "COPY compose/install-pins.sh" in dockerfile and "COPY django_project /app" in dockerfile


def test_compose_args_prints_the_build_args_of_a_cell_s_resolved_pins():
    done = subprocess.run([sys.executable, "-m", "harness", "compose-args", "conn_max_age", "--cell", "5.5.3"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    args = dict(line.split("=", 1) for line in done.stdout.splitlines())
    assert args == build_args("3.11", resolve("5.5.3", "3.11", {}))
    assert args["CELERY_VERSION"] == "5.5.3" and args["KOMBU_VERSION"] and args["PSYCOPG2_BINARY_VERSION"] == ""
