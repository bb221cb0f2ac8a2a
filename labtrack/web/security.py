"""Request-level security: role guards, need-to-know, idle timeout, security headers."""

from __future__ import annotations

import functools

from flask import Flask, abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

from labtrack.web.kept_forms import keep_typed_values
from labtrack.web.policy import Area, may_read_order, may_read_patient, may_use

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
PUBLIC_ENDPOINTS = frozenset({"auth.login", "main.healthz", "static"})
# Blueprints that authenticate each request themselves (API tokens) and ignore the session.
TOKEN_AUTH_BLUEPRINTS = frozenset({"api"})
# Set on ``g`` by the accounts' user loader when the request's session has just ended
# (idle timeout, lifetime): why, and whose it was.
SESSION_ENDED = "session_ended"
SESSION_ENDED_USER = "session_ended_user"
IDLE_TIMEOUT = "idle_timeout"


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


def _refuse_nul_in_path() -> None:
    """No page or record has a NUL character in its address: 404 before any query."""
    if "\x00" in request.path:
        abort(404)


MAX_ID = 2**31 - 1  # no id or number in an address is larger (INTEGER on every database)


class BoundedIntegerConverter(IntegerConverter):
    """``<int:…>`` in a route: a number too large for the database is no record (404)."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 (werkzeug's own name)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def register_bounded_ids(app: Flask) -> None:
    """Every ``<int:…>`` route refuses, as not found, an id the database cannot hold."""
    app.url_map.converters["int"] = BoundedIntegerConverter


def register_security(app: Flask) -> None:
    """Attach the sign-in requirement, idle timeout, audit actor and headers."""
    app.before_request(_refuse_nul_in_path)
    app.before_request(_refuse_nul_characters)
    app.before_request(_require_sign_in)
    app.after_request(_security_headers)


def _require_sign_in():
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
        return None
    if request.blueprint in TOKEN_AUTH_BLUEPRINTS:
        return None
    if current_user.is_authenticated:
        return None
    if g.get(SESSION_ENDED):  # the session has just ended: say why, keep the typed values
        if g.get(SESSION_ENDED) == IDLE_TIMEOUT:
            flash(_("Your session expired after a period of inactivity. Please sign in "
                    "again."), "warning")
        else:
            flash(_("Your session reached its time limit. Please sign in again."), "warning")
        if request.method == "POST":
            keep_typed_values(g.get(SESSION_ENDED_USER))
            flash(_("What you typed was kept: sign in and check it, then submit again."),
                  "info")
            return redirect(url_for("auth.login", next=request.path))
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if request.endpoint != "static":  # pages, PDFs, CSV and JSON may all carry patient data
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Expires", None)
    return response
