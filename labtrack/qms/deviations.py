"""Deviations: open, investigate, close with a QA signature.

Anyone in the lab (technician or QA) may open a deviation and record its investigation;
only QA closes one, with an electronic signature meaning "closed". An open major or
critical deviation blocks the batch's release (``labtrack.quality.rules.release``). Deviations
may be opened on any batch, even a released one (a late out-of-specification result).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from flask_babel import gettext as _
from sqlalchemy import Select, select

from labtrack import numbering
from labtrack.accounts.models import User
from labtrack.accounts.rules.signatures import Meaning
from labtrack.accounts.signatures import Signer
from labtrack.audit import capture as audit
from labtrack.database import utcnow
from labtrack.errors import ServiceError
from labtrack.extensions import db
from labtrack.qms.models import Deviation
from labtrack.qms.rules.deviations import Severity
from labtrack.web.policy import Area, require_area

OPEN, INVESTIGATING, CLOSED = "open", "investigating", "closed"
STATUSES = (OPEN, INVESTIGATING, CLOSED)
SEVERITIES = tuple(severity.value for severity in Severity)
# Kinds a person may choose; the system also opens the SYSTEM_KINDS.
KINDS = ("process", "equipment", "material", "environment", "documentation",
         "out_of_specification", "general")
SYSTEM_KINDS = ("sample_acceptance", "protocol_window")
OUT_OF_SPECIFICATION = "out_of_specification"
INVESTIGATION_FIELDS = ("root_cause", "impact", "corrective_actions", "preventive_actions")
MAX_TITLE = 200



class Batch(Protocol):
    """What a deviation needs of the batch it is raised on (culture's Batch, above us)."""

    id: int
    order_id: int
    sample_id: int


# sign(record_type, record_id, content) -> Signature: the view's signing step.


@dataclass(frozen=True)
class Investigation:
    """What the investigation found and what will be done about it."""

    root_cause: str | None = None
    impact: str | None = None
    corrective_actions: str | None = None
    preventive_actions: str | None = None


def _require_staff(acting: User) -> None:
    require_area(acting.role, (Area.BENCH, Area.QUALITY),
                 _("Only lab or QA staff may record deviations."))
    audit.attribute_to(db.session, acting)


def _clean(text: str | None) -> str | None:
    return (text or "").strip() or None


def open_deviation(acting: User, batch: Batch | None, kind: str, severity: str, title: str,
                   description: str, immediate_action: str | None = None) -> Deviation:
    """Open a deviation (on a batch, or on none); flushes, the caller commits."""
    _require_staff(acting)
    if kind not in KINDS and kind not in SYSTEM_KINDS:
        raise ServiceError(_("Choose the kind of deviation."), field="kind")
    if severity not in SEVERITIES:
        raise ServiceError(_("Choose minor, major or critical."), field="severity")
    title, description = _clean(title), _clean(description)
    if not title or len(title) > MAX_TITLE:
        raise ServiceError(_("Give a short title (at most 200 characters)."), field="title")
    if not description:
        raise ServiceError(_("Describe what happened."), field="description")
    now = utcnow()
    deviation = Deviation(
        number=numbering.yearly_number("DEV", numbering.lab_year(now)),
        batch_id=batch.id if batch else None, order_id=batch.order_id if batch else None,
        sample_id=batch.sample_id if batch else None, kind=kind, severity=severity,
        status=OPEN, title=title, description=description,
        immediate_action=_clean(immediate_action), opened_by_id=acting.id, opened_at=now)
    db.session.add(deviation)
    db.session.flush()
    return deviation


def report_deviation(acting: User, batch: Batch | None, kind: str, severity: str, title: str,
                     description: str, immediate_action: str | None = None) -> Deviation:
    """The "open a deviation" use case: open it and commit."""
    deviation = open_deviation(acting, batch, kind, severity, title, description,
                               immediate_action)
    db.session.commit()
    return deviation


def investigate(acting: User, deviation: Deviation, findings: Investigation,
                why: str | None = None) -> Deviation:
    """Record or update the investigation; changing a recorded finding needs a reason. Commits."""
    _require_staff(acting)
    if deviation.status == CLOSED:
        raise ServiceError(_("This deviation is closed: its record can no longer change."))
    values = {name: _clean(getattr(findings, name)) for name in INVESTIGATION_FIELDS}
    if not any(values.values()):
        raise ServiceError(_("Record at least one finding."), field="root_cause")
    rewritten = [name for name, value in values.items()
                 if getattr(deviation, name) is not None and getattr(deviation, name) != value]
    if rewritten and not _clean(why):
        raise audit.ReasonRequired(
            _("A reason is required to change a finding already recorded."), field="reason")
    with audit.reason(db.session, _clean(why) or _("Investigation recorded")):
        for name, value in values.items():
            setattr(deviation, name, value)
        deviation.status = INVESTIGATING
        db.session.flush()
    db.session.commit()
    return deviation


def closure_content(deviation: Deviation) -> dict:
    """What QA signs when closing: the deviation and its investigation."""
    return {"deviation": deviation.number, "severity": deviation.severity,
            "title": deviation.title, "description": deviation.description,
            **{name: getattr(deviation, name) for name in INVESTIGATION_FIELDS}}


def close(acting: User, deviation: Deviation, sign: Signer) -> Deviation:
    """Close a deviation with QA's signature (meaning: closed). Commits."""
    require_area(acting.role, Area.QUALITY, _("Only QA may close a deviation."))
    audit.attribute_to(db.session, acting)
    if deviation.status == CLOSED:
        raise ServiceError(_("This deviation is already closed."))
    missing = [name for name in INVESTIGATION_FIELDS if not getattr(deviation, name)]
    if missing:
        raise ServiceError(_("Record the root cause, the impact, and the corrective and "
                             "preventive actions before closing."))
    signature = sign("deviation", deviation.id, closure_content(deviation))
    if signature.meaning != Meaning.CLOSED or signature.signer_id != acting.id:
        raise ServiceError(_("Closing needs your own signature meaning closed."))
    with audit.reason(db.session, _("Deviation closed")):
        deviation.status = CLOSED
        deviation.closed_at = signature.signed_at
        deviation.closure_signature_id = signature.id
        db.session.flush()
    db.session.commit()
    return deviation


def find_deviation(number: str) -> Deviation | None:
    """The deviation with this number (case-insensitive)."""
    return db.session.scalar(select(Deviation).where(
        Deviation.number == (number or "").strip().upper()))


def deviations_query(status: str | None = None) -> Select:
    """Deviations, newest first; ``status="open"`` means not yet closed."""
    query = select(Deviation).order_by(Deviation.opened_at.desc(), Deviation.id.desc())
    if status == OPEN:
        return query.where(Deviation.status != CLOSED)
    if status in STATUSES:
        return query.where(Deviation.status == status)
    return query


def batch_deviations(batch: Batch) -> list[Deviation]:
    """Every deviation of the batch, oldest first."""
    return list(db.session.scalars(select(Deviation).where(Deviation.batch_id == batch.id)
                                   .order_by(Deviation.opened_at, Deviation.id)))
