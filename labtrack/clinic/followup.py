"""Follow-up visits: the schedule from the injection, recording a visit's scores and
correcting one with a reason (a new entry supersedes the wrong one)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from labtrack.accounts.models import User
from labtrack.audit import capture as audit
from labtrack.clinic.models import DiscImaging, FollowUpVisit
from labtrack.clinic.rules import followup, odi
from labtrack.clinic.rules.followup import (
    BASELINE,
    MAX_DISC_HEIGHT_MM,
    PFIRRMANN_GRADES,
    Analgesics,
    PainScale,
    Pgic,
    PlannedVisit,
    VisitState,
    Window,
)
from labtrack.clinic.rules.outcomes import Join, ResponderRule
from labtrack.clock import lab_today, local_date
from labtrack.culture.dose_models import Administration, Dose
from labtrack.culture.models import Batch
from labtrack.database import not_superseded
from labtrack.errors import PermissionDenied, ServiceError
from labtrack.extensions import db
from labtrack.orders.models import TreatmentOrder
from labtrack.web.policy import Area, may_read_order, require_area

MAX_NOTES = 2000


@dataclass(frozen=True)
class FollowUpSettings:
    """The lab's follow-up settings (config ``FOLLOWUP_*`` and ``OUTCOME_*``)."""

    schedule: tuple[PlannedVisit, ...] = followup.DEFAULT_SCHEDULE
    pain_scale: PainScale = PainScale.NRS
    odi_max_missing: int = odi.DEFAULT_MAX_MISSING
    rule: ResponderRule = ResponderRule()
    endpoint: str = "month_12"

    @classmethod
    def from_config(cls, config: Mapping) -> FollowUpSettings:
        schedule = followup.parse_schedule(config.get("FOLLOWUP_SCHEDULE",
                                                      followup.DEFAULT_SCHEDULE_TEXT))
        rule = ResponderRule(Decimal(str(config.get("OUTCOME_PAIN_DROP_PERCENT", 30))),
                             Decimal(str(config.get("OUTCOME_ODI_DROP_POINTS", 10))),
                             Join(config.get("OUTCOME_RULE_JOIN", "any")))
        endpoint = config.get("OUTCOME_ENDPOINT", schedule[-1].key)
        if endpoint not in {visit.key for visit in schedule}:
            raise followup.ScheduleError(f"the end point {endpoint!r} is not in the schedule")
        return cls(schedule, PainScale(config.get("FOLLOWUP_PAIN_SCALE", "nrs")),
                   int(config.get("FOLLOWUP_ODI_MAX_MISSING", odi.DEFAULT_MAX_MISSING)),
                   rule, endpoint)

    @property
    def keys(self) -> list[str]:
        return [visit.key for visit in self.schedule]


@dataclass(frozen=True)
class DiscData:
    disc_level: str
    pfirrmann_grade: int | None = None
    disc_height_mm: Decimal | None = None
    t2_signal: Decimal | None = None


@dataclass(frozen=True)
class VisitData:
    """A visit as typed: scores on the lab's pain scale, the ten ODI answers (None:
    skipped), MRI per treated disc when there is one."""

    visit_key: str
    visit_date: date
    back_pain: int | None = None
    leg_pain: int | None = None
    odi_answers: Sequence[int | None] = ()
    pgic: str | None = None
    analgesics: str | None = None
    notes: str | None = None
    discs: Sequence[DiscData] = field(default_factory=tuple)


def injection_date(order: TreatmentOrder, zone) -> date | None:
    """The lab date of the order's first administration (None before the injection)."""
    first = db.session.scalar(
        select(func.min(Administration.administered_at))
        .join(Dose, Dose.id == Administration.dose_id).join(Batch, Batch.id == Dose.batch_id)
        .where(Batch.order_id == order.id))
    return local_date(first, zone) if first else None


def current_visits(order: TreatmentOrder) -> list[FollowUpVisit]:
    """The order's visits in force (corrections replace what they supersede), by date."""
    return list(db.session.scalars(
        select(FollowUpVisit).where(FollowUpVisit.order_id == order.id,
                                    not_superseded(FollowUpVisit))
        .order_by(FollowUpVisit.visit_date, FollowUpVisit.id)))


def visit_history(order: TreatmentOrder) -> list[FollowUpVisit]:
    """Every entry, superseded ones too, oldest first (the record's history)."""
    return list(db.session.scalars(select(FollowUpVisit).where(
        FollowUpVisit.order_id == order.id).order_by(FollowUpVisit.id)))


def is_superseded(visit: FollowUpVisit) -> bool:
    return db.session.scalar(select(FollowUpVisit.id).where(
        FollowUpVisit.supersedes_id == visit.id).limit(1)) is not None


def schedule(order: TreatmentOrder, settings: FollowUpSettings, zone,
             today: date | None = None) -> list[tuple[Window, VisitState]]:
    """The order's planned visits and where each stands (empty before the injection)."""
    injected = injection_date(order, zone)
    if injected is None:
        return []
    done = {visit.visit_key for visit in current_visits(order)}
    return followup.schedule_states(injected, today or lab_today(zone), done,
                                    settings.schedule)


def require_treating(acting: User, order: TreatmentOrder, refusal: str | None = None) -> None:
    """Recording is the treating clinician's (need-to-know, ``web.policy``)."""
    require_area(acting.role, Area.CLINIC, refusal or _("Only a clinician may record a "
                                                        "follow-up visit."))
    if not may_read_order(acting.role, acting.id, order.treating_clinician_id):
        raise PermissionDenied(_("This patient is treated by another clinician."))
    audit.attribute_to(db.session, acting)


def record_visit(acting: User, order: TreatmentOrder, data: VisitData,
                 settings: FollowUpSettings, zone) -> FollowUpVisit:
    """Record one visit of the schedule. Commits."""
    require_treating(acting, order)
    if any(visit.visit_key == data.visit_key for visit in current_visits(order)):
        raise ServiceError(_("This visit is already recorded: correct it instead."),
                           field="visit_key")
    visit = _new_visit(acting, order, data, settings, zone)
    db.session.commit()
    return visit


def correct_visit(acting: User, original: FollowUpVisit, data: VisitData, why: str | None,
                  settings: FollowUpSettings, zone) -> FollowUpVisit:
    """Correct a visit: a new entry supersedes it, with the reason. Commits."""
    order = db.session.get(TreatmentOrder, original.order_id)
    require_treating(acting, order)
    if not (why or "").strip():
        raise audit.ReasonRequired(_("Give the reason for the correction."), field="reason")
    if is_superseded(original):
        raise ServiceError(_("This visit was already corrected; correct the latest entry."))
    if any(visit.visit_key == data.visit_key and visit.id != original.id
           for visit in current_visits(order)):
        raise ServiceError(_("That visit is already recorded: correct it instead."),
                           field="visit_key")
    with audit.reason(db.session, why):
        visit = _new_visit(acting, order, data, settings, zone)
        visit.supersedes_id, visit.amendment_reason = original.id, why.strip()
        db.session.flush()
    db.session.commit()
    return visit


def _new_visit(acting: User, order: TreatmentOrder, data: VisitData,
               settings: FollowUpSettings, zone) -> FollowUpVisit:
    _check_when(order, data, settings, zone)
    scale = settings.pain_scale
    for name, value in (("back_pain", data.back_pain), ("leg_pain", data.leg_pain)):
        if not followup.pain_in_range(value, scale):
            raise ServiceError(_("Pain is rated 0 to %(top)d.", top=followup.SCALE_MAX[scale]),
                               field=name)
    index = _odi(data.odi_answers, settings)
    _check_choices(data)
    notes = (data.notes or "").strip() or None
    if notes and len(notes) > MAX_NOTES:
        raise ServiceError(_("Notes are at most 2000 characters."), field="notes")
    visit = FollowUpVisit(
        order_id=order.id, visit_key=data.visit_key, visit_date=data.visit_date,
        pain_scale=scale.value, back_pain=data.back_pain, leg_pain=data.leg_pain,
        odi_answers=odi.encode(data.odi_answers) if index is not None else None,
        odi_percent=index, pgic=data.pgic or None, analgesics=data.analgesics or None,
        notes=notes, recorded_by_id=acting.id)
    db.session.add(visit)
    db.session.flush()
    for disc in _discs(order, data.discs):
        db.session.add(DiscImaging(visit_id=visit.id, disc_level=disc.disc_level,
                                   pfirrmann_grade=disc.pfirrmann_grade,
                                   disc_height_mm=disc.disc_height_mm,
                                   t2_signal=disc.t2_signal))
    db.session.flush()
    return visit


def _check_when(order: TreatmentOrder, data: VisitData, settings: FollowUpSettings,
                zone) -> None:
    if data.visit_key not in settings.keys:
        raise ServiceError(_("Choose a visit of the schedule."), field="visit_key")
    if data.visit_date > lab_today(zone):
        raise ServiceError(_("The visit date cannot be in the future."), field="visit_date")
    injected = injection_date(order, zone)
    if data.visit_key != BASELINE and injected is None:
        raise ServiceError(_("Only the baseline can be recorded before the injection."),
                           field="visit_key")
    if data.visit_key != BASELINE and data.visit_date <= injected:
        raise ServiceError(_("A follow-up visit comes after the injection (%(day)s).",
                             day=injected.isoformat()), field="visit_date")
    if data.visit_key == BASELINE and injected and data.visit_date > injected:
        raise ServiceError(_("The baseline is assessed before the injection (%(day)s).",
                             day=injected.isoformat()), field="visit_date")


def _odi(answers: Sequence[int | None], settings: FollowUpSettings) -> Decimal | None:
    if not answers or all(answer is None for answer in answers):
        return None  # the questionnaire was not given at this visit
    try:
        return odi.odi_index(list(answers), settings.odi_max_missing)
    except odi.OdiError as error:
        if error.problem is odi.OdiProblem.TOO_MANY_MISSING:
            raise ServiceError(_("%(missing)d ODI sections are unanswered; at most %(limit)d "
                                 "may be for the questionnaire to be scored.",
                                 missing=error.detail, limit=settings.odi_max_missing),
                               field="odi") from None
        raise ServiceError(_("Each ODI section is answered 0 to 5."), field="odi") from None


def _check_choices(data: VisitData) -> None:
    if data.pgic and data.pgic not in set(Pgic):
        raise ServiceError(_("Choose the patient's impression of change."), field="pgic")
    if data.analgesics and data.analgesics not in set(Analgesics):
        raise ServiceError(_("Choose the analgesic use."), field="analgesics")


def _discs(order: TreatmentOrder, discs: Sequence[DiscData]) -> list[DiscData]:
    """The MRI findings given, each for a treated disc, in range."""
    found = []
    for disc in discs:
        if disc.pfirrmann_grade is None and disc.disc_height_mm is None \
                and disc.t2_signal is None:
            continue
        if disc.disc_level not in order.levels:
            raise ServiceError(_("MRI findings are for the treated discs only."), field="mri")
        if disc.pfirrmann_grade is not None and disc.pfirrmann_grade not in PFIRRMANN_GRADES:
            raise ServiceError(_("The Pfirrmann grade is I to V."), field="mri")
        if disc.disc_height_mm is not None and not 0 < disc.disc_height_mm \
                < MAX_DISC_HEIGHT_MM:
            raise ServiceError(_("A disc height is between 0 and 30 mm."), field="mri")
        found.append(disc)
    return found


def decimal_or_none(text: str | None) -> Decimal | None:
    """A typed number, or None when empty; ServiceError when it is not a number."""
    text = (text or "").strip().replace(",", ".")
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ServiceError(_("Enter a number, e.g. 9.5."), field="mri") from None
    if not number.is_finite() or abs(number) >= 10**5:
        raise ServiceError(_("Enter a number, e.g. 9.5."), field="mri")
    return number


@dataclass(frozen=True)
class DueVisit:
    """A visit due or overdue for one of the clinician's patients."""

    order: TreatmentOrder
    window: Window
    state: VisitState


def due_visits(clinician_id: int, settings: FollowUpSettings, zone,
               today: date | None = None) -> list[DueVisit]:
    """The clinician's patients' visits due or overdue, overdue first, then by due date.

    A visit overdue past the end point's window is no longer listed: the patient is
    counted as lost to follow-up in the cohort report.
    """
    return most_pressing_visits(clinician_id, settings, zone, None, today)[0]


def most_pressing_visits(clinician_id: int, settings: FollowUpSettings, zone,
                         limit: int | None, today: date | None = None,
                         ) -> tuple[list[DueVisit], int]:
    """The first ``limit`` visits due (all when None) and how many are due in all. Four
    queries, however many patients: only the orders listed are loaded."""
    due = _due(clinician_id, settings, zone, today)
    shown = due[:limit]
    orders = {order.id: order for order in db.session.scalars(
        select(TreatmentOrder).where(TreatmentOrder.id.in_({order_id for order_id, *_ in shown}))
        .options(selectinload(TreatmentOrder.patient)))} if shown else {}
    return [DueVisit(orders[order_id], window, state) for order_id, window, state in shown], \
        len(due)


def _due(clinician_id: int, settings: FollowUpSettings, zone,
         today: date | None) -> list[tuple[int, Window, VisitState]]:
    today = today or lab_today(zone)
    # Only an order injected within the schedule's span (plus a day for the lab's zone)
    # can have a visit still to list: the archive of earlier patients is not read.
    span = max((visit.offset_days + visit.after_days for visit in settings.schedule), default=0)
    since = datetime.combine(today - timedelta(days=span + 1), time.min, tzinfo=UTC)
    recent = (select(Batch.order_id).join(Dose, Dose.batch_id == Batch.id)
              .join(Administration, Administration.dose_id == Dose.id)
              .where(Administration.administered_at >= since))
    treated = db.session.execute(
        select(TreatmentOrder.id, func.min(Administration.administered_at))
        .join(Batch, Batch.order_id == TreatmentOrder.id).join(Dose, Dose.batch_id == Batch.id)
        .join(Administration, Administration.dose_id == Dose.id)
        .where(TreatmentOrder.treating_clinician_id == clinician_id,
               TreatmentOrder.id.in_(recent))
        .group_by(TreatmentOrder.id)).all()
    recorded: dict[int, set[str]] = {}
    if treated:
        for order_id, key in db.session.execute(
                select(FollowUpVisit.order_id, FollowUpVisit.visit_key)
                .where(FollowUpVisit.order_id.in_([order_id for order_id, _first in treated]),
                       not_superseded(FollowUpVisit))):
            recorded.setdefault(order_id, set()).add(key)
    found = []
    for order_id, first in treated:
        states = followup.schedule_states(local_date(first, zone), today,
                                          recorded.get(order_id, ()), settings.schedule)
        if states and today <= states[-1][0].closes:
            found += [(order_id, window, state) for window, state in states
                      if state in (VisitState.DUE, VisitState.OVERDUE)]
    return sorted(found, key=lambda due: (due[2] is not VisitState.OVERDUE,
                                          due[1].due, due[0]))
