"""Reading a user's project's configuration (ProjectFacts.as_record()) for the conditions scenarios depend on."""
from __future__ import annotations


def is_postgres(engine: str) -> bool:
    """A Django database ENGINE of PostgreSQL (Django's own, or a backend built on it)."""
    return "postgresql" in engine


def postgres_databases(project: dict) -> dict[str, dict]:
    return {alias: db for alias, db in project["databases"].items() if is_postgres(db["engine"])}


def persistent_aliases(project: dict) -> dict[str, object]:
    """Postgres aliases that keep connections between requests or tasks: alias -> CONN_MAX_AGE (None: unlimited)."""
    return {alias: db["conn_max_age"] for alias, db in postgres_databases(project).items() if db["conn_max_age"] != 0}


def persistent_text(project: dict) -> str | None:
    """'CONN_MAX_AGE=60 on 'shop'', or None without persistent connections."""
    found = persistent_aliases(project)
    return ", ".join(f"CONN_MAX_AGE={age} on {alias!r}" for alias, age in found.items()) or None


def prefork(project: dict) -> bool:
    return (project["celery"].get("worker_pool") or "prefork") == "prefork"


def acks_late(project: dict) -> bool:
    return bool(project["celery"].get("task_acks_late"))


def broker(project: dict) -> str:
    """'redis', 'amqp' (pyamqp and amqps too) or the scheme as written."""
    scheme = project.get("broker_scheme") or ""
    return "amqp" if scheme.startswith(("amqp", "pyamqp")) else "redis" if scheme.startswith("redis") else scheme


def handlers(project: dict, signal: str) -> list[str]:
    """The project's own functions connected to a Celery signal (Celery's own left out)."""
    return [name for name in (project.get("receivers") or {}).get(signal, []) if not name.startswith("celery.")]
