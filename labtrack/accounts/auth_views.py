"""Sign in, sign out and change one's own password."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from labtrack.accounts import sessions
from labtrack.accounts import users as accounts
from labtrack.accounts.forms import ChangePasswordForm, EndSessionForm, LanguageForm, LoginForm
from labtrack.accounts.models import User
from labtrack.accounts.sessions import EndReason, SessionSettings, SignInForm
from labtrack.accounts.users import AccountPolicy, SignInFailed
from labtrack.audit.capture import Actor
from labtrack.errors import ServiceError
from labtrack.extensions import db, limiter
from labtrack.web import once
from labtrack.web.forms import show_service_error
from labtrack.web.kept_forms import KEPT_FORM, keep_for_user
from labtrack.web.security import SESSION_ENDED, SESSION_ENDED_USER, client_addr

bp = Blueprint("auth", __name__)
SESSION_SECRET = "sid"  # noqa: S105 - the cookie's key holding the server-side session's secret
# Endpoints open to an account whose password an administrator reset: it changes it first.
TEMPORARY_PASSWORD_ENDPOINTS = frozenset({"auth.change_password", "auth.logout", "auth.login",
                                          "static", "main.healthz"})


def _settings() -> SessionSettings:
    return SessionSettings.from_config(current_app.config)


def load_user(user_id: str) -> User | None:
    """Flask-Login user loader: the user of a live server-side session, else nobody.

    A session that has just passed its idle timeout or lifetime is ended, and the request
    is told so (the page then says why, and keeps what a form was sending).
    """
    if not user_id.isdigit():
        return None
    found, ended = sessions.find_live(session.get(SESSION_SECRET), _settings())
    if found is None or found.user_id != int(user_id):
        if ended is not None:
            g.setdefault(SESSION_ENDED, ended.value)
            g.setdefault(SESSION_ENDED_USER, int(user_id))
        return None
    g.user_session = found
    return accounts.active_user(int(user_id))


@bp.before_app_request
def _temporary_password_first():
    """An account signed in with an administrator's temporary password sets its own first."""
    if request.endpoint in TEMPORARY_PASSWORD_ENDPOINTS or request.blueprint == "api":
        return None
    if current_user.is_authenticated and current_user.must_change_password:
        flash(_("An administrator reset your password. Choose your own password now; "
                "until you do, you cannot sign records."), "warning")
        return redirect(url_for("auth.change_password"))
    return None


def _account_key() -> str:
    return "sign-in:" + (request.form.get("username") or "").strip().lower()[:64]


def _client_key() -> str:
    return "sign-in-from:" + (client_addr() or "unknown")


def _failed(response) -> bool:
    """Only failed sign-ins count towards the limits (a success redirects)."""
    return response.status_code != 302


def _policy() -> AccountPolicy:
    return AccountPolicy.from_config(current_app.config)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not urlsplit(target).netloc and "\\" not in target:
        return target
    return url_for("main.home")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SIGN_IN_LIMITS_PER_ACCOUNT"], key_func=_account_key,
               methods=["POST"], deduct_when=_failed, scope="sign-in-account")
@limiter.limit(lambda: current_app.config["SIGN_IN_LIMITS_PER_CLIENT"], key_func=_client_key,
               methods=["POST"], deduct_when=_failed, scope="sign-in-client")
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user, secret = accounts.sign_in(form.username.data, form.password.data, _policy(),
                                            client_addr(), request.user_agent.string,
                                            _sign_in_form())
        except SignInFailed as error:
            flash(error.message, "error")
            return render_template("auth/login.html", form=form), 200
        _open_session(user, secret)
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


def _sign_in_form() -> SignInForm | None:
    """The sign-in form, by its one-time token (web/once.py), if it carries one of ours: a
    repeated submit of it (double click, retry) gets the session the first opened."""
    token = request.form.get(once.FIELD) or ""
    if not once.TOKEN.fullmatch(token):
        return None
    return SignInForm(token, current_app.config["SECRET_KEY"], _settings())


def _open_session(user: User, secret: str) -> None:
    """A fresh cookie for a new server-side session; typed values kept for this user stay."""
    kept = session.get(KEPT_FORM)
    session.clear()
    login_user(user)
    session[SESSION_SECRET] = secret
    keep_for_user(kept, user.id)


@bp.route("/logout", methods=["POST"])
def logout():
    accounts.sign_out(current_user, client_addr(), g.get("user_session"))
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/sessions")
def my_sessions():
    """The signed-in user's open sessions (this one marked); each can be ended."""
    current = g.get("user_session")
    rows = sessions.live_sessions(current_user, _settings())
    return render_template("auth/sessions.html", rows=rows, current_id=current.id if current
                           else None, form=EndSessionForm())


@bp.route("/account/sessions/<int:session_id>/end", methods=["POST"])
def end_my_session(session_id: int):
    found = sessions.find_own(current_user, session_id) or abort(404)
    if EndSessionForm().validate_on_submit():
        sessions.end_session(found, EndReason.ENDED_BY_USER)
        db.session.commit()
        flash(_("That session was ended: it is signed out."), "success")
    current = g.get("user_session")
    if current is not None and current.id == found.id:
        logout_user()
        session.clear()
        return redirect(url_for("auth.login"))
    return redirect(url_for("auth.my_sessions"))


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        actor = Actor(current_user.id, current_user.username, client_addr())
        try:
            secret = accounts.change_own_password(current_user, form.current_password.data,
                                                  form.new_password.data, _policy(), actor,
                                                  request.user_agent.string)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            _open_session(current_user._get_current_object(), secret)
            flash(_("Your password was changed. Every other session of yours was signed "
                    "out."), "success")
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
