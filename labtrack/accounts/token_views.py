"""Personal API tokens: each user manages their own; administrators manage everyone's."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from labtrack.accounts import api_tokens
from labtrack.accounts.forms import AdminApiTokenForm, ApiTokenForm, RevokeTokenForm
from labtrack.accounts.models import User
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


def _accounts() -> list[SelectChoice]:
    users = db.session.scalars(select(User).where(User.is_active_account, User.role != Role.ADMIN)
                               .order_by(User.username))
    return [SelectChoice(user.id, f"{user.username} ({user.full_name})") for user in users]


@bp.route("/admin/api-tokens", methods=["GET", "POST"])
@requires_area(Area.ADMIN)
def manage():
    """Administrators: every active token, and new tokens for other accounts."""
    form, secret = AdminApiTokenForm(), None
    form.user_id.choices = _accounts()
    if form.validate_on_submit():
        owner = db.session.get(User, form.user_id.data) or abort(404)
        try:
            _token, secret = api_tokens.create_token(current_user, owner, form.name.data)
        except ServiceError as error:
            show_service_error(form, error)
    return render_template("tokens/manage.html", form=form, secret=secret,
                           rows=api_tokens.active_tokens())


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
