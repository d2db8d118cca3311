"""The published troubleshooting pages some claims come from: how a claim names each, its title and what it says."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    """One published page: `name` is how claims cite it, `says` what it claims (none of them ran anything)."""

    name: str
    title: str
    says: str

    def quote(self, words: str) -> str:
        """A claim source: the page's name and what it says, in its words or close to them."""
        return f"{self.name}: {words}"


FIX_5483 = Page(
    "the #5483 fix page", "“The Fix”, a page built on closed celery issue #5483",
    "CONN_MAX_AGE is honoured from pip install celery==4.4.0rc5 on (“first fixed release: 4.4.0rc5”), and its "
    "fix_django_db keeps a forked pool child from breaking the parent's connection; “Reproduced locally: No”.")
LEAK_GUIDE = Page(
    "the connection-leak guide", "“Preventing Django connection leaks during Celery tasks”",
    "idle and idle-in-transaction connections pile up in workers (“but not in Gunicorn”) until Postgres answers "
    "“too many connections”, unless a task_postrun hook calls close_all() or close_old_connections().")
FIX_6023 = Page(
    "the #6023 fix page", "“The Fix”, a page built on closed celery issue #6023",
    "prefork children leak memory for every task that raises, fixed by pip install celery==4.4.2 (“first fixed "
    "release: 4.4.2”); “Reproduced locally: No”.")
BROKER_GUIDE = Page(
    "the broker-loss guide", "a guide to Celery workers losing their broker connection",
    "heartbeats, connection retries, a pool limit and task_acks_late with task_reject_on_worker_lost keep workers "
    "consuming and tasks from being lost when Redis or RabbitMQ goes away.")
PAGES = (FIX_5483, LEAK_GUIDE, FIX_6023, BROKER_GUIDE)
PAGE_NOTE = ("upstream: is a celery, kombu or billiard issue, pull request or release, checked in that project's "
             "history before it was encoded. The pages below are published troubleshooting pages; none says it ran "
             "anything, and the harness measures what each one claims. Results stored before these names cite the "
             "four pages, in this order, as seed 000 to seed 003.")
