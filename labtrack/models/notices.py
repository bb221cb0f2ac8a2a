"""In-app notices to users, and API tokens for hospital systems."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from labtrack.extensions import db
from labtrack.models.base import PkMixin, UTCDateTime, utcnow


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
