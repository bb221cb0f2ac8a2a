"""Accounts: sign-in with lockout, password policy, and user administration."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from labtrack.accounts import api_tokens, sessions
from labtrack.accounts.models import User
from labtrack.accounts.rules.passwords import password_problems
from labtrack.accounts.sessions import EndReason
from labtrack.audit import capture as audit
from labtrack.audit.capture import Actor, set_actor
from labtrack.database import utcnow
from labtrack.errors import ServiceError
from labtrack.extensions import db
from labtrack.web.policy import Area, Role, require_area


@cache
def _dummy_hash(method: str) -> str:
    """A hash made as real ones are (same algorithm and cost), checked when there is no
    account or it is locked, so a refusal takes as long whether the user exists or not."""
    return generate_password_hash("labtrack-no-such-user", method=method)


@dataclass(frozen=True)
class AccountPolicy:
    """Password and lockout settings, taken from the app configuration."""

    min_password_length: int = 12
    lockout_threshold: int = 30
    lockout_minutes: int = 15
    hash_method: str = "scrypt"

    @classmethod
    def from_config(cls, config: Mapping) -> AccountPolicy:
        return cls(
            min_password_length=config["PASSWORD_MIN_LENGTH"],
            lockout_threshold=config["LOCKOUT_THRESHOLD"],
            lockout_minutes=config["LOCKOUT_MINUTES"],
            hash_method=config.get("PASSWORD_HASH_METHOD", "scrypt"),
        )


class SignInFailed(ServiceError):
    """Wrong user name or password, or a locked or inactive account."""


# Built once: every signed-in request loads its user.
ACTIVE_USER = select(User).where(User.id == bindparam("user_id"), User.is_active_account)


def active_user(user_id: int) -> User | None:
    """The account with this id, if it is active (the session's user, on every request)."""
    return db.session.scalar(ACTIVE_USER, {"user_id": user_id})


def find_user(username: str) -> User | None:
    """The account with this user name (case-insensitive), if any."""
    username = (username or "").strip().lower()
    return db.session.scalar(select(User).where(func.lower(User.username) == username))


def check_password_policy(password: str, policy: AccountPolicy, username: str = "",
                          full_name: str = "") -> None:
    """Refuse a password that breaks the policy, with every reason."""
    problems = []
    if len(password) < policy.min_password_length:
        problems.append(_("Use at least %(n)d characters.", n=policy.min_password_length))
    if password != password.strip():
        problems.append(_("Do not start or end the password with a space."))
    if len(set(password)) < 4:
        problems.append(_("Use more than three different characters."))
    found = password_problems(password, username, full_name)
    if "names" in found:
        problems.append(_("Do not put the user name or the person's name in the password."))
    if "common" in found:
        problems.append(_("This password is too common or too easy to guess (a well-known "
                          "password, a word with digits, a keyboard or number run). Use "
                          "several unrelated words."))
    if problems:
        raise ServiceError(" ".join(problems), field="password")


def verify_credentials(user: User | None, password: str, policy: AccountPolicy, actor: Actor):
    """Check a password for sign-in or signing; counts failures and locks the account.

    Returns the user on success and raises SignInFailed otherwise. The caller commits,
    so failures and lockouts are recorded even though the attempt is refused.
    """
    now = utcnow()
    # One message for every failure, so it never tells whether the user exists.
    generic = _("Sign-in failed: wrong user name or password, or the account is locked "
                "or deactivated.")
    if user is None:
        check_password_hash(_dummy_hash(policy.hash_method), password)
        audit.record_event(db.session, "login_failure", "user_account", None,
                           {"reason": "unknown user"}, actor=actor)
        raise SignInFailed(generic)
    if is_locked(user):
        check_password_hash(_dummy_hash(policy.hash_method), password)
        audit.record_event(db.session, "login_failure", "user_account", user.id,
                           {"reason": "account locked"}, actor=actor)
        raise SignInFailed(generic)
    if user.locked_until:  # the lockout window has passed
        user.locked_until = None
        user.failed_login_count = 0
    if not check_password_hash(user.password_hash, password) or not user.is_active_account:
        count_failed_attempt(user, policy, actor, now)
        raise SignInFailed(generic)
    user.failed_login_count = 0
    return user


def is_locked(user: User) -> bool:
    """True while the account is inside its lockout window."""
    return bool(user.locked_until and user.locked_until > utcnow())


def locked_users() -> list[User]:
    """Accounts inside their lockout window now, for the administrators' home page."""
    return list(db.session.scalars(select(User).where(User.locked_until > utcnow())
                                   .order_by(User.username)))


def password_matches(user: User, password: str) -> bool:
    return check_password_hash(user.password_hash, password)


def count_failed_attempt(user: User, policy: AccountPolicy, actor: Actor, now=None) -> None:
    """Count a failed sign-in or signing attempt; lock the account at the threshold."""
    now = now or utcnow()
    user.failed_login_count += 1
    audit.record_event(db.session, "login_failure", "user_account", user.id,
                       {"failed_login_count": user.failed_login_count}, actor=actor)
    if user.failed_login_count >= policy.lockout_threshold:
        user.locked_until = now + timedelta(minutes=policy.lockout_minutes)
        audit.record_event(db.session, "lockout", "user_account", user.id,
                           {"locked_until": user.locked_until.isoformat()}, actor=actor)


def sign_in(username: str, password: str, policy: AccountPolicy, client_addr: str | None,
            user_agent: str | None = None,
            form: sessions.SignInForm | None = None) -> tuple[User, str]:
    """Authenticate a sign-in attempt; every attempt is audited and committed.

    Returns the user and the secret of the server-side session it opens. Given its form,
    a repeated submit of the same form (a double click, a browser retry) gets the session
    the first submit opened: one session and one sign-in recorded.
    """
    user = find_user(username)
    actor = Actor(user.id if user else None, user.username if user else username[:64],
                  client_addr)
    try:
        verify_credentials(user, password, policy, actor)
    except SignInFailed:
        db.session.commit()
        raise
    secret, already_open = sessions.form_session(user, form) if form else (None, False)
    if already_open:
        db.session.commit()
        return user, secret
    user.last_login_at = utcnow()
    try:
        secret = sessions.start_session(user, client_addr, user_agent, secret)
    except IntegrityError:
        if secret is None:
            raise
        db.session.rollback()  # the same form at the same moment: the other submit opened it
        return user, secret
    audit.record_event(db.session, "login_success", "user_account", user.id, actor=actor)
    db.session.commit()
    return user, secret


def sign_out(user: User, client_addr: str | None, current=None) -> None:
    """Record a sign-out and end its server-side session."""
    actor = Actor(user.id, user.username, client_addr)
    set_actor(db.session, actor)
    if current is not None:
        sessions.end_session(current, EndReason.SIGN_OUT)
    audit.record_event(db.session, "logout", "user_account", user.id, actor=actor)
    db.session.commit()


def create_user(username: str, full_name: str, role: str, password: str,
                policy: AccountPolicy) -> User:
    """Create an account; user names are unique forever (case-insensitive)."""
    username = (username or "").strip()
    if not username or len(username) > 64 or not username.replace(".", "").replace(
        "_", "").replace("-", "").isalnum():
        raise ServiceError(_("Use 1 to 64 letters, digits, dots, dashes or underscores."),
                           field="username")
    if find_user(username):
        raise ServiceError(_("That user name is already taken."), field="username")
    if not (full_name or "").strip():
        raise ServiceError(_("Enter the person's full name."), field="full_name")
    _check_role(role)
    check_password_policy(password, policy, username, full_name)
    user = User(username=username, full_name=full_name.strip(), role=role,
                password_hash=generate_password_hash(password, method=policy.hash_method),
                password_changed_at=utcnow())
    db.session.add(user)
    db.session.commit()
    return user


def _check_role(role: str) -> None:
    try:
        Role(role)
    except ValueError:
        raise ServiceError(_("Unknown role."), field="role") from None


def _require_admin(acting: User) -> None:
    require_area(acting.role, Area.ADMIN, _("Only an administrator may manage accounts."))
    audit.attribute_to(db.session, acting)


def change_role(acting: User, user: User, role: str, why: str) -> None:
    """An administrator changes a user's role, with a reason."""
    _require_admin(acting)
    _check_role(role)
    if user.id == acting.id:
        raise ServiceError(_("You cannot change your own role."), field="role")
    with audit.reason(db.session, why):
        user.role = role
        db.session.flush()
        sessions.end_all(user.id, EndReason.ROLE_CHANGED)
    db.session.commit()


def reset_password(acting: User, user: User, password: str, why: str,
                   policy: AccountPolicy) -> None:
    """An administrator sets a temporary password and unlocks the account.

    Its owner must change it at the next sign-in and cannot e-sign before, so the
    administrator, who knows it, can never sign as them; every session ends.
    """
    _require_admin(acting)
    if user.id == acting.id:
        raise ServiceError(_("Change your own password from your account menu."),
                           field="password")
    check_password_policy(password, policy, user.username, user.full_name)
    with audit.reason(db.session, why):
        _set_password(user, password, policy)
        user.must_change_password = True
        user.failed_login_count = 0
        user.locked_until = None
        db.session.flush()
        sessions.end_all(user.id, EndReason.PASSWORD_RESET)
    db.session.commit()


def change_own_password(user: User, current: str, new: str, policy: AccountPolicy,
                        actor: Actor, user_agent: str | None = None) -> str:
    """A user changes their own password after proving the current one.

    Every session of the user ends, this one too; returns the secret of the new session
    that replaces this one.
    """
    if not check_password_hash(user.password_hash, current):
        count_failed_attempt(user, policy, actor, utcnow())
        db.session.commit()
        raise ServiceError(_("The current password is wrong."), field="current_password")
    try:
        check_password_policy(new, policy, user.username, user.full_name)
    except ServiceError as error:
        raise ServiceError(error.message, field="new_password") from None
    if check_password_hash(user.password_hash, new):
        raise ServiceError(_("Choose a password different from the current one."),
                           field="new_password")
    with audit.reason(db.session, "Password changed by its owner"):
        _set_password(user, new, policy)
        user.must_change_password = False
        db.session.flush()
        sessions.end_all(user.id, EndReason.PASSWORD_CHANGED)
        secret = sessions.start_session(user, actor.client_addr, user_agent)
    db.session.commit()
    return secret


def set_own_language(user: User, locale: str | None, languages) -> None:
    """A user chooses their screen language (None: the browser's, else the lab's). Commits."""
    if locale and locale not in languages:
        raise ServiceError(_("Choose one of the languages offered."), field="locale")
    with audit.reason(db.session, "Screen language chosen by the account's owner"):
        user.locale = locale or None
        db.session.flush()
    db.session.commit()


def _set_password(user: User, password: str, policy: AccountPolicy) -> None:
    user.password_hash = generate_password_hash(password, method=policy.hash_method)
    user.password_changed_at = utcnow()


def set_active(acting: User, user: User, active: bool, why: str) -> None:
    """Deactivate (or reactivate) an account; accounts are never deleted."""
    _require_admin(acting)
    if user.id == acting.id and not active:
        raise ServiceError(_("You cannot deactivate your own account."))
    with audit.reason(db.session, why):
        user.is_active_account = active
        db.session.flush()
        if not active:  # nothing is revived on reactivation: they stay ended and revoked
            sessions.end_all(user.id, EndReason.DEACTIVATED)
            api_tokens.revoke_all(user.id)
    db.session.commit()
