"""Reagent lots and equipment used in culture steps."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from labtrack.database import PkMixin, TimestampMixin
from labtrack.extensions import db


class ReagentLot(PkMixin, TimestampMixin, db.Model):
    """A lot of a material in contact with the cells (medium, trypsin, Ficoll…)."""

    __tablename__ = "reagent_lot"
    __table_args__ = (UniqueConstraint("material", "lot_number",
                                       name="uq_reagent_lot_material_lot_number"),)

    material: Mapped[str] = mapped_column(String(100), nullable=False)
    manufacturer: Mapped[str] = mapped_column(String(100), nullable=False)
    lot_number: Mapped[str] = mapped_column(String(50), nullable=False)
    expiry_date: Mapped[date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)  # quarantine/released/rejected
    notes: Mapped[str | None] = mapped_column(Text)


class Equipment(PkMixin, TimestampMixin, db.Model):
    """A piece of equipment (biosafety cabinet, incubator, counter, centrifuge…)."""

    __tablename__ = "equipment"

    identifier: Mapped[str] = mapped_column(String(50), unique=True, nullable=False)
    kind: Mapped[str] = mapped_column(String(50), nullable=False)
    description: Mapped[str | None] = mapped_column(String(200))
    calibration_due: Mapped[date] = mapped_column(Date, nullable=False)
    in_service: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
