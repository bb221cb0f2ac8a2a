"""The append-only audit trail and the head of its hash chain."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from labtrack.database import PkMixin, UTCDateTime
from labtrack.extensions import db


class AuditEvent(PkMixin, db.Model):
    """One audited fact; rows are never updated or deleted (database triggers refuse it)."""

    __tablename__ = "audit_event"
    __not_audited__ = True  # the trail itself
    __table_args__ = (
        Index("ix_audit_event_record", "record_type", "record_id"),
        Index("ix_audit_event_occurred_at", "occurred_at"),
        Index("ix_audit_event_user_id", "user_id"),
        # The viewer's usual filter (a kind of record, an action), newest first.
        Index("ix_audit_event_type_action_seq", "record_type", "action", "seq"),
        # One person's events, newest first (the viewer's user filter).
        Index("ix_audit_event_username_seq", "username", "seq"),
    )

    seq: Mapped[int] = mapped_column(Integer, unique=True, nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    user_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40), nullable=False)
    record_type: Mapped[str] = mapped_column(String(64), nullable=False)
    record_id: Mapped[str | None] = mapped_column(String(64))
    changes: Mapped[str] = mapped_column(Text, nullable=False)  # canonical JSON
    reason: Mapped[str | None] = mapped_column(Text)
    client_addr: Mapped[str | None] = mapped_column(String(64))
    api_token_id: Mapped[int | None] = mapped_column(Integer)  # the API token that acted
    # The key its link was made with (None: linked by plain SHA-256 before keying).
    key_id: Mapped[str | None] = mapped_column(String(16))
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)


class AuditChainHead(db.Model):
    """The single row holding the chain's last position; writers serialise on it."""

    __tablename__ = "audit_chain_head"
    __not_audited__ = True  # the trail itself

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    last_hash: Mapped[str] = mapped_column(String(64), nullable=False)

