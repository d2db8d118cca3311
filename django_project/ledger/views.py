"""Views of the web side: the same database work as conn_leak's tasks, each request writing its ledger row."""
import itertools
import os
import time

from django.http import Http404, JsonResponse

from ledger import dbwork
from ledger.db import connection
from ledger.models import Execution

_requests = itertools.count()


def _record(kind, started, error=""):
    key = "web-%d-%d" % (os.getpid(), next(_requests))
    Execution.objects.create(dispatch_id=key, task=kind, worker_pid=os.getpid(), backend_pid=_backend_pid(),
                             started=started, finished=time.time(), error=error)
    return key


def _backend_pid():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def health(request):
    """Answers without touching the database (gunicorn's readiness probe)."""
    return JsonResponse({"ok": True})


def touch_db(request):
    return JsonResponse({"executions": Execution.objects.count()})


def work(request, kind):
    """One request doing `kind` of dbwork (fail_in_transaction answers 500 by raising, like any failing view)."""
    if kind not in dbwork.WORK:
        raise Http404("no such kind of work")
    started = time.time()
    key = _record(kind, started, error="failed in a transaction on purpose" if kind == "fail_in_transaction" else "")
    dbwork.WORK[kind](key)
    return JsonResponse({"kind": kind, "key": key})
