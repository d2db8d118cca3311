"""The system under test: a small Django project with a Celery app, configured from the environment."""
from repro.celery_app import app as celery_app

__all__ = ["celery_app"]
