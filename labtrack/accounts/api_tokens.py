"""Personal API tokens for hospital systems: shown once, stored as a SHA-256, revocable.

A token acts as the user it belongs to, with that user's role. Only its owner creates it
(nobody else ever sees its secret); the owner or an administrator revokes it. Deactivating
an account revokes its tokens, and reactivation brings none back. Every change made
through a token names it in the audit trail.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from labtrack.accounts.models import ApiToken, User
from labtrack.audit import capture as audit
from labtrack.database import utcnow
from labtrack.errors import PermissionDenied, ServiceError
from labtrack.extensions import db
from labtrack.web.policy import Area, may_use

TOKEN_PREFIX = "lt_"  # noqa: S105 - marks LabTrack tokens, not a secret
PREFIX_LENGTH = 11  # "lt_" and the first 8 random characters, shown to tell tokens apart
MAX_TOKEN_LENGTH = 200
MAX_NAME = 100
LAST_USED_RESOLUTION = timedelta(minutes=1)


def token_hash(secret: str) -> str:
    """The SHA-256 (hex) under which a token is stored."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _may_manage(acting: User, owner_id: int) -> None:
    if acting.id != owner_id and not may_use(acting.role, Area.ADMIN):
        raise PermissionDenied(_("Only the token's owner or an administrator may do this."))
    audit.attribute_to(db.session, acting)


def create_token(acting: User, owner: User, name: str) -> tuple[ApiToken, str]:
    """A new token for ``owner``, who must be the one acting; returns it with the secret,
    which is never stored. Commits."""
    if acting.id != owner.id:
        raise PermissionDenied(_("Only the account's owner may create its API tokens: a "
                                 "token acts as its owner."))
    audit.attribute_to(db.session, acting)
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise ServiceError(_("Name the token (at most 100 characters), e.g. the system that "
                             "will use it."), field="name")
    if not owner.is_active_account:
        raise ServiceError(_("A deactivated account cannot have API tokens."))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=owner.id, name=name, token_hash=token_hash(secret),
                     prefix=secret[:PREFIX_LENGTH])
    db.session.add(token)
    db.session.commit()
    return token, secret


def revoke_token(acting: User, token: ApiToken, why: str | None = None) -> ApiToken:
    """Revoke a token at once; an administrator revoking someone else's gives a reason."""
    _may_manage(acting, token.user_id)
    if token.revoked_at is not None:
        raise ServiceError(_("This token is already revoked."))
    why = (why or "").strip()
    if not why:
        if acting.id != token.user_id:
            raise audit.ReasonRequired(_("Give the reason for revoking another user's token."),
                                       field="reason")
        why = "API token revoked by its owner"
    with audit.reason(db.session, why):
        token.revoked_at = utcnow()
        db.session.flush()
    db.session.commit()
    return token


def revoke_all(user_id: int) -> None:
    """Revoke every live token of an account (inside the caller's reason; it commits)."""
    now = utcnow()
    for token in db.session.scalars(select(ApiToken).where(ApiToken.user_id == user_id,
                                                          ApiToken.revoked_at.is_(None))):
        token.revoked_at = now
    db.session.flush()


def authenticate(secret: str | None) -> tuple[User, ApiToken] | None:
    """The active user a valid, unrevoked token belongs to, with the token; None otherwise.

    Notes when the token was last used (at most once a minute, so reads stay cheap).
    """
    secret = (secret or "").strip()
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > MAX_TOKEN_LENGTH:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(secret)))
    if token is None or token.revoked_at is not None:
        return None
    user = db.session.get(User, token.user_id)
    if user is None or not user.is_active_account:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        token.last_used_at = now
        db.session.commit()
    return user, token


def find_token(token_id: int) -> ApiToken | None:
    return db.session.get(ApiToken, token_id)


def tokens_of(user: User) -> list[ApiToken]:
    """The user's tokens, newest first (revoked ones included)."""
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                   .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def active_tokens() -> list[tuple[ApiToken, User]]:
    """Every unrevoked token with its owner, for administrators."""
    return list(db.session.execute(
        select(ApiToken, User).join(User, User.id == ApiToken.user_id)
        .where(ApiToken.revoked_at.is_(None))
        .order_by(User.username, ApiToken.created_at)).all())
