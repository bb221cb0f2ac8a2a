"""Bone-marrow samples received against an order, chain-of-identity events, the label print log."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from labtrack.accounts.models import User
from labtrack.database import PkMixin, TimestampMixin, UTCDateTime, utcnow
from labtrack.extensions import db
from labtrack.orders.models import TreatmentOrder


class Sample(PkMixin, TimestampMixin, db.Model):
    """A bone-marrow aspirate as received; its DIN (ISBT 128) is unique forever."""

    __tablename__ = "sample"

    order_id: Mapped[int] = mapped_column(ForeignKey("treatment_order.id"), index=True,
                                          nullable=False)
    din: Mapped[str] = mapped_column(String(13), unique=True, nullable=False)
    collected_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    collection_site: Mapped[str] = mapped_column(String(100), nullable=False)
    volume_ml: Mapped[Decimal] = mapped_column(Numeric(7, 1), nullable=False)
    anticoagulant: Mapped[str] = mapped_column(String(50), nullable=False)
    collected_by: Mapped[str] = mapped_column(String(200), nullable=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    received_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), nullable=False)
    temperature_c: Mapped[Decimal] = mapped_column(Numeric(5, 1), nullable=False)
    container_intact: Mapped[bool] = mapped_column(Boolean, nullable=False)
    tube_record_number: Mapped[str] = mapped_column(String(32), nullable=False)
    tube_patient_name: Mapped[str] = mapped_column(String(200), nullable=False)
    status: Mapped[str] = mapped_column(String(30), nullable=False)  # accepted / rejected / …
    failed_rules: Mapped[str] = mapped_column(Text, nullable=False, default="[]")  # JSON list

    order: Mapped[TreatmentOrder] = relationship()
    received_by: Mapped[User] = relationship()


class ChainOfIdentityEvent(PkMixin, db.Model):
    """A refused identity check: a tube, label or dose that did not match its patient."""

    __tablename__ = "chain_of_identity_event"
    __table_args__ = (Index("ix_chain_of_identity_event_occurred_at", "occurred_at"),)

    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("treatment_order.id"), index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batch.id"), index=True)
    dose_id: Mapped[int | None] = mapped_column(ForeignKey("dose.id"))
    expected: Mapped[str] = mapped_column(Text, nullable=False)
    presented: Mapped[str] = mapped_column(Text, nullable=False)
    details: Mapped[str | None] = mapped_column(Text)


class LabelPrint(PkMixin, db.Model):
    """One printing of a label (tube, flask or dose): who, when, which, how many, in what form.

    The label-reconciliation record: a label printed again for the same record is marked
    a reprint here and says "REPRINT" on the label itself.
    """

    __tablename__ = "label_print"

    printed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    printed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), nullable=False)
    label: Mapped[str] = mapped_column(String(10), nullable=False)  # LabelKind
    sample_id: Mapped[int] = mapped_column(ForeignKey("sample.id"), index=True, nullable=False)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batch.id"), index=True)
    dose_id: Mapped[int | None] = mapped_column(ForeignKey("dose.id"))
    copies: Mapped[int] = mapped_column(Integer, nullable=False)
    format: Mapped[str] = mapped_column(String(10), nullable=False)  # LabelFormat
    dpi: Mapped[int | None] = mapped_column(Integer)
    reprint: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    printed_by: Mapped[User] = relationship()
