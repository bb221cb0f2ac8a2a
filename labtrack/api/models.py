"""What the API keeps in the database: the first answer to each idempotency key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from labtrack.database import PkMixin, UTCDateTime
from labtrack.extensions import db


class IdempotentRequest(PkMixin, db.Model):
    """An API write sent with an ``Idempotency-Key`` header and the answer it got
    (labtrack/api/idempotency.py), so a retry of it returns that answer and records nothing.

    Not a GMP record: the record the write made is audited; this only stops a client's
    retry (after a timeout, a dropped connection) from recording it twice.
    """

    __tablename__ = "api_idempotent_request"
    __not_audited__ = True
    __table_args__ = (UniqueConstraint("user_id", "key_hash"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), nullable=False)
    key_hash: Mapped[str] = mapped_column(String(64), nullable=False)  # SHA-256 of the key
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)  # method, path, body
    path: Mapped[str] = mapped_column(String(500), nullable=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    status: Mapped[int | None] = mapped_column(Integer)  # None while the first is running
    content_type: Mapped[str | None] = mapped_column(String(100))
    body: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(500))
