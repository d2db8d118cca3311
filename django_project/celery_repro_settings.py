"""A user's Django settings (REPRO_USER_SETTINGS) with the harness's servers in place of theirs: every Postgres
alias on the cell database, caches in process memory, the broker and a result backend with a host replaced, the
ledger app added. What was replaced is listed in REPLACED_BY_HARNESS."""
import importlib
import os
from urllib.parse import urlsplit

_user = importlib.import_module(os.environ["REPRO_USER_SETTINGS"])
globals().update({name: getattr(_user, name) for name in dir(_user) if name.isupper()})

# where to connect, in a database's OPTIONS: the harness says where instead
_CONNECTION_OPTIONS = ("service", "passfile", "host", "hostaddr", "port", "dbname", "user", "password")
_LOCAL_CACHES = ("django.core.cache.backends.locmem.LocMemCache", "django.core.cache.backends.dummy.DummyCache",
                 "django.core.cache.backends.filebased.FileBasedCache", "django.core.cache.backends.db.DatabaseCache")
REPLACED_BY_HARNESS = []


def _cell_database(alias, database):
    """A Postgres alias pointed at the cell database; its CONN_MAX_AGE, health checks and options kept."""
    if "postgresql" not in database.get("ENGINE", ""):
        return database
    cell = urlsplit(os.environ["REPRO_DATABASE_URL"])
    REPLACED_BY_HARNESS.append("DATABASES[%r]" % alias)
    options = {key: value for key, value in database.get("OPTIONS", {}).items() if key not in _CONNECTION_OPTIONS}
    return dict(database, NAME=cell.path.lstrip("/"), USER=cell.username, PASSWORD=cell.password or "",
                HOST=cell.hostname, PORT=str(cell.port), OPTIONS=options)


def _local_cache(alias, cache):
    if cache.get("BACKEND") in _LOCAL_CACHES:
        return cache
    REPLACED_BY_HARNESS.append("CACHES[%r]" % alias)
    return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "celery-repro-%s" % alias}


DATABASES = {alias: _cell_database(alias, database) for alias, database in _user.DATABASES.items()}
if hasattr(_user, "CACHES"):
    CACHES = {alias: _local_cache(alias, cache) for alias, cache in _user.CACHES.items()}
LEDGER_DATABASE = "default" if "postgresql" in DATABASES.get("default", {}).get("ENGINE", "") else next(
    alias for alias, database in DATABASES.items() if "postgresql" in database.get("ENGINE", ""))
# every alias is the same cell database: the schema is migrated once, on the ledger's alias, without the project's
# routers (which would leave the tables of apps they send elsewhere out); they route queries as usual
DATABASE_ROUTERS = ["ledger.db.LedgerRouter"] + (
    [] if os.environ.get("REPRO_MIGRATING") == "1" else list(getattr(_user, "DATABASE_ROUTERS", [])))
INSTALLED_APPS = [*_user.INSTALLED_APPS, "ledger"]
for _name in ("CELERY_BROKER_URL", "BROKER_URL", "CELERY_BROKER_READ_URL", "CELERY_BROKER_WRITE_URL"):
    globals()[_name] = os.environ["REPRO_BROKER_URL"]  # the environment's CELERY_BROKER_URL wins in Celery anyway
for _name in ("CELERY_RESULT_BACKEND", "RESULT_BACKEND"):
    if "://" in str(globals().get(_name, "")) and urlsplit(globals()[_name]).hostname:
        REPLACED_BY_HARNESS.append(_name)
        globals()[_name] = "cache+memory://"
