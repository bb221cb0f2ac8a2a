"""Personal API tokens: each user creates and revokes their own; administrators see and
revoke everyone's (never create one for someone else: a token acts as its owner)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from labtrack.accounts import api_tokens
from labtrack.accounts.forms import ApiTokenForm, RevokeTokenForm
from labtrack.errors import ServiceError
from labtrack.extensions import db
from labtrack.web.forms import show_service_error
from labtrack.web.policy import Area, Role
from labtrack.web.security import requires_area

bp = Blueprint("tokens", __name__)


@bp.route("/account/api-tokens", methods=["GET", "POST"])
def mine():
    """The signed-in user's tokens; a new token's secret is shown once, here."""
    form, secret = ApiTokenForm(), None
    if form.validate_on_submit():
        try:
            _token, secret = api_tokens.create_token(current_user, current_user, form.name.data)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            form = ApiTokenForm(formdata=None)
    rows = [(token, current_user) for token in api_tokens.tokens_of(current_user)]
    return render_template("tokens/mine.html", form=form, secret=secret, rows=rows)


@bp.route("/admin/api-tokens")
@requires_area(Area.ADMIN)
def manage():
    """Administrators: every active token, each revocable."""
    return render_template("tokens/manage.html", rows=api_tokens.active_tokens())


@bp.route("/api-tokens/<int:token_id>/revoke", methods=["POST"])
def revoke(token_id: int):
    token = api_tokens.find_token(token_id)
    if token is None or (token.user_id != current_user.id and current_user.role != Role.ADMIN):
        abort(404)
    form = RevokeTokenForm()
    form.validate_on_submit()
    try:
        api_tokens.revoke_token(current_user, token, form.reason.data)
    except ServiceError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(_("Token %(prefix)s… revoked: it no longer works.", prefix=token.prefix),
              "success")
    back = "tokens.manage" if request.args.get("from") == "admin" else "tokens.mine"
    return redirect(url_for(back))
