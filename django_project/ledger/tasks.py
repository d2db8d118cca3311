"""The tasks every scenario dispatches; each writes its ledger row."""
import gc
import os
import time

from celery import shared_task

from ledger import dbwork
from ledger.db import connection
from ledger.errortext import describe
from ledger.models import Execution


def backend_pid():
    """The Postgres backend pid of Django's connection (psycopg2 or psycopg 3), connecting if need be."""
    connection.ensure_connection()
    raw = connection.connection
    if raw is None:
        return None
    if hasattr(raw, "get_backend_pid"):
        return raw.get_backend_pid()
    return raw.info.backend_pid


def record(task, name, started, error="", gc_objects=None):
    Execution.objects.create(dispatch_id=task.request.id, task=name, worker_pid=os.getpid(),
                             backend_pid=backend_pid(), started=started, finished=time.time(), error=error,
                             gc_objects=gc_objects)


def record_error(task, name, started, exc):
    """Record the error; if the connection itself is what failed, once more on a new connection."""
    error = describe(exc)
    for _ in range(2):
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


def query_and_record(task, name):
    """One ORM query and one ledger row (the error, if the database fails)."""
    started = time.time()
    try:
        Execution.objects.filter(dispatch_id=task.request.id).exists()
        record(task, name, started)
    except Exception as exc:
        record_error(task, name, started, exc)
        raise


@shared_task(bind=True)
def touch_db(self):
    """One ORM query and one ledger row."""
    query_and_record(self, "touch_db")


@shared_task(bind=True)
def touch_db_slowly(self):
    """touch_db after REPRO_TASK_SLEEP_S of work, so that some tasks are in flight when a fault hits."""
    time.sleep(float(os.environ.get("REPRO_TASK_SLEEP_S", "0.02")))
    query_and_record(self, "touch_db_slowly")


@shared_task(bind=True)
def started_then_sleep(self):
    """Writes its ledger row when it starts (so a run that is killed is still counted), then sleeps
    REPRO_TASK_SLEEP_S."""
    record(self, "started_then_sleep", time.time())
    close_quietly()  # not holding a connection while it sleeps
    time.sleep(float(os.environ.get("REPRO_TASK_SLEEP_S", "0.02")))


@shared_task(bind=True)
def fail(self):
    """Records itself, then raises."""
    started = time.time()
    error = RuntimeError("fail task raised on purpose")
    record_error(self, "fail", started, error)
    raise error


class ExpectedFailure(Exception):
    """Declared in `throws`: Celery logs it without a traceback (a handled failure)."""


GC_EVERY = 50  # count gc-tracked objects on every 50th task (the count walks the whole heap)


def holding_memory(task, name, outcome=""):
    """Allocate REPRO_LEAK_BYTES as a frame local, record the task; the caller then returns or raises."""
    started = time.time()
    payload = b"x" * int(os.environ.get("REPRO_LEAK_BYTES", "1048576"))  # written, so resident
    index = int(task.request.id.rsplit("-", 1)[-1])
    record(task, name, started, error=outcome, gc_objects=len(gc.get_objects()) if index % GC_EVERY == 0 else None)
    return payload


@shared_task(bind=True, throws=(ExpectedFailure,), max_retries=0)
def fail_holding_memory(self):
    """Fails with a large local in its frame, the way REPRO_FAIL_MODE says: raise, throws or retry."""
    mode = os.environ.get("REPRO_FAIL_MODE", "raise")
    payload = holding_memory(self, "fail_holding_memory", "failed on purpose: %s" % mode)
    if mode == "throws":
        raise ExpectedFailure("declared failure holding %d bytes" % len(payload))
    if mode == "retry":
        raise self.retry(exc=RuntimeError("retry exhausted holding %d bytes" % len(payload)), countdown=0)
    raise RuntimeError("unhandled failure holding %d bytes" % len(payload))


@shared_task(bind=True)
def ok_holding_memory(self):
    """The control: the same allocation, then a normal return."""
    payload = holding_memory(self, "ok_holding_memory")
    return len(payload)


@shared_task(bind=True)
def slow_query(self):
    """Writes its ledger row, then runs pg_sleep(REPRO_QUERY_SLEEP_S) on Django's connection, where a time limit
    interrupts it mid-query."""
    record(self, "slow_query", time.time())
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(%s)", [float(os.environ.get("REPRO_QUERY_SLEEP_S", "3"))])


@shared_task(bind=True)
def mixed_db_work(self):
    """Work of the kind the task's index picks (dbwork.KINDS: 1 in 10 fails inside a transaction, 2 raw
    cursor, 7 ORM); the failing kind writes its ledger row first, the others after their work."""
    index = int(self.request.id.rsplit("-", 1)[-1])
    kind, started = dbwork.kind_for(index), time.time()
    time.sleep(float(os.environ.get("REPRO_WORK_SLEEP_S", "0")))  # longer tasks keep more of the pool busy
    try:
        if kind == "fail_in_transaction":
            record(self, kind, started, error="failed in a transaction on purpose")
        dbwork.WORK[kind](self.request.id)
        record(self, kind, started)
    except dbwork.FailedMidTransaction:
        raise
    except Exception as exc:
        record_error(self, kind, started, exc)
        raise
