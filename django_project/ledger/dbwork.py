"""The database work conn_leak's tasks and views share: an ORM query, a raw cursor, a transaction that fails."""
import os

from ledger.db import atomic, connection

from ledger.models import Execution

KINDS = ("fail_in_transaction", "raw_cursor", "raw_cursor") + ("orm_query",) * 7  # by index % 10


class FailedMidTransaction(RuntimeError):
    """Raised on purpose while a transaction holds a row lock."""


def kind_for(index):
    return KINDS[index % len(KINDS)]


def orm_query(key):
    Execution.objects.filter(dispatch_id=key).exists()


def raw_cursor(key):
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM ledger_execution WHERE dispatch_id = %s", [key])
        cursor.fetchone()


def fail_in_transaction(key):
    """Lock the row of `key`, then raise. REPRO_TXN_STYLE=begin: a raw BEGIN nothing rolls back (the
    connection-leak guide's case); atomic: inside transaction.atomic(), which rolls back as the exception leaves it."""
    if os.environ.get("REPRO_TXN_STYLE", "begin") == "atomic":
        with atomic():
            _lock_row_and_fail(key)
    with connection.cursor() as cursor:
        cursor.execute("BEGIN")
    _lock_row_and_fail(key)


def _lock_row_and_fail(key):
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM ledger_execution WHERE dispatch_id = %s FOR UPDATE", [key])
    raise FailedMidTransaction("failed holding a row lock of %s" % key)


WORK = {"orm_query": orm_query, "raw_cursor": raw_cursor, "fail_in_transaction": fail_in_transaction}
