"""WSGI entry point for gunicorn: ``gunicorn wsgi:app``."""

from labtrack.app import create_app

app = create_app()
