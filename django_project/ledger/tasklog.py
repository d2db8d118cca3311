"""A file ledger for tasks that write no ledger row (a user's own task): one JSON line per finished task, appended
by a task_postrun receiver to REPRO_TASK_LOG, with its start time and, if it failed, its exception; it touches no
database connection."""
import json
import os
import time

from celery.signals import task_postrun, task_prerun

from ledger.errortext import describe

_started = {}


def note_started(task_id=None, **kwargs):
    _started[task_id] = time.time()


def note_finished(task_id=None, task=None, state=None, retval=None, **kwargs):
    failed = state != "SUCCESS" and isinstance(retval, BaseException)
    line = json.dumps({"id": task_id, "task": getattr(task, "name", "?"), "pid": os.getpid(),
                       "started": _started.pop(task_id, None), "finished": time.time(), "state": state,
                       "error": describe(retval) if failed else ("" if state == "SUCCESS" else state)})
    with open(os.environ["REPRO_TASK_LOG"], "a") as log:
        log.write(line + "\n")


def install():
    if os.environ.get("REPRO_TASK_LOG"):
        task_prerun.connect(note_started, weak=False)
        task_postrun.connect(note_finished, weak=False)
