"""App config of the ledger: its tasks are registered with whichever Celery app the project has."""
from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "ledger"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from ledger import tasklog, tasks  # noqa: F401  (a user's app may not autodiscover its INSTALLED_APPS)

        tasklog.install()
