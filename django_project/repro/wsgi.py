"""WSGI entry point for the web side."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "repro.settings")
application = get_wsgi_application()
