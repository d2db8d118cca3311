"""A cell's settings, typed and grouped by who consumes them; flat override names, validated at load."""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any, Literal, Optional, get_args, get_origin, get_type_hints

from harness.errors import HarnessError


@dataclass(frozen=True)
class DjangoSettings:
    """DATABASES['default'] of django_project/repro/settings.py."""

    conn_max_age: Optional[int] = 60  # None: unlimited persistent connections
    db_pool: bool = False  # Django 5.1+ OPTIONS['pool'] (psycopg 3)
    db_sslmode: Literal["disable", "require"] = "disable"
    conn_health_checks: bool = False  # Django 4.1+ CONN_HEALTH_CHECKS: a persistent connection is checked before reuse


@dataclass(frozen=True)
class WorkerSettings:
    """The `celery worker` command line and the worker options of the Celery config."""

    pool: Literal["prefork", "threads", "gevent", "solo"] = "prefork"
    concurrency: int = 2
    max_tasks_per_child: Optional[int] = None
    time_limit_s: Optional[int] = None  # hard time limit of every task, whole seconds
    soft_time_limit_s: Optional[float] = None  # soft time limit of every task: SoftTimeLimitExceeded in the task
    remote_features: bool = False  # gossip, mingle and heartbeat (off: --without-*)


@dataclass(frozen=True)
class TaskSettings:
    """What the ledger tasks do (django_project/ledger/tasks.py)."""

    leak_bytes: int = 1 << 20  # the local a memory task holds
    fail_mode: Literal["raise", "throws", "retry"] = "raise"
    task_sleep_s: float = 0.02  # touch_db_slowly
    work_sleep_s: float = 0.0  # mixed_db_work, while holding its connection
    txn_style: Literal["begin", "atomic"] = "begin"  # how mixed_db_work's failures open their transaction
    query_sleep_s: float = 3.0  # slow_query's pg_sleep


@dataclass(frozen=True)
class HookSettings:
    """Worker signal handlers of django_project/repro/worker_hooks.py."""

    parent_conn: bool = False  # the parent opens Django's connection before the fork and checks it
    child_hook: Literal["none", "fix_django_db", "close_all"] = "none"  # worker_process_init
    task_hook: Literal["none", "close_all", "close_old_connections"] = "none"  # task_postrun
    gc_on_failure: bool = False  # gc.collect() in task_failure
    failure_hook: Literal["none", "close_all"] = "none"  # task_failure: close every connection after a failure


@dataclass(frozen=True)
class HarnessSettings:
    """What the harness itself sets up for the cell."""

    broker: Literal["redis", "redis-aof", "rabbitmq"] = "redis"
    pg_max_connections: Optional[int] = None  # Postgres restarted with this max_connections for the cell
    rabbitmq_consumer_timeout_s: Optional[int] = None  # RabbitMQ's consumer_timeout for the cell's channels


@dataclass(frozen=True)
class Settings:
    """Every setting of one cell; `celery` holds further Celery settings by their own lowercase names."""

    django: DjangoSettings = DjangoSettings()
    worker: WorkerSettings = WorkerSettings()
    tasks: TaskSettings = TaskSettings()
    hooks: HookSettings = HookSettings()
    harness: HarnessSettings = HarnessSettings()
    celery: dict[str, Any] = field(default_factory=dict)

    def flat(self) -> dict[str, Any]:
        """One name -> value mapping (the names scenarios declare), for comparing cells."""
        values = {name: value for group in GROUPS for name, value in dataclasses.asdict(getattr(self, group)).items()}
        return {**values, "celery": dict(self.celery)}

    def as_record(self) -> dict[str, dict[str, Any]]:
        return dataclasses.asdict(self)


GROUPS = ("django", "worker", "tasks", "hooks", "harness")
GROUP_TYPES = {group: get_type_hints(Settings)[group] for group in GROUPS}
OWNER = {f.name: group for group, kind in GROUP_TYPES.items() for f in dataclasses.fields(kind)}
CELERY_NAME = re.compile(r"[a-z][a-z0-9_]*")
AT_LEAST = {"concurrency": 1, "max_tasks_per_child": 1, "time_limit_s": 1, "soft_time_limit_s": 0.1,
            "query_sleep_s": 0, "pg_max_connections": 10, "rabbitmq_consumer_timeout_s": 1,
            "conn_max_age": 0, "leak_bytes": 0, "task_sleep_s": 0, "work_sleep_s": 0}


def known_names() -> list[str]:
    return [*OWNER, "celery"]


def build(overrides: dict[str, Any], where: str) -> Settings:
    """Settings from flat overrides (later dicts win); a one-line error naming `where` for an unknown name or a
    value of the wrong type."""
    groups: dict[str, dict[str, Any]] = {group: {} for group in GROUPS}
    for name, value in overrides.items():
        if name == "celery":
            continue
        if name not in OWNER:
            raise HarnessError(f"{where}: unknown setting '{name}' (known: {', '.join(known_names())})")
        _check_type(name, value, get_type_hints(GROUP_TYPES[OWNER[name]])[name], where)
        if value is not None and name in AT_LEAST and value < AT_LEAST[name]:
            raise HarnessError(f"{where}: setting '{name}' = {value!r} must be at least {AT_LEAST[name]}")
        groups[OWNER[name]][name] = value
    celery = dict(overrides.get("celery") or {})
    if bad := [name for name in celery if not CELERY_NAME.fullmatch(name)]:
        raise HarnessError(f"{where}: Celery setting names are lowercase (got {', '.join(map(repr, bad))})")
    return Settings(**{group: GROUP_TYPES[group](**values) for group, values in groups.items()}, celery=celery)


def _check_type(name: str, value: Any, hint: Any, where: str) -> None:
    if not _fits(value, hint):
        raise HarnessError(f"{where}: setting '{name}' = {value!r} is not {_describe(hint)}")


def _fits(value: Any, hint: Any) -> bool:
    origin = get_origin(hint)
    if origin is Literal:
        return value in get_args(hint)
    if origin is not None:  # Optional[X]
        return any(_fits(value, arg) for arg in get_args(hint))
    if hint is type(None):
        return value is None
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint)


def _describe(hint: Any) -> str:
    origin = get_origin(hint)
    if origin is Literal:
        return "one of " + ", ".join(map(repr, get_args(hint)))
    if origin is not None:
        return " or ".join(_describe(arg) for arg in get_args(hint))
    if hint is type(None):
        return "None"
    return f"{'an' if hint.__name__[0] in 'aeiou' else 'a'} {hint.__name__}"


def flat(record_settings: dict) -> dict[str, Any]:
    """The flat names of a stored record's grouped settings."""
    values = {name: value for group in GROUPS for name, value in record_settings.get(group, {}).items()}
    return {**values, "celery": record_settings.get("celery", {})}
