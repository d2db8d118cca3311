"""The shop: orders placed on the web, confirmed by Celery tasks."""
from shopsite.celery import app as celery_app

__all__ = ["celery_app"]
