"""Who each request acts for, bound to the database session before any view runs.

Every change a request makes is recorded in the audit trail as this actor's: the
signed-in user, or nobody yet on the API (which binds its token's user itself) and on
the sign-in page.
"""

from __future__ import annotations

from flask import Flask, request
from flask_login import current_user

from labtrack.audit.capture import Actor, set_actor
from labtrack.extensions import db
from labtrack.web.security import TOKEN_AUTH_BLUEPRINTS, client_addr


def _bind_audit_actor() -> None:
    if request.blueprint in TOKEN_AUTH_BLUEPRINTS:  # the token's user is bound by the API
        set_actor(db.session, Actor(None, None, client_addr()))
    elif current_user.is_authenticated:
        set_actor(db.session, Actor(current_user.id, current_user.username, client_addr()))
    else:
        set_actor(db.session, Actor(None, None, client_addr()))


def register_request_actor(app: Flask) -> None:
    """Bind each request's actor (after the sign-in check, before the view)."""
    app.before_request(_bind_audit_actor)
