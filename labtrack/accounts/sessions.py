"""Server-side sessions: each sign-in is a row that sign-out, a password change or reset,
a role change or deactivation ends, so a copied cookie stops working at once.

The browser keeps a secret in its (signed) session cookie; only its SHA-256 is stored.
The secret is random, or, for a sign-in form, worked out from the form's one-time token
under the application's secret key, so the same form sent twice (a double click) opens
one session. A session ends after ``idle_minutes`` without a request (counted from the
sign-in response on) and, whatever the activity, ``absolute_hours`` after sign-in. An
ended session is never revived: reactivating an account brings none back.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import select, update

from labtrack.accounts.models import User, UserSession
from labtrack.audit import capture as audit
from labtrack.database import utcnow
from labtrack.extensions import db

MAX_SECRET_LENGTH = 100
# How often a request notes that the session is in use (a write per request is wasteful).
TOUCH_RESOLUTION = timedelta(seconds=30)


class EndReason(StrEnum):
    """Why a session ended (kept on the row, and in the audit event)."""

    SIGN_OUT = "sign_out"
    ENDED_BY_USER = "ended_by_user"
    IDLE = "idle_timeout"
    LIFETIME = "lifetime_reached"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 - a reason, not a secret
    PASSWORD_RESET = "password_reset"  # noqa: S105
    ROLE_CHANGED = "role_changed"
    DEACTIVATED = "deactivated"


@dataclass(frozen=True)
class SessionSettings:
    """The idle timeout and the absolute lifetime, from the app configuration."""

    idle_minutes: int = 30
    absolute_hours: int = 12

    @classmethod
    def from_config(cls, config: Mapping) -> SessionSettings:
        return cls(config["IDLE_TIMEOUT_MINUTES"], config["SESSION_LIFETIME_HOURS"])


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def form_secret(user: User, form_token: str, key: str) -> str:
    """The session secret one sign-in form (its one-time token) opens for ``user``.

    The same for a repeated submit of that form (a double click, a browser retry), so the
    repeat gets the session the first opened instead of a second one. Nobody can work it
    out without the application's secret key and the account's password hash.
    """
    message = "\0".join(("sign-in", str(user.id), user.password_hash, form_token))
    digest = hmac.new(key.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class SignInForm:
    """What a sign-in needs to know a repeated submit of its form: the form's one-time
    token (web/once.py), the application's secret key and the session limits."""

    token: str
    secret_key: str
    settings: SessionSettings


def form_session(user: User, form: SignInForm) -> tuple[str | None, bool]:
    """The secret this sign-in form opens ``user``'s session with, and whether that session
    is open already (the form was submitted before). (None, False) once the form's session
    has ended: signing in again with it opens a new, random one."""
    secret = form_secret(user, form.token, form.secret_key)
    found = db.session.scalar(select(UserSession).where(UserSession.token_hash == _hash(secret)))
    if found is None:
        return secret, False
    if found.ended_at is None and _expiry(found, form.settings, utcnow()) is None:
        return secret, True
    return None, False


def start_session(user: User, client_addr: str | None, user_agent: str | None,
                  secret: str | None = None) -> str:
    """A new session for ``user`` (flushed, the caller commits); returns the cookie's secret,
    a random one unless given."""
    secret = secret or secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(UserSession(user_id=user.id, token_hash=_hash(secret), created_at=now,
                               last_seen_at=now, client_addr=(client_addr or "")[:64] or None,
                               user_agent=(user_agent or "")[:200] or None))
    db.session.flush()
    return secret


def find_live(secret: str | None, settings: SessionSettings) -> tuple[UserSession | None,
                                                                      EndReason | None]:
    """The live session this secret opens, or None with the reason it just ended.

    A session found past its idle timeout or lifetime is ended here (and committed), so
    it never opens again whatever the clock does later.
    """
    if not secret or len(secret) > MAX_SECRET_LENGTH:
        return None, None
    found = db.session.scalar(select(UserSession).where(UserSession.token_hash == _hash(secret)))
    if found is None or found.ended_at is not None:
        return None, None
    now = utcnow()
    expired = _expiry(found, settings, now)
    if expired:
        _end(found, expired, now)
        db.session.commit()
        return None, expired
    if now - found.last_seen_at >= TOUCH_RESOLUTION:
        found.last_seen_at = now
        db.session.commit()
    return found, None


def _expiry(found: UserSession, settings: SessionSettings, now) -> EndReason | None:
    if now - found.created_at >= timedelta(hours=settings.absolute_hours):
        return EndReason.LIFETIME
    if now - found.last_seen_at > timedelta(minutes=settings.idle_minutes):
        return EndReason.IDLE
    return None


def _end(found: UserSession, why: EndReason, now=None) -> None:
    found.ended_at = now or utcnow()
    found.end_reason = why.value
    audit.record_event(db.session, "session_end", "user_account", found.user_id,
                       {"session_id": found.id, "reason": why.value})


def end_session(found: UserSession, why: EndReason) -> None:
    """End one session (the caller commits)."""
    if found.ended_at is None:
        _end(found, why)


def end_all(user_id: int, why: EndReason, keep_id: int | None = None) -> int:
    """End every live session of a user, but ``keep_id``; the caller commits. How many."""
    condition = [UserSession.user_id == user_id, UserSession.ended_at.is_(None)]
    if keep_id is not None:
        condition.append(UserSession.id != keep_id)
    ended = db.session.execute(update(UserSession).where(*condition)
                               .values(ended_at=utcnow(), end_reason=why.value)
                               .execution_options(synchronize_session="fetch")).rowcount
    if ended:
        audit.record_event(db.session, "sessions_ended", "user_account", user_id,
                           {"count": ended, "reason": why.value})
    return ended


def live_sessions(user: User, settings: SessionSettings) -> list[UserSession]:
    """The user's sessions still open (not ended, not past their limits), newest first."""
    now = utcnow()
    rows = db.session.scalars(select(UserSession).where(UserSession.user_id == user.id,
                                                        UserSession.ended_at.is_(None))
                              .order_by(UserSession.created_at.desc(), UserSession.id.desc()))
    return [row for row in rows if _expiry(row, settings, now) is None]


def find_own(user: User, session_id: int) -> UserSession | None:
    """One of the user's own sessions, by id (None for another user's)."""
    found = db.session.get(UserSession, session_id)
    return found if found is not None and found.user_id == user.id else None
