"""Batches and their culture record: steps (with lots and equipment) and cell counts."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from labtrack.accounts.models import User
from labtrack.database import PkMixin, TimestampMixin, UTCDateTime
from labtrack.extensions import db
from labtrack.identity.models import Sample
from labtrack.inventory.models import Equipment, ReagentLot
from labtrack.orders.models import TreatmentOrder


class Batch(PkMixin, TimestampMixin, db.Model):
    """One patient's culture, from the accepted sample to the released doses."""

    __tablename__ = "batch"
    __table_args__ = (
        Index("ix_batch_state", "state"),
        Index("ix_batch_started_at_id", "started_at", "id"),  # the batch list, newest first
    )
    __audit_exempt__ = frozenset({"version"})

    batch_number: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)
    order_id: Mapped[int] = mapped_column(ForeignKey("treatment_order.id"), index=True,
                                          nullable=False)
    sample_id: Mapped[int] = mapped_column(ForeignKey("sample.id"), unique=True, nullable=False)
    specification_id: Mapped[int] = mapped_column(ForeignKey("specification.id"), nullable=False)
    state: Mapped[str] = mapped_column(String(20), nullable=False)
    held_from: Mapped[str | None] = mapped_column(String(20))
    state_reason: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    seeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    harvested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    final_viable_cells: Mapped[int | None] = mapped_column(BigInteger)
    final_viability_percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    # Optimistic locking: two people changing one batch at once cannot both win.
    __mapper_args__ = {"version_id_col": version}

    order: Mapped[TreatmentOrder] = relationship()
    sample: Mapped[Sample] = relationship()


class CultureStep(PkMixin, TimestampMixin, db.Model):
    """One recorded step of the culture; corrections supersede, never overwrite."""

    __tablename__ = "culture_step"
    __table_args__ = (Index("ix_culture_step_batch_performed", "batch_id", "performed_at"),)

    batch_id: Mapped[int] = mapped_column(ForeignKey("batch.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(30), nullable=False)
    performed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    performed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), nullable=False)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    verification_signature_id: Mapped[int | None] = mapped_column(ForeignKey("signature.id"))
    passage_number: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    flasks: Mapped[int | None] = mapped_column(Integer)
    surface_cm2: Mapped[Decimal | None] = mapped_column(Numeric(8, 1))
    seeding_density: Mapped[int | None] = mapped_column(Integer)  # cells per cm²
    cells: Mapped[int | None] = mapped_column(BigInteger)  # isolated or seeded cells
    confluence_percent: Mapped[int | None] = mapped_column(Integer)
    morphology: Mapped[str | None] = mapped_column(String(200))
    contamination_signs: Mapped[bool | None] = mapped_column(Boolean)
    split_ratio: Mapped[str | None] = mapped_column(String(20))
    notes: Mapped[str | None] = mapped_column(Text)
    deviation_id: Mapped[int | None] = mapped_column(ForeignKey("deviation.id"))
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("culture_step.id"), index=True)
    amendment_reason: Mapped[str | None] = mapped_column(Text)
    is_void: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    performed_by: Mapped[User] = relationship(foreign_keys=[performed_by_id])
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])
    lots: Mapped[list[CultureStepLot]] = relationship(back_populates="step")
    equipment: Mapped[list[CultureStepEquipment]] = relationship(back_populates="step")


class CultureStepLot(PkMixin, db.Model):
    """A reagent lot used in a step (the traceability and recall link)."""

    __tablename__ = "culture_step_lot"

    step_id: Mapped[int] = mapped_column(ForeignKey("culture_step.id"), index=True,
                                         nullable=False)
    reagent_lot_id: Mapped[int] = mapped_column(ForeignKey("reagent_lot.id"), index=True,
                                                nullable=False)
    quantity: Mapped[str | None] = mapped_column(String(50))

    step: Mapped[CultureStep] = relationship(back_populates="lots")
    reagent_lot: Mapped[ReagentLot] = relationship()


class CultureStepEquipment(PkMixin, db.Model):
    """A piece of equipment used in a step."""

    __tablename__ = "culture_step_equipment"

    step_id: Mapped[int] = mapped_column(ForeignKey("culture_step.id"), index=True,
                                         nullable=False)
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id"), index=True,
                                              nullable=False)

    step: Mapped[CultureStep] = relationship(back_populates="equipment")
    item: Mapped[Equipment] = relationship()


class CounterFile(PkMixin, TimestampMixin, db.Model):
    """A cell counter's export file, kept byte for byte as imported, once (by its SHA-256)."""

    __tablename__ = "counter_file"
    __audit_exempt__ = frozenset({"content"})  # the trail keeps its SHA-256, not its bytes
    __immutable__ = True  # a stored file never changes (database triggers refuse it too)
    __audit_digest__ = ("content", "sha256")  # audit-verify checks the bytes

    sha256: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    file_format: Mapped[str] = mapped_column(String(20), nullable=False)
    size_bytes: Mapped[int] = mapped_column(Integer, nullable=False)
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    imported_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), nullable=False)

    imported_by: Mapped[User] = relationship()


class CellCount(PkMixin, TimestampMixin, db.Model):
    """A cell count; an amendment is a new count that supersedes the wrong one."""

    __tablename__ = "cell_count"
    __table_args__ = (Index("ix_cell_count_batch_counted", "batch_id", "counted_at"),)

    batch_id: Mapped[int] = mapped_column(ForeignKey("batch.id"), nullable=False)
    counted_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    passage_number: Mapped[int] = mapped_column(Integer, nullable=False)
    method: Mapped[str] = mapped_column(String(30), nullable=False)
    viable_cells: Mapped[int] = mapped_column(BigInteger, nullable=False)
    dead_cells: Mapped[int] = mapped_column(BigInteger, nullable=False)
    viability_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), nullable=False)
    live_counted: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))  # mean per square
    dead_counted: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    volume_ml: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    dilution: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    entered_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), nullable=False)
    source: Mapped[str] = mapped_column(String(20), nullable=False, default="manual")
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("cell_count.id"), index=True)
    amendment_reason: Mapped[str | None] = mapped_column(Text)
    is_void: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # Set when the count came from a counter's export file.
    counter_file_id: Mapped[int | None] = mapped_column(ForeignKey("counter_file.id"),
                                                        index=True)
    instrument_serial: Mapped[str | None] = mapped_column(String(60))
    operator: Mapped[str | None] = mapped_column(String(100))  # as the counter names them
    # A value past a soft plausibility limit (culture/plausibility.py): what the technician
    # was warned of, and the reason given when confirming it.
    plausibility_warning: Mapped[str | None] = mapped_column(Text)
    plausibility_reason: Mapped[str | None] = mapped_column(Text)

    entered_by: Mapped[User] = relationship()
    counter_file: Mapped[CounterFile | None] = relationship()
