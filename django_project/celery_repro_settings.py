"""A user's Django settings (REPRO_USER_SETTINGS) with the harness's servers in place of theirs: every Postgres
alias on the cell database, caches in process memory, the ledger app added. The broker and a result backend with a
host are replaced in the environment (CELERY_BROKER_URL, CELERY_RESULT_BACKEND), which Celery reads before any
setting, whatever namespace the project's app uses."""
import importlib
import os
from urllib.parse import urlsplit

_user = importlib.import_module(os.environ["REPRO_USER_SETTINGS"])
globals().update({name: getattr(_user, name) for name in dir(_user) if name.isupper()})

# where to connect, in a database's OPTIONS: the harness says where instead
_CONNECTION_OPTIONS = ("service", "passfile", "host", "hostaddr", "port", "dbname", "user", "password")
_LOCAL_CACHES = ("django.core.cache.backends.locmem.LocMemCache", "django.core.cache.backends.dummy.DummyCache",
                 "django.core.cache.backends.filebased.FileBasedCache", "django.core.cache.backends.db.DatabaseCache")


def _is_postgres(database):
    return "postgresql" in database.get("ENGINE", "")


def _cell_database(database):
    """A Postgres alias pointed at the cell database; its CONN_MAX_AGE, health checks and options kept."""
    if not _is_postgres(database):
        return database
    cell = urlsplit(os.environ["REPRO_DATABASE_URL"])
    options = {key: value for key, value in database.get("OPTIONS", {}).items() if key not in _CONNECTION_OPTIONS}
    return dict(database, NAME=cell.path.lstrip("/"), USER=cell.username, PASSWORD=cell.password or "",
                HOST=cell.hostname, PORT=str(cell.port), OPTIONS=options)


def _local_cache(alias, cache):
    if cache.get("BACKEND") in _LOCAL_CACHES:
        return cache
    return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "celery-repro-%s" % alias}


DATABASES = {alias: _cell_database(database) for alias, database in _user.DATABASES.items()}
if hasattr(_user, "CACHES"):
    CACHES = {alias: _local_cache(alias, cache) for alias, cache in _user.CACHES.items()}
# the same alias as harness.sut.inspection.ProjectFacts.ledger_alias
LEDGER_DATABASE = "default" if _is_postgres(DATABASES.get("default", {})) else next(
    alias for alias, database in DATABASES.items() if _is_postgres(database))
# every alias is the same cell database: the schema is migrated once, on the ledger's alias, without the project's
# routers (which would leave the tables of apps they send elsewhere out); they route queries as usual
DATABASE_ROUTERS = ["ledger.db.LedgerRouter"] + (
    [] if os.environ.get("REPRO_MIGRATING") == "1" else list(getattr(_user, "DATABASE_ROUTERS", [])))
INSTALLED_APPS = [*_user.INSTALLED_APPS, "ledger"]
