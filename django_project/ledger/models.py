"""The ledger table the harness reads directly with SQL to count lost, duplicated and failed tasks."""
from django.db import models


class Execution(models.Model):
    dispatch_id = models.CharField(max_length=64, db_index=True)
    task = models.CharField(max_length=32)
    worker_pid = models.IntegerField()
    backend_pid = models.IntegerField(null=True)
    started = models.FloatField()
    finished = models.FloatField()
    error = models.TextField(blank=True, default="")
    gc_objects = models.IntegerField(null=True)  # len(gc.get_objects()) in the worker, where a task reports it

    class Meta:
        db_table = "ledger_execution"
