"""After every task, close the database connections (a common teardown against leaked connections), unless
settings.SHOP_CLOSE_DB_AFTER_TASK is off."""
from celery.signals import task_postrun
from django.conf import settings
from django.db import connections


@task_postrun.connect
def close_connections_after_task(**kwargs):
    if settings.SHOP_CLOSE_DB_AFTER_TASK:
        connections.close_all()
