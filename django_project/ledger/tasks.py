"""The tasks every scenario dispatches; each writes its ledger row."""
import os
import time

from celery import shared_task
from django.db import connection

from ledger.models import Execution
from repro.errortext import describe


def backend_pid():
    """The Postgres backend pid of Django's current connection (psycopg2 or psycopg 3)."""
    raw = connection.connection
    if raw is None:
        return None
    if hasattr(raw, "get_backend_pid"):
        return raw.get_backend_pid()
    return raw.info.backend_pid


def record(task, name, started, error=""):
    Execution.objects.create(dispatch_id=task.request.id, task=name, worker_pid=os.getpid(),
                             backend_pid=backend_pid(), started=started, finished=time.time(), error=error)


def record_error(task, name, started, exc):
    """Record the error; if the connection itself is what failed, once more on a new connection."""
    error = describe(exc)
    for attempt in range(2):
        try:
            record(task, name, started, error=error)
            return
        except Exception:
            close_quietly()


def close_quietly():
    """Drop Django's connection (Celery's fixup would close an unusable one after the task anyway)."""
    try:
        connection.close()
    except Exception:
        pass


@shared_task(bind=True)
def touch_db(self):
    """One ORM query and one ledger row."""
    started = time.time()
    try:
        Execution.objects.filter(dispatch_id=self.request.id).exists()
        record(self, "touch_db", started)
    except Exception as exc:
        record_error(self, "touch_db", started, exc)
        raise


@shared_task(bind=True)
def fail(self):
    """Records itself, then raises."""
    started = time.time()
    error = RuntimeError("fail task raised on purpose")
    record_error(self, "fail", started, error)
    raise error
