"""The orders app; connects its signal handlers when Django is ready."""
from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"

    def ready(self):
        from orders import signals  # noqa: F401
