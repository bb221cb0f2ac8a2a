"""Accounts: sign-in with lockout, password policy, and user administration."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from labtrack.accounts.models import User
from labtrack.audit import capture as audit
from labtrack.audit.capture import Actor
from labtrack.database import utcnow
from labtrack.errors import ServiceError
from labtrack.extensions import db
from labtrack.web.policy import Area, Role, require_area

# Compared against when the user does not exist, so timing does not reveal it.
_DUMMY_HASH = generate_password_hash("labtrack-no-such-user", method="pbkdf2:sha256:1000")


@dataclass(frozen=True)
class AccountPolicy:
    """Password and lockout settings, taken from the app configuration."""

    min_password_length: int = 12
    lockout_threshold: int = 5
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


def check_password_policy(password: str, policy: AccountPolicy) -> None:
    """Refuse a password that breaks the policy, with every reason."""
    problems = []
    if len(password) < policy.min_password_length:
        problems.append(_("Use at least %(n)d characters.", n=policy.min_password_length))
    if password != password.strip():
        problems.append(_("Do not start or end the password with a space."))
    if len(set(password)) < 4:
        problems.append(_("Use more than three different characters."))
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
        check_password_hash(_DUMMY_HASH, password)
        audit.record_event(db.session, "login_failure", "user_account", None,
                           {"reason": "unknown user"}, actor=actor)
        raise SignInFailed(generic)
    if is_locked(user):
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


def sign_in(username: str, password: str, policy: AccountPolicy, client_addr: str | None):
    """Authenticate a sign-in attempt; every attempt is audited and committed."""
    user = find_user(username)
    actor = Actor(user.id if user else None, user.username if user else username[:64],
                  client_addr)
    try:
        verify_credentials(user, password, policy, actor)
    except SignInFailed:
        db.session.commit()
        raise
    user.last_login_at = utcnow()
    audit.record_event(db.session, "login_success", "user_account", user.id, actor=actor)
    db.session.commit()
    return user


def sign_out(user: User, client_addr: str | None) -> None:
    """Record a sign-out."""
    actor = Actor(user.id, user.username, client_addr)
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
    check_password_policy(password, policy)
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
    db.session.commit()


def reset_password(acting: User, user: User, password: str, why: str,
                   policy: AccountPolicy) -> None:
    """An administrator sets a new password and unlocks the account."""
    _require_admin(acting)
    check_password_policy(password, policy)
    with audit.reason(db.session, why):
        _set_password(user, password, policy)
        user.failed_login_count = 0
        user.locked_until = None
        db.session.flush()
    db.session.commit()


def change_own_password(user: User, current: str, new: str, policy: AccountPolicy,
                        actor: Actor) -> None:
    """A user changes their own password after proving the current one."""
    if not check_password_hash(user.password_hash, current):
        count_failed_attempt(user, policy, actor, utcnow())
        db.session.commit()
        raise ServiceError(_("The current password is wrong."), field="current_password")
    check_password_policy(new, policy)
    if check_password_hash(user.password_hash, new):
        raise ServiceError(_("Choose a password different from the current one."),
                           field="new_password")
    with audit.reason(db.session, "Password changed by its owner"):
        _set_password(user, new, policy)
        db.session.flush()
    db.session.commit()


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
    db.session.commit()
