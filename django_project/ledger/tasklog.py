"""A file ledger for tasks that write no ledger row (a user's own task): one JSON line per finished task, appended
by a task_postrun receiver to REPRO_TASK_LOG; it touches no database connection."""
import json
import os
import time

from celery.signals import task_postrun


def note_finished(task_id=None, task=None, state=None, **kwargs):
    line = json.dumps({"id": task_id, "task": getattr(task, "name", "?"), "pid": os.getpid(),
                       "finished": time.time(), "state": state})
    with open(os.environ["REPRO_TASK_LOG"], "a") as log:
        log.write(line + "\n")


def install():
    if os.environ.get("REPRO_TASK_LOG"):
        task_postrun.connect(note_finished, weak=False)
