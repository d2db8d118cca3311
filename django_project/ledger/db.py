"""The database the ledger lives on: settings.LEDGER_DATABASE (a user's project under the harness), else default."""
from django.conf import settings
from django.db import connections, transaction


def alias():
    return getattr(settings, "LEDGER_DATABASE", "default")


class _LedgerConnection:
    """Django's connection of the ledger's alias, looked up on each use (as django.db.connection is)."""

    def __getattr__(self, name):
        return getattr(connections[alias()], name)


connection = _LedgerConnection()


def atomic():
    return transaction.atomic(using=alias())


class LedgerRouter:
    """Put first in DATABASE_ROUTERS of a user's project: the ledger's table on LEDGER_DATABASE only."""

    def db_for_read(self, model, **hints):
        return alias() if model._meta.app_label == "ledger" else None

    db_for_write = db_for_read

    def allow_migrate(self, db, app_label, **hints):
        return db == alias() if app_label == "ledger" else None
