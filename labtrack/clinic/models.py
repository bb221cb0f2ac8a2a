"""After the injection: follow-up visits (scores, MRI per treated disc) and adverse events.

Both are GMP records: a correction is a new entry that supersedes the wrong one
(``supersedes_id``, with its reason), never a change in place.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from labtrack.accounts.models import User
from labtrack.database import PkMixin, TimestampMixin
from labtrack.extensions import db
from labtrack.orders.models import TreatmentOrder


class FollowUpVisit(PkMixin, TimestampMixin, db.Model):
    """One visit of the schedule (baseline, 1 week, 3, 6, 12 months) with its scores."""

    __tablename__ = "follow_up_visit"
    __table_args__ = (Index("ix_follow_up_visit_order_key", "order_id", "visit_key"),)

    order_id: Mapped[int] = mapped_column(ForeignKey("treatment_order.id"), nullable=False)
    visit_key: Mapped[str] = mapped_column(String(20), nullable=False)  # rules.followup
    visit_date: Mapped[date] = mapped_column(Date, nullable=False)
    pain_scale: Mapped[str] = mapped_column(String(3), nullable=False)  # PainScale
    back_pain: Mapped[int | None] = mapped_column(Integer)
    leg_pain: Mapped[int | None] = mapped_column(Integer)
    odi_answers: Mapped[str | None] = mapped_column(String(10))  # rules.odi.encode
    odi_percent: Mapped[Decimal | None] = mapped_column(Numeric(4, 1))
    pgic: Mapped[str | None] = mapped_column(String(30))  # Pgic
    analgesics: Mapped[str | None] = mapped_column(String(30))  # Analgesics
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), nullable=False)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("follow_up_visit.id"),
                                                      index=True)
    amendment_reason: Mapped[str | None] = mapped_column(Text)

    order: Mapped[TreatmentOrder] = relationship()
    recorded_by: Mapped[User] = relationship()
    discs: Mapped[list[DiscImaging]] = relationship(order_by="DiscImaging.id",
                                                    back_populates="visit")


class DiscImaging(PkMixin, TimestampMixin, db.Model):
    """MRI findings for one treated disc at one visit (a corrected visit has its own)."""

    __tablename__ = "disc_imaging"

    visit_id: Mapped[int] = mapped_column(ForeignKey("follow_up_visit.id"), index=True,
                                          nullable=False)
    disc_level: Mapped[str] = mapped_column(String(8), nullable=False)
    pfirrmann_grade: Mapped[int | None] = mapped_column(Integer)  # 1–5 (I–V)
    disc_height_mm: Mapped[Decimal | None] = mapped_column(Numeric(4, 1))
    t2_signal: Mapped[Decimal | None] = mapped_column(Numeric(7, 1))  # T2 time or water %

    visit: Mapped[FollowUpVisit] = relationship(back_populates="discs")


class AdverseEvent(PkMixin, TimestampMixin, db.Model):
    """An adverse event after a treatment, linked to the patient, the administration, the
    dose, the batch and the DIN when it is reported."""

    __tablename__ = "adverse_event"

    order_id: Mapped[int] = mapped_column(ForeignKey("treatment_order.id"), index=True,
                                          nullable=False)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), nullable=False)
    administration_id: Mapped[int | None] = mapped_column(ForeignKey("administration.id"))
    dose_id: Mapped[int | None] = mapped_column(ForeignKey("dose.id"))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batch.id"), index=True)
    din: Mapped[str | None] = mapped_column(String(13))
    onset_date: Mapped[date] = mapped_column(Date, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    serious: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    seriousness_criteria: Mapped[str | None] = mapped_column(String(120))  # encode_criteria
    severity: Mapped[str] = mapped_column(String(10), nullable=False)  # Severity
    causality_product: Mapped[str] = mapped_column(String(14), nullable=False)  # Causality
    causality_procedure: Mapped[str] = mapped_column(String(14), nullable=False)
    action_taken: Mapped[str] = mapped_column(String(20), nullable=False)  # Action
    outcome: Mapped[str] = mapped_column(String(30), nullable=False)  # Outcome
    reported_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), nullable=False)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("adverse_event.id"),
                                                      index=True)
    amendment_reason: Mapped[str | None] = mapped_column(Text)

    order: Mapped[TreatmentOrder] = relationship()
    reported_by: Mapped[User] = relationship()
