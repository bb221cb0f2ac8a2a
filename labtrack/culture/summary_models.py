"""Derived summaries for the busiest lists: kept up to date, never a record in themselves.

Whether a batch has culture tasks due, and where an order stands for the clinician, are
worked out from many records (steps, counts, samples, doses…). The Today worklist and
the readiness list need them for every batch in culture and every order, so the result
is stored here and refreshed in the same transaction as any change to those records
(``labtrack.clinic.summaries``). They are not GMP records: not audited, recomputed at
will from the audited records they summarise.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from labtrack.culture.rules.protocol import CultureState
from labtrack.database import UTCDateTime
from labtrack.extensions import db


class BatchWorklist(db.Model):
    """When a batch in culture has a task due and one overdue, and whether it is at risk."""

    __tablename__ = "batch_worklist"
    __not_audited__ = True  # derived from audited records
    __table_args__ = (Index("ix_batch_worklist_due_on", "due_on"),)

    batch_id: Mapped[int] = mapped_column(ForeignKey("batch.id"), primary_key=True,
                                          autoincrement=False)
    due_on: Mapped[date | None] = mapped_column(Date)  # None: not in culture, or nothing due
    overdue_on: Mapped[date | None] = mapped_column(Date)
    at_risk: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # When the projected ready day passes without the target (compared with now when read:
    # the batch is at risk from then on, until a count says otherwise).
    at_risk_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The culture's state after its steps (``domain.protocol.CultureState``), from which
    # its tasks at any moment are worked out without reading the steps (in culture only).
    isolated: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    seeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    harvested: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    passages: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    non_adherent_removed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    last_feed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_look_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confluence: Mapped[int | None] = mapped_column(Integer)
    last_count_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # a count due after

    @property
    def culture(self) -> CultureState:
        """The stored culture state (its columns are named as its fields)."""
        return CultureState(**{field.name: getattr(self, field.name)
                               for field in fields(CultureState)})


class OrderStatus(db.Model):
    """An order's readiness status as stored (see ``domain.readiness.StoredStatus``)."""

    __tablename__ = "order_status"
    __not_audited__ = True  # derived from audited records
    __table_args__ = (Index("ix_order_status_stage", "stage"),)

    order_id: Mapped[int] = mapped_column(ForeignKey("treatment_order.id"), primary_key=True,
                                          autoincrement=False)
    stage: Mapped[str] = mapped_column(String(30), nullable=False)
    released_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    at_risk_from: Mapped[datetime | None] = mapped_column(UTCDateTime)  # in culture: see above
    # The order's batch in progress (else its latest sample's), and the facts its readiness
    # is worked out from, but for the order's own fields (``domain.readiness_record``).
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batch.id"))
    facts: Mapped[dict | None] = mapped_column(JSON)


class SummaryState(db.Model):
    """The settings the summaries were worked out with (time zone, protocol, lead days).

    One row. When the settings change, every summary is worked out again.
    """

    __tablename__ = "summary_state"
    __not_audited__ = True  # derived from audited records

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    settings_key: Mapped[str] = mapped_column(String(500), nullable=False)
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
