"""The system under test: django_project/ run from a cell's virtualenv (its scripts, its worker, its web server)."""
