"""QA release: the checklist from the database, release, exceptional release and rejection.

A decision is one transaction: the e-signature, the batch's state change (optimistic lock
on ``Batch.version``), the ``batch_release`` row (unique per batch) with its PDF record,
its SHA-256 and the audit-chain head, and the notice to the treating clinician. When two
QA users decide on one batch at the same moment, exactly one decision is stored; the
other gets ``DecisionConflict`` and nothing of theirs is kept.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from labtrack.accounts import notices
from labtrack.accounts.models import Signature, User
from labtrack.accounts.rules.signatures import Meaning
from labtrack.accounts.signatures import Signer
from labtrack.audit import capture as audit
from labtrack.audit import checkpoints as audit_checkpoints
from labtrack.culture import batches, harvest
from labtrack.culture import steps as culture
from labtrack.culture.dose_models import Dose
from labtrack.culture.models import Batch
from labtrack.culture.rules.protocol import StepKind
from labtrack.culture.rules.states import BatchState
from labtrack.culture.terms import step_kind_label
from labtrack.database import utcnow
from labtrack.errors import ServiceError
from labtrack.extensions import db
from labtrack.orders import orders
from labtrack.orders.models import TreatmentOrder
from labtrack.qms import deviations
from labtrack.qms.models import Deviation
from labtrack.quality import pending_results, release_records
from labtrack.quality import qc as quality
from labtrack.quality.models import QcResult, Release
from labtrack.quality.record_pdf.release_record import render_record
from labtrack.quality.rules import recheck
from labtrack.quality.rules import release as rules
from labtrack.quality.rules.release import ChecklistItem, DoseInput, OpenDeviation, OrderInput
from labtrack.quality.rules.verification import StepRecord, critical_steps
from labtrack.quality.terms import checklist_message, local_numbers
from labtrack.web.i18n import document_language
from labtrack.web.policy import Area, require_area

RELEASED, REJECTED = "released", "rejected"
MAX_TEXT = 4000


class DecisionConflict(ServiceError):
    """Someone else decided on (or changed) the batch first; nothing was signed or stored."""


@dataclass(frozen=True)
class RecordSettings:
    """The lab's settings a decision and its record need (from the configuration)."""

    lab_name: str
    zone: ZoneInfo
    product_code: str

    @classmethod
    def from_config(cls, config: Mapping) -> RecordSettings:
        return cls(config["LAB_NAME"], ZoneInfo(config["LAB_TIMEZONE"]), config["PRODUCT_CODE"])


@dataclass(frozen=True)
class ExceptionalRequest:
    """An out-of-specification release: the clinician's request and QA's risk assessment."""

    clinician_request: str
    risk_assessment: str


@dataclass
class Review:
    """Everything the release page and the decision read about one batch."""

    batch: Batch
    order: TreatmentOrder
    lines: list[quality.ResultLine]
    results: list[QcResult]  # every result, superseded ones included
    deviations: list[Deviation]
    doses: list[Dose]
    staff_ids: frozenset[int]
    items: list[ChecklistItem]
    now: datetime

    @property
    def blocking(self) -> list[ChecklistItem]:
        return rules.blocking_items(self.items)

    @property
    def can_release(self) -> bool:
        return rules.can_release(self.items)

    @property
    def can_release_exceptionally(self) -> bool:
        return rules.can_release_exceptionally(self.items)

    @property
    def pending(self) -> list[ChecklistItem]:
        return rules.pending_items(self.items)

    def message(self, item: ChecklistItem) -> str:
        """The item in the reader's language, with deviation numbers and local times."""
        return checklist_message(item, self.display_params(item))

    def display_params(self, item: ChecklistItem) -> dict:
        params = dict(item.params)
        numbers = {d.id: d.number for d in self.deviations}
        if "deviation_id" in params:
            params["number"] = numbers.get(params["deviation_id"], params["deviation_id"])
        doses = {d.id: d for d in self.doses}
        if params.get("dose_id") in doses:
            dose = doses[params["dose_id"]]
            params["dose_code"] = dose.dose_code
            local = dose.expires_at.astimezone(self.now.tzinfo)
            params["expires_at"] = f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
        if "step_kind" in params:
            params.update(_step_params(params, self.now.tzinfo))
        return local_numbers(params, self.lines)


def _step_params(params: dict, zone) -> dict:
    """An unverified step as people name it: "Passage 2", performed at a local time."""
    label = step_kind_label(params["step_kind"])
    if params["step_kind"] == StepKind.PASSAGE and params.get("passage"):
        label = f"{label} {params['passage']}"
    local = datetime.fromisoformat(params["performed_at"]).astimezone(zone)
    return {"step": label, "performed_at": f"{local:%Y-%m-%d %H:%M} {local.tzname()}"}


def review(batch: Batch, releasing: User, zone: ZoneInfo, now: datetime | None = None) -> Review:
    """Gather the checklist's inputs from the database (a fixed number of queries)."""
    now = (now or utcnow()).astimezone(zone)
    results = quality.all_results(batch)
    superseded = {r.supersedes_id for r in results if r.supersedes_id}
    current = [r for r in results if r.id not in superseded]
    lines = quality.result_lines(quality.specification_tests(batch), current)
    batch_deviations = deviations.batch_deviations(batch)
    doses = harvest.batch_doses(batch)
    staff = frozenset(culture.batch_staff_ids(batch) | {r.entered_by_id for r in results})
    order = batch.order
    steps = tuple(StepRecord(s.id, s.kind, s.performed_at, s.verified_by_id is not None,
                             s.passage_number) for s in culture.steps_in_force(batch))
    inputs = rules.ReleaseInputs(
        results=quality.evaluated(lines),
        deviations=tuple(OpenDeviation(d.id, d.severity, d.title) for d in batch_deviations
                         if d.status != deviations.CLOSED),
        doses=tuple(DoseInput(d.id, d.disc_level, d.viable_cells, d.expires_at) for d in doses),
        order=OrderInput(order.cells_per_disc, order.tolerance_percent, order.levels),
        authorisation=orders.authorisation_of(order), batch_state=batch.state,
        batch_staff_ids=staff, releasing_user_id=releasing.id, now=now, steps=steps,
        critical_steps=critical_steps(current_app.config.get("CULTURE_CRITICAL_STEPS")))
    items = rules.release_checklist(inputs) + recheck.disagreements(inputs.results)
    return Review(batch, order, lines, results, batch_deviations, doses, staff, items, now)


def decision_of(batch: Batch) -> Release | None:
    """The QA decision on the batch, if there is one."""
    return db.session.scalar(select(Release).where(Release.batch_id == batch.id))


def _require_qa(acting: User) -> None:
    require_area(acting.role, Area.QUALITY, _("Only QA may release or reject a batch."))
    audit.attribute_to(db.session, acting)


def _refuse_if_decided_or_changed(batch: Batch, expected_version: int | None) -> None:
    decided = decision_of(batch)
    if decided is not None:
        raise DecisionConflict(_("Batch %(batch)s was already %(decision)s by %(name)s.",
                                 batch=batch.batch_number, decision=_decision_word(decided),
                                 name=decided.signature.printed_name))
    if expected_version is not None and batch.version != expected_version:
        raise DecisionConflict(_("Batch %(batch)s changed while you were reviewing it. "
                                 "Nothing was signed: review it again.",
                                 batch=batch.batch_number))


def _decision_word(release: Release) -> str:
    return _("released") if release.decision == RELEASED else _("rejected")


def _clean(text: str | None, field: str, message: str) -> str:
    text = (text or "").strip()
    if not text or len(text) > MAX_TEXT:
        raise ServiceError(message, field=field)
    return text


def _check_releasable(rev: Review, exceptional: ExceptionalRequest | None) -> None:
    if exceptional is None:
        if not rev.can_release:
            raise ServiceError(_("The batch cannot be released: %(items)s",
                                 items=" ".join(rev.message(i) for i in rev.blocking)))
        return
    if not rev.can_release_exceptionally:
        hard = rules.never_overridable_items(rev.items)
        if not hard:
            raise ServiceError(_("Nothing is out of specification: use the ordinary release."))
        raise ServiceError(_("An exceptional release cannot cover: %(items)s",
                             items=" ".join(rev.message(i) for i in hard)))


def checklist_snapshot(rev: Review) -> str:
    """The checklist as it stood at the decision, as JSON."""
    items = [{"code": i.code, "ok": i.ok, "kind": str(i.kind), "blocking": i.blocking,
              "message": rev.message(i), "params": i.params} for i in rev.items]
    return json.dumps(items, default=str, ensure_ascii=False, sort_keys=True)


def decision_content(rev: Review, decision: str, reason: str | None = None,
                     exceptional: ExceptionalRequest | None = None) -> dict:
    """What QA signs: the batch, its doses, the decision and the checklist codes."""
    return {"batch": rev.batch.batch_number, "decision": decision, "reason": reason,
            "exceptional": exceptional is not None,
            "clinician_request": exceptional.clinician_request if exceptional else None,
            "risk_assessment": exceptional.risk_assessment if exceptional else None,
            "doses": [d.dose_code for d in rev.doses],
            "unmet": sorted(i.code for i in rev.items if not i.ok)}


def release(acting: User, batch: Batch, sign: Signer, settings: RecordSettings,
            expected_version: int | None = None,
            exceptional: ExceptionalRequest | None = None) -> Release:
    """Release the batch for clinical use (or exceptionally, out of specification). Commits."""
    _require_qa(acting)
    _refuse_if_decided_or_changed(batch, expected_version)
    if exceptional is not None:
        exceptional = ExceptionalRequest(
            _clean(exceptional.clinician_request, "clinician_request",
                   _("Record the treating clinician's documented request.")),
            _clean(exceptional.risk_assessment, "risk_assessment",
                   _("Record QA's risk assessment.")))
    rev = review(batch, acting, settings.zone)
    _check_releasable(rev, exceptional)
    content = decision_content(rev, RELEASED, exceptional=exceptional)
    return _decide(acting, rev, sign, settings, Meaning.RELEASED, content, exceptional, None)


def reject(acting: User, batch: Batch, sign: Signer, settings: RecordSettings, why: str,
           expected_version: int | None = None) -> Release:
    """Reject the batch, with a reason and a signature. Commits."""
    _require_qa(acting)
    _refuse_if_decided_or_changed(batch, expected_version)
    why = _clean(why, "reason", _("Give the reason for rejecting the batch."))
    if batch.state != BatchState.AWAITING_RELEASE:
        raise ServiceError(_("Only a batch awaiting release can be rejected; terminate it "
                             "instead."))
    rev = review(batch, acting, settings.zone)
    content = decision_content(rev, REJECTED, reason=why)
    return _decide(acting, rev, sign, settings, Meaning.REJECTED, content, None, why)


def _decide(acting: User, rev: Review, sign: Signer, settings: RecordSettings,
            meaning: Meaning, content: dict, exceptional: ExceptionalRequest | None,
            why: str | None) -> Release:
    batch, number = rev.batch, rev.batch.batch_number
    signature = sign("batch", batch.id, content)
    if signature.meaning != meaning or signature.signer_id != acting.id:
        raise ServiceError(_("The decision needs your own signature with its meaning."))
    released = meaning == Meaning.RELEASED
    try:
        target = BatchState.RELEASED if released else BatchState.REJECTED
        batches.change_state(acting, batch, target, why or _("Released for clinical use"))
        with document_language():  # the record and the notice are the lab's documents
            decision = _store(rev, signature, settings, exceptional, why)
            _notify(rev, decision)
        db.session.commit()
    except (StaleDataError, IntegrityError):
        db.session.rollback()
        raise DecisionConflict(_("Another QA user decided on batch %(batch)s at the same "
                                 "moment. Nothing of yours was signed or stored: reload the "
                                 "batch to see the decision.", batch=number)) from None
    return decision


def _store(rev: Review, signature: Signature, settings: RecordSettings,
           exceptional: ExceptionalRequest | None, why: str | None) -> Release:
    # The signature and the state change are linked into the chain now, and that position
    # is anchored outside the database at commit; the record prints the checkpoint.
    anchor = audit_checkpoints.checkpoint_now(
        db.session, f"release BRR-{rev.batch.batch_number}")
    head_seq, head_hash = anchor.seq, anchor.link
    decision = Release(
        batch_id=rev.batch.id, decision=RELEASED if signature.meaning == "released" else REJECTED,
        exceptional=exceptional is not None, decided_at=signature.signed_at,
        signature_id=signature.id, reason=why,
        clinician_request=exceptional.clinician_request if exceptional else None,
        risk_assessment=exceptional.risk_assessment if exceptional else None,
        checklist=checklist_snapshot(rev), document_id=f"BRR-{rev.batch.batch_number}",
        audit_head_hash=head_hash, audit_checkpoint=anchor.to_json())
    decision.signature = signature
    record = release_records.assemble(rev, decision, settings, head_seq)
    decision.record_pdf = render_record(record)
    decision.record_sha256 = hashlib.sha256(decision.record_pdf).hexdigest()
    db.session.add(decision)
    db.session.flush()
    return decision


def _notify(rev: Review, decision: Release) -> None:
    batch, order = rev.batch, rev.order
    patient = order.patient.display_name
    if decision.decision == REJECTED:
        message = _("Batch %(batch)s for your patient %(patient)s was rejected by QA: "
                    "%(reason)s", batch=batch.batch_number, patient=patient,
                    reason=decision.reason)
        severity, kind = "warning", "batch_rejected"
    else:
        expiry = min(d.expires_at for d in rev.doses).astimezone(rev.now.tzinfo)
        message = _("Batch %(batch)s for your patient %(patient)s was released for clinical "
                    "use. The doses expire at %(expiry)s.", batch=batch.batch_number,
                    patient=patient, expiry=f"{expiry:%Y-%m-%d %H:%M} {expiry.tzname()}")
        if decision.exceptional:
            message += " " + _("This is an exceptional release of an out-of-specification "
                               "product, at your documented request.")
        if rev.pending:
            message += " " + _("Results still pending: %(tests)s. You will be alerted if one "
                               "fails.", tests=", ".join(i.params["name"] for i in rev.pending))
        severity = "warning" if decision.exceptional or rev.pending else "info"
        kind = "batch_released"
    notices.notify(order.treating_clinician_id, kind, message, severity=severity,
                   batch_id=batch.id, order_id=order.id)


# --- the QA queue ------------------------------------------------------------------------


def awaiting_release() -> list[Batch]:
    """Batches awaiting QA's decision, oldest harvest first (orders and patients loaded)."""
    return list(db.session.scalars(
        select(Batch).where(Batch.state == BatchState.AWAITING_RELEASE.value)
        .options(selectinload(Batch.order).selectinload(TreatmentOrder.patient))
        .order_by(Batch.harvested_at, Batch.id)))


def earliest_expiry(batch_ids: set[int]) -> dict[int, datetime]:
    """The first expiry of each batch's current doses."""
    if not batch_ids:
        return {}
    return dict(db.session.execute(select(Dose.batch_id, func.min(Dose.expires_at))
                                   .where(Dose.batch_id.in_(batch_ids),
                                          Dose.superseded_by_id.is_(None))
                                   .group_by(Dose.batch_id)).all())


def review_queue() -> dict:
    """What QA's home page lists (a fixed number of queries)."""
    awaiting = awaiting_release()
    open_deviations = [tuple(row) for row in db.session.execute(
        select(Deviation, Batch.batch_number).outerjoin(Batch, Batch.id == Deviation.batch_id)
        .where(Deviation.status != deviations.CLOSED)
        .order_by(Deviation.opened_at.desc(), Deviation.id.desc()))]
    return {"awaiting": awaiting, "expiry": earliest_expiry({b.id for b in awaiting}),
            "open_deviations": open_deviations, "pending": pending_after_release()}


@dataclass(frozen=True)
class PendingAfterRelease:
    batch: Batch
    tests: list[str]


def pending_after_release() -> list[PendingAfterRelease]:
    """Released batches still waiting for results that were allowed to be pending."""
    released = list(db.session.scalars(select(Batch).where(
        Batch.state.in_(quality.AFTER_RELEASE_STATES)).order_by(Batch.id)))
    if not released:
        return []
    from_spec = pending_results.pending_allowed_tests({b.specification_id for b in released})
    done = pending_results.result_codes({b.id for b in released})
    rows = []
    for batch in released:
        missing = [name for code, name in from_spec.get(batch.specification_id, [])
                   if (batch.id, code) not in done]
        if missing:
            rows.append(PendingAfterRelease(batch, missing))
    return rows
