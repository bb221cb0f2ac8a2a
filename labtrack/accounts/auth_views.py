"""Sign in, sign out and change one's own password."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from labtrack.accounts import users as accounts
from labtrack.accounts.forms import ChangePasswordForm, LanguageForm, LoginForm
from labtrack.accounts.models import User
from labtrack.accounts.users import AccountPolicy, SignInFailed
from labtrack.audit.capture import Actor
from labtrack.clock import utcnow
from labtrack.errors import ServiceError
from labtrack.web.forms import show_service_error
from labtrack.web.security import client_addr

bp = Blueprint("auth", __name__)


def load_user(user_id: str) -> User | None:
    """Flask-Login user loader; deactivated accounts are signed out."""
    if not user_id.isdigit():
        return None
    return accounts.active_user(int(user_id))


def _policy() -> AccountPolicy:
    return AccountPolicy.from_config(current_app.config)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not urlsplit(target).netloc and "\\" not in target:
        return target
    return url_for("main.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = accounts.sign_in(form.username.data, form.password.data, _policy(),
                                    client_addr())
        except SignInFailed as error:
            flash(error.message, "error")
            return render_template("auth/login.html", form=form), 200
        session.clear()
        login_user(user)
        # A browser-session cookie: its end is decided here (idle timeout, the signed
        # cookie's age), never by the client's clock, which may be months out.
        session["last_seen"] = utcnow().isoformat()
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    accounts.sign_out(current_user, client_addr())
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        actor = Actor(current_user.id, current_user.username, client_addr())
        try:
            accounts.change_own_password(current_user, form.current_password.data,
                                         form.new_password.data, _policy(), actor)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("Your password was changed."), "success")
            return redirect(url_for("main.home"))
    return render_template("auth/change_password.html", form=form)


@bp.route("/account", methods=["GET", "POST"])
def account():
    """The user's own account: the screen language, and a link to change the password."""
    form = LanguageForm(locale=current_user.locale or "")
    if form.validate_on_submit():
        try:
            accounts.set_own_language(current_user, form.locale.data or None,
                                      current_app.config["LANGUAGES"])
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("Your language was saved."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form)
