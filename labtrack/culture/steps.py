"""Culture steps: recording them (with lots and equipment) and second-person verification."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload

from labtrack.accounts.models import User
from labtrack.accounts.rules.signatures import Meaning
from labtrack.accounts.signatures import Signer
from labtrack.audit import capture as audit
from labtrack.clock import CLOCK_SKEW
from labtrack.culture import batches
from labtrack.culture.models import (
    Batch,
    CellCount,
    CultureStep,
    CultureStepEquipment,
    CultureStepLot,
)
from labtrack.culture.rules.protocol import (
    CultureProtocol,
    StepFact,
    StepKind,
    Timing,
    WindowIssue,
    outside_window,
)
from labtrack.culture.rules.states import BatchState
from labtrack.culture.terms import step_kind_label
from labtrack.database import utcnow
from labtrack.errors import ServiceError
from labtrack.extensions import db
from labtrack.inventory import inventory
from labtrack.qms import deviations
from labtrack.qms.models import Deviation
from labtrack.web.policy import Area, require_area

# The kinds a step form records; the harvest has its own use case (culture/harvest.py).
STEP_KINDS = tuple(kind for kind in StepKind if kind is not StepKind.HARVEST)

# A step outside its protocol window is a process deviation (services/deviations.py
# accepts only its own kinds; "protocol_window" would need adding there).
WINDOW_DEVIATION_KIND = "protocol_window"
REQUIRED_FIELDS = {
    StepKind.ISOLATION: ("cells",),
    StepKind.SEEDING: ("flasks", "cells"),
    StepKind.OBSERVATION: ("confluence_percent", "contamination_signs"),
    StepKind.PASSAGE: ("flasks", "cells", "split_ratio"),
}


@dataclass(frozen=True)
class StepData:
    """What a technician records for one culture step."""

    kind: str
    performed_at: datetime
    flasks: int | None = None
    surface_cm2: Decimal | None = None
    seeding_density: int | None = None
    cells: int | None = None
    confluence_percent: int | None = None
    morphology: str | None = None
    contamination_signs: bool | None = None
    split_ratio: str | None = None
    notes: str | None = None
    lots: list[tuple[int, str | None]] = field(default_factory=list)  # (lot id, quantity)
    equipment_ids: list[int] = field(default_factory=list)
    deviation_id: int | None = None


def current_passage(batch: Batch) -> int:
    """The passage the culture is in: the number of passages recorded so far."""
    return db.session.scalar(select(func.count()).select_from(CultureStep).where(
        CultureStep.batch_id == batch.id, CultureStep.kind == StepKind.PASSAGE,
        CultureStep.is_void.is_(False))) or 0


def record_step(acting: User, batch: Batch, data: StepData, tz: ZoneInfo) -> CultureStep:
    """Record a culture step on a batch in culture; flushes, the caller commits.

    The protocol window is not checked here: the bench uses :func:`record_protocol_step`.
    """
    lots, equipment = _prepare(acting, batch, data, tz)
    return _store(acting, batch, data, lots, equipment)


def _prepare(acting: User, batch: Batch, data: StepData, tz: ZoneInfo):
    """Every check of a step: who, the batch's state, the values, its lots and equipment."""
    require_area(acting.role, Area.BENCH, _("Only a lab technician may record culture steps."))
    audit.attribute_to(db.session, acting)
    batches.ensure_editable(batch)
    if batch.state != BatchState.IN_CULTURE:
        raise ServiceError(_("Culture steps can only be recorded while the batch is in culture."))
    _check_step(batch, data)
    day = data.performed_at.astimezone(tz).date()
    lots = [(inventory.usable_lot(lot_id, day), quantity) for lot_id, quantity in data.lots]
    equipment = [inventory.usable_item(item_id, day) for item_id in data.equipment_ids]
    return lots, equipment


def _store(acting: User, batch: Batch, data: StepData, lots, equipment) -> CultureStep:
    passage = current_passage(batch) + (1 if data.kind == StepKind.PASSAGE else 0)
    step = CultureStep(batch_id=batch.id, performed_by_id=acting.id, passage_number=passage,
                       **_step_values(data))
    step.lots = [CultureStepLot(reagent_lot=lot, quantity=quantity) for lot, quantity in lots]
    step.equipment = [CultureStepEquipment(item=item) for item in equipment]
    db.session.add(step)
    db.session.flush()
    if data.kind == StepKind.SEEDING and batch.seeded_at is None:
        with audit.reason(db.session, _("Seeding recorded (culture day 0)")):
            batch.seeded_at = data.performed_at
            db.session.flush()
    return step


def _step_values(data: StepData) -> dict:
    text = {name: (getattr(data, name) or "").strip() or None
            for name in ("morphology", "split_ratio", "notes")}
    return {"kind": data.kind, "performed_at": data.performed_at, "flasks": data.flasks,
            "surface_cm2": data.surface_cm2, "seeding_density": data.seeding_density,
            "cells": data.cells, "confluence_percent": data.confluence_percent,
            "contamination_signs": data.contamination_signs,
            "deviation_id": data.deviation_id, **text}


def _check_step(batch: Batch, data: StepData) -> None:
    if data.kind not in STEP_KINDS:
        raise ServiceError(_("Unknown culture step."), field="kind")
    if data.performed_at > utcnow() + CLOCK_SKEW:
        raise ServiceError(_("A step cannot be recorded in the future: performed at may be "
                             "at most %(skew)s minutes ahead of the server's clock.",
                             skew=int(CLOCK_SKEW.total_seconds() // 60)), field="performed_at")
    if data.performed_at < batch.started_at - CLOCK_SKEW:
        raise ServiceError(_("A step cannot be before the batch started."), field="performed_at")
    if data.kind not in (StepKind.ISOLATION, StepKind.SEEDING) and batch.seeded_at is None:
        raise ServiceError(_("Record the seeding (day 0) first."), field="kind")
    for name in REQUIRED_FIELDS.get(data.kind, ()):
        if getattr(data, name) in (None, ""):
            raise ServiceError(_("This field is required for this step."), field=name)
    for name in ("flasks", "cells", "seeding_density", "surface_cm2"):
        value = getattr(data, name)
        if value is not None and value < 0:
            raise ServiceError(_("This value cannot be negative."), field=name)
    if data.confluence_percent is not None and not 0 <= data.confluence_percent <= 100:
        raise ServiceError(_("Confluence must be between 0 and 100 %."),
                           field="confluence_percent")


def step_signature_content(step: CultureStep) -> dict:
    """What a verifier signs: the step's recorded facts."""
    return {"step_id": step.id, "batch_id": step.batch_id, "kind": step.kind,
            "performed_at": step.performed_at.isoformat(),
            "performed_by_id": step.performed_by_id, "cells": step.cells,
            "flasks": step.flasks, "notes": step.notes}


def verify_step(acting: User, step: CultureStep, sign: Signer) -> CultureStep:
    """A second person verifies a step and signs it (meaning: verified). Commits.

    Everything is checked before ``sign`` is called, so a refused verification leaves
    no signature behind.
    """
    require_area(acting.role, (Area.BENCH, Area.QUALITY),
                 _("Only lab or QA staff may verify a step."))
    batches.ensure_editable(db.session.get(Batch, step.batch_id))
    if acting.id == step.performed_by_id:
        raise ServiceError(_("The person who performed a step cannot verify it."))
    if step.verified_by_id is not None:
        raise ServiceError(_("This step is already verified."))
    signature = sign("culture_step", step.id, step_signature_content(step))
    if signature.meaning != Meaning.VERIFIED or signature.signer_id != acting.id:
        raise ServiceError(_("The verification needs the verifier's own signature."))
    with audit.reason(db.session, _("Second-person verification")):
        step.verified_by_id = acting.id
        step.verification_signature_id = signature.id
        db.session.flush()
    db.session.commit()
    return step


def batch_staff_ids(batch: Batch) -> set[int]:
    """Everyone who received, counted, performed or verified anything (four-eyes rule)."""
    rows = db.session.execute(select(CultureStep.performed_by_id, CultureStep.verified_by_id)
                              .where(CultureStep.batch_id == batch.id)).all()
    counters = db.session.scalars(select(CellCount.entered_by_id)
                                  .where(CellCount.batch_id == batch.id)).all()
    staff = {user_id for row in rows for user_id in row if user_id is not None}
    return staff | set(counters) | {batch.sample.received_by_id}


def steps_in_force(batch: Batch) -> list[CultureStep]:
    """The batch's steps as the record stands: void and amended (superseded) ones left out."""
    every = steps_of(batch)
    superseded = {step.supersedes_id for step in every if step.supersedes_id}
    return [step for step in every if not step.is_void and step.id not in superseded]


# --- The protocol at the bench: windows, deviations, harvest, reading the record ----------


class OutsideWindow(ServiceError):
    """The step is outside its protocol window and no deviation was described."""

    def __init__(self, message: str, issue: WindowIssue) -> None:
        super().__init__(message, field="deviation")
        self.issue = issue


def protocol_from_config(config) -> CultureProtocol:
    """The lab's culture protocol from the ``CULTURE_*`` settings (built only here)."""
    return CultureProtocol.from_config(config)


# Built once, as every batch page runs it.
STEPS_OF_BATCH = (select(CultureStep).where(CultureStep.batch_id == bindparam("batch_id"))
                  .options(joinedload(CultureStep.performed_by))
                  .order_by(CultureStep.performed_at, CultureStep.id))


def steps_of(batch: Batch) -> list[CultureStep]:
    """The batch's steps in the order they were performed, with who performed them (their
    verification signatures, lots and equipment: ``culture.worklist.step_links``)."""
    return list(db.session.scalars(STEPS_OF_BATCH, {"batch_id": batch.id}))


def step_facts_by_batch(batch_ids: list[int]) -> dict[int, list[StepFact]]:
    """What the protocol needs of many batches' steps, in one query of plain columns."""
    grouped: dict[int, list[StepFact]] = {batch_id: [] for batch_id in batch_ids}
    if batch_ids:
        rows = db.session.execute(
            select(CultureStep.batch_id, CultureStep.kind, CultureStep.performed_at,
                   CultureStep.confluence_percent, CultureStep.id)
            .where(CultureStep.batch_id.in_(batch_ids), CultureStep.is_void.is_(False))
            .order_by(CultureStep.performed_at, CultureStep.id))
        for batch_id, kind, performed_at, confluence, step_id in rows:
            grouped[batch_id].append(StepFact(kind, performed_at, confluence, step_id))
    return grouped


def step_facts(steps: list[CultureStep]) -> list[StepFact]:
    """The steps as the protocol sees them (void steps left out)."""
    return [StepFact(step.kind, step.performed_at, step.confluence_percent, step.id)
            for step in steps if not step.is_void]


def window_issue(batch: Batch, kind: str, when: datetime, protocol: CultureProtocol,
                 tz: ZoneInfo, confluence: int | None = None) -> WindowIssue | None:
    """Why a ``kind`` step at ``when`` would be outside its protocol window, if it would."""
    return outside_window(kind, when, step_facts_by_batch([batch.id])[batch.id], tz,
                          protocol, confluence=confluence)


def record_protocol_step(acting: User, batch: Batch, data: StepData, protocol: CultureProtocol,
                         tz: ZoneInfo, deviation: str | None = None) -> CultureStep:
    """Record a step at the bench; commits.

    A step outside its protocol window needs ``deviation`` (what happened and why): a
    minor deviation is opened for QA and linked to the step.
    """
    lots, equipment = _prepare(acting, batch, data, tz)
    confluence = data.confluence_percent if data.kind == StepKind.PASSAGE else None
    issue = window_issue(batch, data.kind, data.performed_at, protocol, tz, confluence)
    if issue is not None:
        if not (deviation or "").strip():
            raise OutsideWindow(_("%(problem)s Describe the deviation to record this step.",
                                  problem=window_message(issue)), issue)
        opened = _open_window_deviation(acting, batch, issue, deviation.strip())
        data = replace(data, deviation_id=opened.id)
    step = _store(acting, batch, data, lots, equipment)
    db.session.commit()
    return step


def _open_window_deviation(acting: User, batch: Batch, issue: WindowIssue,
                           description: str) -> Deviation:
    """Open a minor deviation for a step outside its window (QA investigates and closes it)."""
    return deviations.open_deviation(
        acting, batch, WINDOW_DEVIATION_KIND, "minor",
        _("%(step)s outside its protocol window", step=step_kind_label(issue.kind)),
        f"{window_message(issue)}\n\n{description}")


def window_message(issue: WindowIssue) -> str:
    """A plain sentence saying how the step misses its window."""
    step = step_kind_label(issue.kind)
    if issue.kind == StepKind.PASSAGE:
        return _("%(step)s at %(confluence)d %% confluence is outside the protocol window "
                 "(%(due)d–%(overdue)d %%).", step=step, confluence=issue.confluence,
                 due=issue.due_confluence, overdue=issue.overdue_confluence)
    if issue.timing == Timing.EARLY:
        return _("%(step)s on culture day %(day)d is before its protocol window "
                 "(days %(opens)d–%(closes)d).", step=step, day=issue.day,
                 opens=issue.opens_day, closes=issue.closes_day)
    return _("%(step)s on culture day %(day)d is after its protocol window "
             "(days %(opens)d–%(closes)d).", step=step, day=issue.day,
             opens=issue.opens_day, closes=issue.closes_day)
