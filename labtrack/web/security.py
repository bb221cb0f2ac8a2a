"""Request-level security: role guards, need-to-know, idle timeout, security headers."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

from flask import Flask, abort, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from werkzeug.exceptions import BadRequest

from labtrack.clock import utcnow
from labtrack.web.policy import Area, may_read_order, may_read_patient, may_use

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
PUBLIC_ENDPOINTS = frozenset({"auth.login", "main.healthz", "static"})
# Blueprints that authenticate each request themselves (API tokens) and ignore the session.
TOKEN_AUTH_BLUEPRINTS = frozenset({"api"})


def requires_area(*areas: Area):
    """View decorator: a signed-in user whose role may use one of ``areas``, else 403."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if not any(may_use(current_user.role, area) for area in areas):
                abort(403)
            return view(*args, **kwargs)

        wrapped.labtrack_area = areas[0]
        return wrapped

    return decorator


def acting_user():
    """Who is acting: the API token's user on the API, else the signed-in user."""
    return g.get("api_user") or current_user


def require_order_access(order) -> None:
    """403 unless the acting user may read this order's records (need-to-know)."""
    user = acting_user()
    if not may_read_order(user.role, user.id, order.treating_clinician_id):
        abort(403)


def require_patient_access(patient) -> None:
    """403 unless the acting user may open this patient's page (need-to-know)."""
    user = acting_user()
    clinicians = {order.treating_clinician_id for order in patient.orders}
    if not may_read_patient(user.role, user.id, clinicians):
        abort(403)


def client_addr() -> str | None:
    """The client's address (ProxyFix supplies the real one behind a proxy)."""
    return request.remote_addr


class UnstorableText(BadRequest):
    """Submitted text holds a NUL character, which no database column can store."""


def _refuse_nul_characters() -> None:
    """Refuse, before any view runs, text that holds NUL (a bad paste or scanner setting)."""
    values = [*request.args.values(), *request.form.values()]
    if request.is_json:
        values.append(request.get_data(as_text=True).replace("\\u0000", "\x00"))
    if any("\x00" in value for value in values):
        raise UnstorableText(_("The text sent holds an invisible NUL character (often from a "
                               "copy-paste or a scanner setting) that cannot be stored. Nothing "
                               "was saved. Go back, retype the text and try again."))


def register_security(app: Flask) -> None:
    """Attach the sign-in requirement, idle timeout, audit actor and headers."""
    app.before_request(_refuse_nul_characters)
    app.before_request(_require_sign_in)
    app.after_request(_security_headers)


def _require_sign_in():
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
        return None
    if request.blueprint in TOKEN_AUTH_BLUEPRINTS:
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if _idle_expired():
        logout_user()
        session.clear()
        flash(_("Your session expired after a period of inactivity. Please sign in again."),
              "warning")
        return redirect(url_for("auth.login"))
    session["last_seen"] = utcnow().isoformat()
    return None


def _idle_expired() -> bool:
    last_seen = session.get("last_seen")
    if not last_seen:
        return False
    limit = timedelta(minutes=current_app.config["IDLE_TIMEOUT_MINUTES"])
    return utcnow() - datetime.fromisoformat(last_seen) > limit


def _security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response
