"""People and their accounts."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from labtrack.domain.roles import Role
from labtrack.extensions import db
from labtrack.models.base import PkMixin, TimestampMixin, UTCDateTime


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

    @property
    def is_active(self) -> bool:  # Flask-Login: inactive users cannot sign in
        return self.is_active_account

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    def __repr__(self) -> str:
        return f"<User {self.username} ({self.role})>"
