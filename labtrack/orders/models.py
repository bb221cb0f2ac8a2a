"""Patients and their treatment orders (with the AEMPS authorisation)."""

from __future__ import annotations

import functools
from datetime import date

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from labtrack.accounts.models import User
from labtrack.database import PkMixin, TimestampMixin
from labtrack.extensions import db
from labtrack.orders.rules.disc_levels import parse_levels


class Patient(PkMixin, TimestampMixin, db.Model):
    """A patient, identified by the hospital record number."""

    __tablename__ = "patient"

    record_number: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    given_name: Mapped[str] = mapped_column(String(100), nullable=False)
    family_name: Mapped[str] = mapped_column(String(100), nullable=False)
    date_of_birth: Mapped[date] = mapped_column(Date, nullable=False)
    sex: Mapped[str] = mapped_column(String(1), nullable=False)  # F, M, X

    orders: Mapped[list[TreatmentOrder]] = relationship(back_populates="patient")

    @property
    def display_name(self) -> str:
        return f"{self.family_name.upper()}, {self.given_name}"


class TreatmentOrder(PkMixin, TimestampMixin, db.Model):
    """A clinician's order for autologous MSC doses, one per disc level."""

    __tablename__ = "treatment_order"

    order_number: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True, nullable=False)
    disc_levels: Mapped[str] = mapped_column(String(64), nullable=False)  # "L4-L5,L5-S1"
    cells_per_disc: Mapped[int] = mapped_column(BigInteger, nullable=False)
    tolerance_percent: Mapped[int] = mapped_column(Integer, nullable=False)
    qc_reserve_cells: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    planned_procedure_date: Mapped[date] = mapped_column(Date, index=True, nullable=False)
    treating_clinician_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"),
                                                       index=True, nullable=False)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), nullable=False)
    authorisation_reference: Mapped[str | None] = mapped_column(String(64))
    authorisation_granted_on: Mapped[date | None] = mapped_column(Date)
    authorisation_levels: Mapped[str | None] = mapped_column(String(64))
    authorisation_expires_on: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    cancelled_reason: Mapped[str | None] = mapped_column(Text)

    patient: Mapped[Patient] = relationship(back_populates="orders")
    treating_clinician: Mapped[User] = relationship(foreign_keys=[treating_clinician_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])

    @property
    def levels(self) -> tuple[str, ...]:
        return _stored_levels(self.disc_levels)

    @property
    def authorised_levels(self) -> tuple[str, ...]:
        return parse_levels(self.authorisation_levels) if self.authorisation_levels else ()

    @property
    def target_cells(self) -> int:
        return self.cells_per_disc * len(self.levels) + self.qc_reserve_cells


@functools.lru_cache(maxsize=256)
def _stored_levels(text: str) -> tuple[str, ...]:
    """The levels of a stored ``disc_levels`` text (read on every row of every list)."""
    return parse_levels(text)
