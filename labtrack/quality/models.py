"""QC results and the release decision (specifications and deviations: labtrack.qms)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    ForeignKey,
    LargeBinary,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from labtrack.accounts.models import Signature, User
from labtrack.database import PkMixin, TimestampMixin, UTCDateTime
from labtrack.extensions import db


class QcResult(PkMixin, TimestampMixin, db.Model):
    """A QC result for one test of a batch; a correction supersedes it."""

    __tablename__ = "qc_result"

    batch_id: Mapped[int] = mapped_column(ForeignKey("batch.id"), index=True, nullable=False)
    test_code: Mapped[str] = mapped_column(String(40), nullable=False)
    numeric_value: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    text_value: Mapped[str | None] = mapped_column(String(200))
    verdict: Mapped[str] = mapped_column(String(10), nullable=False)
    method: Mapped[str] = mapped_column(String(100), nullable=False)
    instrument: Mapped[str | None] = mapped_column(String(100))
    analyst: Mapped[str] = mapped_column(String(200), nullable=False)
    tested_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    entered_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), nullable=False)
    after_release: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("qc_result.id"), index=True)
    amendment_reason: Mapped[str | None] = mapped_column(Text)

    entered_by: Mapped[User] = relationship()



class Release(PkMixin, TimestampMixin, db.Model):
    """The QA decision on a batch; one per batch, so a second release cannot happen."""

    __tablename__ = "batch_release"
    # The stored PDF is audited through its SHA-256, not as 100 kB of hex in every event.
    __audit_exempt__ = frozenset({"record_pdf"})
    __immutable__ = True  # a decision never changes (database triggers refuse it too)
    __audit_digest__ = ("record_pdf", "record_sha256")  # audit-verify checks the bytes

    batch_id: Mapped[int] = mapped_column(ForeignKey("batch.id"), unique=True, nullable=False)
    decision: Mapped[str] = mapped_column(String(15), nullable=False)  # released/rejected
    exceptional: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    signature_id: Mapped[int] = mapped_column(ForeignKey("signature.id"), nullable=False)
    reason: Mapped[str | None] = mapped_column(Text)
    clinician_request: Mapped[str | None] = mapped_column(Text)
    risk_assessment: Mapped[str | None] = mapped_column(Text)
    checklist: Mapped[str] = mapped_column(Text, nullable=False)  # JSON snapshot at decision
    document_id: Mapped[str | None] = mapped_column(String(40), unique=True)
    record_pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    record_sha256: Mapped[str | None] = mapped_column(String(64))
    audit_head_hash: Mapped[str | None] = mapped_column(String(64))
    # The audit checkpoint at the decision (JSON), anchored outside the database too.
    audit_checkpoint: Mapped[str | None] = mapped_column(Text)

    signature: Mapped[Signature] = relationship()
