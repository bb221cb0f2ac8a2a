"""People: their accounts, electronic signatures, API tokens and in-app notices."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from labtrack.database import PkMixin, TimestampMixin, UTCDateTime, utcnow
from labtrack.extensions import db
from labtrack.web.policy import Role


class User(PkMixin, TimestampMixin, UserMixin, db.Model):
    """An account; never deleted, only deactivated."""

    __tablename__ = "user_account"
    # Sign-in bookkeeping changes often and is not GMP data; the security
    # events themselves are written to the audit trail explicitly.
    __audit_exempt__ = frozenset({"failed_login_count", "locked_until", "last_login_at"})
    __audit_redact__ = frozenset({"password_hash"})

    username: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    full_name: Mapped[str] = mapped_column(String(200), nullable=False)
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    is_active_account: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    failed_login_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set by an administrator's reset: the temporary password must be changed at the next
    # sign-in, and the account cannot e-sign until its owner has chosen their own.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False,
                                                       server_default=false(), nullable=False)
    # The screen language the user chose ('en', 'es'); None: the browser's, else the lab's.
    locale: Mapped[str | None] = mapped_column(String(10))

    @property
    def is_active(self) -> bool:  # Flask-Login: inactive users cannot sign in
        return self.is_active_account

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    def __repr__(self) -> str:
        return f"<User {self.username} ({self.role})>"


class Notice(PkMixin, db.Model):
    """A message for one user (e.g. the treating clinician: batch released, at risk…)."""

    __tablename__ = "notice"
    __table_args__ = (Index("ix_notice_user_read", "user_id", "read_at"),)
    __audit_exempt__ = frozenset({"read_at"})  # reading a notice changes no GMP data

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    severity: Mapped[str] = mapped_column(String(10), nullable=False, default="info")
    message: Mapped[str] = mapped_column(Text, nullable=False)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batch.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("treatment_order.id"))
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApiToken(PkMixin, db.Model):
    """A personal API token; only its SHA-256 is stored."""

    __tablename__ = "api_token"
    __audit_exempt__ = frozenset({"last_used_at"})
    __audit_redact__ = frozenset({"token_hash"})

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True,
                                         nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    prefix: Mapped[str] = mapped_column(String(12), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Signature(PkMixin, db.Model):
    """An electronic signature, bound to one record, one person and one meaning."""

    __tablename__ = "signature"
    __immutable__ = True  # a signature never changes once made
    __table_args__ = (Index("ix_signature_record", "record_type", "record_id"),)

    signer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), nullable=False)
    printed_name: Mapped[str] = mapped_column(String(200), nullable=False)
    meaning: Mapped[str] = mapped_column(String(40), nullable=False)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    record_type: Mapped[str] = mapped_column(String(64), nullable=False)
    record_id: Mapped[str] = mapped_column(String(64), nullable=False)
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)

    signer: Mapped[User] = relationship()


class UserSession(PkMixin, db.Model):
    """A signed-in browser session, held on the server so that it can be ended.

    The browser's cookie carries only a secret (sessions.py); its SHA-256 is stored here.
    Sign-in, sign-out and each ending are audit events; the row itself is bookkeeping.
    """

    __tablename__ = "user_session"
    __not_audited__ = True  # bookkeeping: its start and end are recorded as audit events
    __table_args__ = (Index("ix_user_session_user_ended", "user_id", "ended_at"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(40))
    client_addr: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(200))
