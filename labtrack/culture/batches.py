"""Starting batches and moving them through their lifecycle."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from labtrack import clock, numbering
from labtrack.accounts.models import User
from labtrack.audit import capture as audit
from labtrack.culture.models import Batch
from labtrack.culture.rules.states import (
    INITIAL_STATE,
    BatchState,
    TransitionRefused,
    check_transition,
    is_locked,
)
from labtrack.culture.terms import transition_refusal
from labtrack.errors import ServiceError
from labtrack.extensions import db
from labtrack.identity.models import Sample
from labtrack.orders import orders
from labtrack.orders.models import TreatmentOrder
from labtrack.qms import specifications


class BatchLocked(ServiceError):
    """The batch record is locked (released, rejected, terminated or completed)."""


def start_batch(order: TreatmentOrder, sample: Sample, now: datetime) -> Batch:
    """Start the batch for an accepted sample; flushes, does not commit.

    Refused when the order's authorisation is missing, expired or does not cover its
    disc levels, or when the order already has a batch that is not finished.
    """
    problems = orders.authorisation_issues(
        order, clock.local_date(now, clock.zone_of(current_app.config)))
    if problems:
        raise ServiceError(_("No batch can start: %(problems)s",
                             problems="; ".join(p.message for p in problems)))
    if active_batch_for(order) is not None:
        raise ServiceError(_("This order already has a batch in progress."))
    batch = Batch(
        batch_number=numbering.yearly_number("MSC", numbering.lab_year(now)), order_id=order.id,
        sample_id=sample.id, specification_id=specifications.current_specification().id,
        state=INITIAL_STATE.value, started_at=now,
    )
    db.session.add(batch)
    db.session.flush()
    return batch


def active_batch_for(order: TreatmentOrder) -> Batch | None:
    """The order's batch that is not rejected or terminated, if any."""
    finished = (BatchState.REJECTED.value, BatchState.TERMINATED.value)
    return db.session.scalar(select(Batch).where(Batch.order_id == order.id,
                                                 Batch.state.not_in(finished)))


# Built once, as the pages about a batch run it on every view (building a statement
# costs about as much as running it).
BATCH_BY_NUMBER = (
    select(Batch).where(Batch.batch_number == bindparam("number"))
    .options(joinedload(Batch.order).joinedload(TreatmentOrder.patient),
             joinedload(Batch.order).joinedload(TreatmentOrder.treating_clinician),
             joinedload(Batch.sample)))


def find_batch(batch_number: str) -> Batch | None:
    """The batch with this number (case-insensitive), with the order, patient, treating
    clinician and sample that every page about a batch shows."""
    return db.session.scalar(BATCH_BY_NUMBER, {"number": (batch_number or "").strip().upper()})


def ensure_editable(batch: Batch) -> None:
    """Refuse changes to a locked batch record."""
    if is_locked(batch.state):
        raise BatchLocked(_("Batch %(number)s is locked: its record can no longer change.",
                            number=batch.batch_number))


def change_state(acting: User | None, batch: Batch, target: BatchState | str,
                 reason: str | None) -> Batch:
    """Move a batch to ``target`` if the lifecycle allows it for this role; flushes.

    ``acting=None`` is the system (e.g. completion after the last administration).
    """
    role = acting.role if acting is not None else None
    try:
        check_transition(batch.state, target, role, reason, resume_state=batch.held_from)
    except TransitionRefused as error:
        raise ServiceError(transition_refusal(error)) from None
    if acting is not None:
        audit.attribute_to(db.session, acting)
    target = BatchState(target)
    with audit.reason(db.session, reason or f"Batch {target.value}"):
        batch.held_from = batch.state if target == BatchState.ON_HOLD else None
        batch.state = target.value
        batch.state_reason = (reason or "").strip() or None
        db.session.flush()
    return batch


def record_state_change(acting: User, batch: Batch, target: BatchState | str,
                        reason: str) -> Batch:
    """The batch page's use case: a change of state with its reason. Commits."""
    change_state(acting, batch, target, reason)
    db.session.commit()
    return batch
