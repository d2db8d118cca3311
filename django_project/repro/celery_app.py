"""The Celery app, configured from Django settings (CELERY_* names); runs on Celery 4.1 to 5.x."""
import os

from celery import Celery

from repro import worker_hooks

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "repro.settings")

app = Celery("repro")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
worker_hooks.install()
