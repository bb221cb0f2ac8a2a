"""Blueprints: parse input, call one service, render or redirect."""

from flask import flash
from wtforms import Form

from labtrack.errors import ServiceError
from labtrack.extensions import db


def show_service_error(form: Form, error: ServiceError) -> None:
    """Roll back and put a refused use case's message on its field, or flash it."""
    db.session.rollback()
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, "error")
