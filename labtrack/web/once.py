"""One-time form tokens: a repeated submit records once and shows the first result.

Every ``<form method="post">`` in a template gets a hidden ``submit_token`` field, added
when the template is compiled (``OnceFieldExtension``), so no form can forget it. The
first POST carrying a token claims it (a unique row, committed before the view runs);
when the view answers with a redirect (post/redirect/get) the row keeps where it led.
A second POST with the same token (back button then submit, a double click, a browser
retry) runs no view: it is sent to the first submit's result with a message. A submit
refused with an error (4xx, 5xx) recorded nothing, so its token is released and the
same page may be submitted again once corrected.

The JSON API (token-authenticated, no forms) and posts by a signed-out visitor (the
sign-in form) are left alone; a POST without the field is processed as before.
"""

from __future__ import annotations

import re
import secrets
import time

from flask import Flask, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from jinja2.ext import Extension
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from labtrack.database import utcnow
from labtrack.extensions import db
from labtrack.web.models import FormSubmission

FIELD = "submit_token"
TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")
FORM_OPEN = re.compile(r"(<form\b[^>]*\bmethod=\"post\"[^>]*>)", re.IGNORECASE)
WAIT_SECONDS, WAIT_STEP = 5.0, 0.2  # a double click: wait for the first submit's answer
EXEMPT_BLUEPRINTS = frozenset({"api"})


class OnceFieldExtension(Extension):
    """Adds the one-time token field to every POST form of every template."""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        return FORM_OPEN.sub(r"\1{{ submit_token_field() }}", source)


def submit_token_field() -> Markup:
    """A fresh token, one per rendering of a form."""
    return Markup('<input type="hidden" name="%s" value="%s">') % (
        FIELD, secrets.token_urlsafe(32))


def register_once(app: Flask) -> None:
    """Give every form its token; claim it on submit; remember where the submit led."""
    app.jinja_env.add_extension(OnceFieldExtension)
    app.add_template_global(submit_token_field, "submit_token_field")
    app.before_request(_claim)
    app.after_request(_settle)


def _claim():
    if request.method != "POST" or request.blueprint in EXEMPT_BLUEPRINTS:
        return None
    token = request.form.get(FIELD)
    if not token or not current_user.is_authenticated:
        return None
    if not TOKEN.fullmatch(token):
        return None  # not one of ours: processed as a form without the field
    db.session.add(FormSubmission(token=token, user_id=current_user.id,
                                  path=request.path[:500], submitted_at=utcnow()))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return _repeated(token)
    g.submit_token = token
    return None


def _repeated(token: str):
    """The same form submitted again: show the first submit's result, record nothing."""
    deadline = time.monotonic() + WAIT_SECONDS
    first = _find(token)
    while first is not None and first.completed_at is None and time.monotonic() < deadline:
        time.sleep(WAIT_STEP)
        db.session.rollback()  # see the first submit's answer once it is committed
        first = _find(token)
    if first is None or first.user_id != current_user.id:
        flash(_("This form cannot be submitted again: open the page and submit it anew."),
              "warning")
        return redirect(request.referrer or url_for("main.today"))
    flash(_("This form was already submitted: it was recorded once, and this is its result."),
          "info")
    return redirect(first.location or request.referrer or first.path)


def _find(token: str) -> FormSubmission | None:
    return db.session.scalar(select(FormSubmission).where(FormSubmission.token == token))


def _settle(response):
    token = g.pop("submit_token", None)
    if token is None:
        return response
    db.session.rollback()  # whatever the view left uncommitted was never to be kept
    first = _find(token)
    if first is not None:
        if response.status_code >= 400:
            db.session.delete(first)  # refused: nothing recorded, the form may be sent again
        else:
            first.completed_at = utcnow()
            first.location = (response.location or "")[:500] or None
        db.session.commit()
    return response
