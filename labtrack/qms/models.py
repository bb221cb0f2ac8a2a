"""The quality system's own records: release specification versions and deviations.

Every area raises deviations (a rejected sample, a step outside its window, a result out of
specification) and a batch fixes the specification in force when it starts, so these sit
below samples and culture; QA's pages for them are the quality area's.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from labtrack.accounts.models import Signature, User
from labtrack.database import PkMixin, TimestampMixin, UTCDateTime
from labtrack.extensions import db


class Specification(PkMixin, TimestampMixin, db.Model):
    """One version of the release specification; editing makes a new version."""

    __tablename__ = "specification"

    version: Mapped[int] = mapped_column(Integer, unique=True, nullable=False)
    effective_from: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    change_summary: Mapped[str] = mapped_column(Text, nullable=False)

    tests: Mapped[list[SpecificationTest]] = relationship(
        back_populates="specification", order_by="SpecificationTest.position")

class SpecificationTest(PkMixin, db.Model):
    """A test of a specification version, with its limits."""

    __tablename__ = "specification_test"
    __table_args__ = (UniqueConstraint("specification_id", "code",
                                       name="uq_specification_test_spec_code"),)

    specification_id: Mapped[int] = mapped_column(ForeignKey("specification.id"),
                                                  nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    code: Mapped[str] = mapped_column(String(40), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)  # numeric / qualitative
    unit: Mapped[str] = mapped_column(String(20), nullable=False, default="")
    method: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    lower: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    lower_inclusive: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    upper: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    upper_inclusive: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    accepted_values: Mapped[str] = mapped_column(Text, nullable=False, default="[]")  # JSON
    mandatory: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    may_be_pending: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    specification: Mapped[Specification] = relationship(back_populates="tests")

class Deviation(PkMixin, TimestampMixin, db.Model):
    """A deviation: opened, investigated, closed with a QA signature."""

    __tablename__ = "deviation"

    number: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batch.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("treatment_order.id"), index=True)
    sample_id: Mapped[int | None] = mapped_column(ForeignKey("sample.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30), nullable=False)  # general, sample_acceptance…
    severity: Mapped[str] = mapped_column(String(10), nullable=False)  # minor / major / critical
    status: Mapped[str] = mapped_column(String(15), nullable=False)  # open/investigating/closed
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    immediate_action: Mapped[str | None] = mapped_column(Text)
    root_cause: Mapped[str | None] = mapped_column(Text)
    impact: Mapped[str | None] = mapped_column(Text)
    corrective_actions: Mapped[str | None] = mapped_column(Text)
    preventive_actions: Mapped[str | None] = mapped_column(Text)
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), nullable=False)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closure_signature_id: Mapped[int | None] = mapped_column(ForeignKey("signature.id"))

    opened_by: Mapped[User] = relationship()
    closure_signature: Mapped[Signature | None] = relationship()
