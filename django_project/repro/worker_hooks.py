"""Optional worker signal hooks a scenario switches on: around the prefork fork, and after failures.

REPRO_PARENT_CONN=1: the worker parent opens Django's connection in `worker_init` (before the
pool forks, as apps do from AppConfig.ready() or a startup check) and checks it again at
`worker_ready` and `worker_shutdown`, appending one JSON line per check to REPRO_PARENT_LOG.
REPRO_CHILD_HOOK: a `worker_process_init` handler run in each pool child before Celery's own:
`fix_django_db` (the #5483 fix page's workaround) or `close_all` (plain `connections.close_all()`).
REPRO_TASK_HOOK: a `task_postrun` handler (the connection-leak guide's teardown): `close_all`
(`connections.close_all()`) or `close_old_connections` (Django's `close_old_connections()`).
REPRO_GC_ON_FAILURE=1: `gc.collect()` after every failed task (a workaround from celery #5249).
REPRO_FAILURE_HOOK=close_all: `connections.close_all()` in `task_failure` (the usual workaround for a
connection left unusable by a time limit).
"""
import gc
import json
import os
import time

from celery import signals

from ledger.errortext import describe


def check_parent_connection(event):
    """Query on the parent's connection; record whether it worked, with which backend, over SSL or not."""
    from django.db import connection

    entry = {"event": event, "pid": os.getpid(), "at": time.time()}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid(), coalesce((SELECT ssl FROM pg_stat_ssl "
                           "WHERE pid = pg_backend_pid()), false)")
            entry["backend_pid"], entry["ssl"] = cursor.fetchone()
        entry["ok"] = True
    except Exception as exc:
        entry.update(ok=False, error=describe(exc))
    with open(os.environ["REPRO_PARENT_LOG"], "a") as log:
        log.write(json.dumps(entry) + "\n")


def fix_django_db(**kwargs):
    """The #5483 fix page's workaround, in effect verbatim: close inherited sockets without network I/O, then
    close()."""
    import django.db

    for c in django.db.connections.all():
        if c and c.connection:
            try:
                os.close(c.connection.fileno())
            except (AttributeError, OSError, TypeError, django.db.InterfaceError):
                pass
            try:
                c.close()
            except django.db.InterfaceError:
                pass
            except django.db.DatabaseError as exc:
                str_exc = str(exc)
                if "closed" not in str_exc and "not connected" not in str_exc:
                    raise


def close_all(**kwargs):
    """What many guides suggest, at a pool child's start or after every task: close every connection."""
    from django.db import connections

    connections.close_all()


CHILD_HOOKS = {"none": None, "fix_django_db": fix_django_db, "close_all": close_all}


def close_old(**kwargs):
    from django.db import close_old_connections

    close_old_connections()


TASK_HOOKS = {"none": None, "close_all": close_all, "close_old_connections": close_old}


def collect_garbage(**kwargs):
    gc.collect()


def install():
    if os.environ.get("REPRO_PARENT_CONN") == "1":
        signals.worker_init.connect(lambda **kwargs: check_parent_connection("worker_init"), weak=False)
        signals.worker_ready.connect(lambda **kwargs: check_parent_connection("worker_ready"), weak=False)
        signals.worker_shutdown.connect(lambda **kwargs: check_parent_connection("worker_shutdown"), weak=False)
    if os.environ.get("REPRO_GC_ON_FAILURE") == "1":
        signals.task_failure.connect(collect_garbage, weak=False)
    if os.environ.get("REPRO_FAILURE_HOOK") == "close_all":
        signals.task_failure.connect(close_all, weak=False)
    hook = CHILD_HOOKS[os.environ.get("REPRO_CHILD_HOOK", "none")]
    if hook is not None:
        signals.worker_process_init.connect(hook, weak=False)
    task_hook = TASK_HOOKS[os.environ.get("REPRO_TASK_HOOK", "none")]
    if task_hook is not None:
        signals.task_postrun.connect(task_hook, weak=False)
