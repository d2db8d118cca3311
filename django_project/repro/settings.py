"""Django settings, every knob read from REPRO_* environment variables set by the harness."""
import json
import os
from urllib.parse import urlsplit

SECRET_KEY = "celery-repro-local-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["ledger"]
ROOT_URLCONF = "repro.urls"
WSGI_APPLICATION = "repro.wsgi.application"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def _conn_max_age(raw):
    """'None' means unlimited persistent connections, as in Django's own setting."""
    return None if raw in ("None", "none", "") else int(raw)


def _database(url):
    parts = urlsplit(url)
    database = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": parts.path.lstrip("/"),
        "USER": parts.username or "postgres",
        "PASSWORD": parts.password or "",
        "HOST": parts.hostname,
        "PORT": str(parts.port or 5432),
        "CONN_MAX_AGE": _conn_max_age(os.environ.get("REPRO_CONN_MAX_AGE", "0")),
        "OPTIONS": {"sslmode": os.environ.get("REPRO_DB_SSLMODE", "disable")},
        "CONN_HEALTH_CHECKS": os.environ.get("REPRO_CONN_HEALTH_CHECKS") == "1",  # Django 4.1+; older ignore it
    }
    if os.environ.get("REPRO_DB_POOL") == "1":
        _require_native_pool(database)
        database["OPTIONS"]["pool"] = True
    return database


def _require_native_pool(database):
    """Django's own pool needs Django 5.1+ with psycopg 3, and persistent connections off."""
    import django
    from django.core.exceptions import ImproperlyConfigured

    if django.VERSION < (5, 1):
        raise ImproperlyConfigured("REPRO_DB_POOL=1 needs Django 5.1+ (this is %s)" % django.get_version())
    if database["CONN_MAX_AGE"] != 0:
        raise ImproperlyConfigured("REPRO_DB_POOL=1 needs REPRO_CONN_MAX_AGE=0")


DATABASES = {"default": _database(os.environ["REPRO_DATABASE_URL"])}

CELERY_BROKER_URL = os.environ.get("REPRO_BROKER_URL", "redis://127.0.0.1:6379/0")
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_POOL = os.environ.get("REPRO_POOL", "prefork")
CELERY_WORKER_CONCURRENCY = int(os.environ.get("REPRO_CONCURRENCY", "2"))
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_MAX_TASKS_PER_CHILD = int(os.environ["REPRO_MAX_TASKS_PER_CHILD"]) if os.environ.get(
    "REPRO_MAX_TASKS_PER_CHILD") else None
CELERY_TASK_TIME_LIMIT = float(os.environ["REPRO_TASK_TIME_LIMIT"]) if os.environ.get("REPRO_TASK_TIME_LIMIT") else None
CELERY_TASK_SOFT_TIME_LIMIT = float(os.environ["REPRO_TASK_SOFT_TIME_LIMIT"]) if os.environ.get(
    "REPRO_TASK_SOFT_TIME_LIMIT") else None

# Any further Celery setting a cell names, as JSON: {"task_acks_late": true, "broker_heartbeat": 10, ...}
for _name, _value in json.loads(os.environ.get("REPRO_CELERY_CONF") or "{}").items():
    globals()["CELERY_" + _name.upper()] = _value
