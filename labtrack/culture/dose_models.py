"""Doses (one per disc level), formulation corrections, and the doses' administration."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from labtrack.accounts.models import User
from labtrack.database import PkMixin, TimestampMixin, UTCDateTime
from labtrack.extensions import db

CURRENT_DOSE = "superseded_by_id IS NULL"


class FormulationCorrection(PkMixin, TimestampMixin, db.Model):
    """A formulation corrected before release: who, when and why. The doses it replaced
    stay, marked ``superseded_by`` it; the doses made by it are the batch's current ones."""

    __tablename__ = "formulation_correction"
    __immutable__ = True  # a correction never changes (database triggers refuse it too)

    batch_id: Mapped[int] = mapped_column(ForeignKey("batch.id"), index=True, nullable=False)
    corrected_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    corrected_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)

    corrected_by: Mapped[User] = relationship()


class Dose(PkMixin, TimestampMixin, db.Model):
    """One syringe for one disc level.

    A batch has one current dose per disc level; a formulation correction marks the doses
    it replaces ``superseded_by_id`` and makes new ones with new product codes, so an old
    label never names a current dose (identity/rules/isbt128.py).
    """

    __tablename__ = "dose"
    __table_args__ = (Index("uq_dose_batch_disc_level_current", "batch_id", "disc_level",
                            unique=True, sqlite_where=text(CURRENT_DOSE),
                            postgresql_where=text(CURRENT_DOSE)),
                      UniqueConstraint("batch_id", "product_code",
                                       name="uq_dose_batch_product_code"))

    # With its batch's DIN, the ISBT 128 identity of the dose: the division characters
    # (A0, B0, …) tell the doses of one donation apart (identity/rules/isbt128.py).
    product_code: Mapped[str] = mapped_column(String(8), nullable=False)
    dose_code: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batch.id"), index=True, nullable=False)
    disc_level: Mapped[str] = mapped_column(String(8), nullable=False)
    viable_cells: Mapped[int] = mapped_column(BigInteger, nullable=False)
    volume_ml: Mapped[Decimal] = mapped_column(Numeric(6, 2), nullable=False)
    container: Mapped[str] = mapped_column(String(100), nullable=False)
    formulated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    superseded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("formulation_correction.id"), index=True)

    superseded_by: Mapped[FormulationCorrection | None] = relationship()

    @property
    def is_current(self) -> bool:
        return self.superseded_by_id is None


class Administration(PkMixin, TimestampMixin, db.Model):
    """The injection of a dose into its disc level; at most one per dose."""

    __tablename__ = "administration"

    dose_id: Mapped[int] = mapped_column(ForeignKey("dose.id"), unique=True, nullable=False)
    disc_level: Mapped[str] = mapped_column(String(8), nullable=False)
    administered_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    administered_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"),
                                                    nullable=False)
    wristband_scanned: Mapped[str] = mapped_column(String(64), nullable=False)
    notes: Mapped[str | None] = mapped_column(Text)

    dose: Mapped[Dose] = relationship()
    administered_by: Mapped[User] = relationship()
