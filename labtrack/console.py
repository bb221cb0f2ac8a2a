"""Entry point of the ``labtrack`` console command."""

from flask.cli import FlaskGroup

from labtrack.app import create_app


def main() -> None:
    """Run the ``labtrack`` command group (the app's Flask CLI)."""
    FlaskGroup(create_app=lambda: create_app(), help="LabTrack management commands.")()
