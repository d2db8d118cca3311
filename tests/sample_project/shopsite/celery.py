"""The shop's Celery app, configured from Django settings (SHOP_CELERY_* names)."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shopsite.settings.local")

app = Celery("shopsite")
app.config_from_object("django.conf:settings", namespace="SHOP_CELERY")
app.autodiscover_tasks()
