"""An order's whole story on one timeline, from the order to the administration.

Read-only, a fixed number of queries per order. Entries carry plain values (translated
titles, details, who, a tone for colour and the record they are about); the template
decides how to show and link them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from labtrack.audit.models import AuditEvent
from labtrack.culture.dose_models import Administration, Dose
from labtrack.culture.models import Batch, CellCount, CultureStep
from labtrack.culture.terms import state_label
from labtrack.database import not_superseded
from labtrack.extensions import db
from labtrack.identity.models import ChainOfIdentityEvent, Sample
from labtrack.orders.models import TreatmentOrder
from labtrack.qms.models import Deviation, SpecificationTest
from labtrack.quality.models import QcResult, Release
from labtrack.web.templating import cells as cells_text
from labtrack.web.templating import exact_number

STAGES = ("order", "sample", "culture", "qc", "deviation", "release", "doses",
          "administration", "identity")
SHOWN_STATE_CHANGES = ("on_hold", "terminated", "completed")


@dataclass(frozen=True)
class TimelineEntry:
    """One moment of the story."""

    at: datetime
    stage: str
    title: str
    detail: str | None = None
    who: str | None = None
    tone: str = "info"  # info, ok, warn, bad
    batch_number: str | None = None
    din: str | None = None


def _step_title(step: CultureStep) -> str:
    titles = {
        "isolation": _("Mononuclear cells isolated"),
        "seeding": _("Seeded (culture day 0)"),
        "non_adherent_removal": _("Non-adherent cells removed"),
        "medium_change": _("Medium changed"),
        "observation": _("Culture observed"),
        "passage": _("Passage %(number)d", number=step.passage_number),
        "harvest": _("Harvested"),
        "formulation": _("Formulated into doses"),
    }
    return titles.get(step.kind, step.kind)


def order_timeline(order: TreatmentOrder, tz: ZoneInfo) -> list[TimelineEntry]:
    """Every recorded moment of the order, oldest first (``tz``: for times in details)."""
    batches = list(db.session.scalars(select(Batch).where(Batch.order_id == order.id)
                                      .order_by(Batch.id)))
    numbers = {batch.id: batch.batch_number for batch in batches}
    ids = list(numbers)
    entries = [*_order_entries(order), *_sample_entries(order), *_identity_entries(order, ids)]
    if ids:
        for gather in (_batch_entries, _step_entries, _count_entries, _qc_entries,
                       _deviation_entries, _release_entries, _administration_entries,
                       _state_entries):
            entries.extend(gather(ids, numbers))
        entries.extend(_dose_entries(ids, numbers, tz))
    return sorted(entries, key=lambda entry: (entry.at, STAGES.index(entry.stage)))


def _order_entries(order: TreatmentOrder) -> list[TimelineEntry]:
    entries = [TimelineEntry(
        order.created_at, "order", _("Order %(number)s placed", number=order.order_number),
        _("%(levels)s, %(cells)s cells per disc, procedure planned on %(date)s",
          levels=", ".join(order.levels), cells=cells_text(order.cells_per_disc),
          date=order.planned_procedure_date.isoformat()),
        who=order.created_by.full_name)]
    if order.cancelled_reason:
        entries.append(TimelineEntry(order.updated_at, "order", _("Order cancelled"),
                                     order.cancelled_reason, tone="bad"))
    return entries


def _sample_entries(order: TreatmentOrder) -> list[TimelineEntry]:
    rows = db.session.scalars(select(Sample).where(Sample.order_id == order.id)
                              .options(joinedload(Sample.received_by)))
    titles = {"accepted": _("Bone-marrow sample received and accepted"),
              "accepted_with_deviation": _("Bone-marrow sample accepted with a deviation"),
              "rejected": _("Bone-marrow sample rejected")}
    tones = {"accepted": "ok", "accepted_with_deviation": "warn", "rejected": "bad"}
    return [TimelineEntry(sample.received_at, "sample", titles.get(sample.status, sample.status),
                          _("%(volume)s mL, collected %(site)s",
                            volume=exact_number(sample.volume_ml), site=sample.collection_site),
                          who=sample.received_by.full_name,
                          tone=tones.get(sample.status, "info"), din=sample.din)
            for sample in rows]


def _identity_entries(order: TreatmentOrder, batch_ids: list[int]) -> list[TimelineEntry]:
    condition = ChainOfIdentityEvent.order_id == order.id
    if batch_ids:
        condition = condition | ChainOfIdentityEvent.batch_id.in_(batch_ids)
    rows = db.session.scalars(select(ChainOfIdentityEvent).where(condition))
    return [TimelineEntry(event.occurred_at, "identity", _("Identity check refused"),
                          event.details or _("Expected %(expected)s, presented %(presented)s",
                                             expected=event.expected,
                                             presented=event.presented),
                          tone="bad") for event in rows]


def _batch_entries(ids: list[int], numbers: dict[int, str]) -> list[TimelineEntry]:
    rows = db.session.scalars(select(Batch).where(Batch.id.in_(ids)))
    return [TimelineEntry(batch.started_at, "culture",
                          _("Batch %(number)s started", number=batch.batch_number),
                          batch_number=batch.batch_number) for batch in rows]


def _step_entries(ids: list[int], numbers: dict[int, str]) -> list[TimelineEntry]:
    rows = db.session.scalars(
        select(CultureStep).where(CultureStep.batch_id.in_(ids), CultureStep.is_void.is_(False))
        .options(joinedload(CultureStep.performed_by)))
    stages = {"formulation": "doses"}
    return [TimelineEntry(step.performed_at, stages.get(step.kind, "culture"), _step_title(step),
                          _("%(cells)s cells", cells=cells_text(step.cells))
                          if step.cells else step.notes,
                          who=step.performed_by.full_name, batch_number=numbers[step.batch_id])
            for step in rows]


def _count_entries(ids: list[int], numbers: dict[int, str]) -> list[TimelineEntry]:
    rows = db.session.scalars(
        select(CellCount).where(CellCount.batch_id.in_(ids), not_superseded(CellCount),
                                CellCount.is_void.is_(False))
        .options(joinedload(CellCount.entered_by)))
    return [TimelineEntry(count.counted_at, "culture",
                          _("Cell count: %(cells)s viable (%(viability)s %%)",
                            cells=cells_text(count.viable_cells),
                            viability=exact_number(count.viability_percent)),
                          _("Automated counter (API)") if count.source == "api" else None,
                          who=count.entered_by.full_name, batch_number=numbers[count.batch_id])
            for count in rows]


def _qc_entries(ids: list[int], numbers: dict[int, str]) -> list[TimelineEntry]:
    rows = db.session.execute(
        select(QcResult, SpecificationTest.name)
        .join(Batch, Batch.id == QcResult.batch_id)
        .outerjoin(SpecificationTest, (SpecificationTest.specification_id
                                       == Batch.specification_id)
                   & (SpecificationTest.code == QcResult.test_code))
        .where(QcResult.batch_id.in_(ids), not_superseded(QcResult)))
    tones = {"pass": "ok", "fail": "bad", "pending": "warn"}
    entries = []
    for result, name in rows:
        value = (exact_number(result.numeric_value) if result.numeric_value is not None
                 else result.text_value)
        title = _("QC %(test)s: %(value)s", test=name or result.test_code, value=value)
        detail = _("Result after release") if result.after_release else None
        entries.append(TimelineEntry(result.tested_at, "qc", title, detail, who=result.analyst,
                                     tone=tones.get(result.verdict, "info"),
                                     batch_number=numbers[result.batch_id]))
    return entries


def _deviation_entries(ids: list[int], numbers: dict[int, str]) -> list[TimelineEntry]:
    rows = db.session.scalars(select(Deviation).where(Deviation.batch_id.in_(ids))
                              .options(joinedload(Deviation.opened_by)))
    entries = []
    for deviation in rows:
        tone = "bad" if deviation.severity == "critical" else "warn"
        entries.append(TimelineEntry(
            deviation.opened_at, "deviation",
            _("Deviation %(number)s opened (%(severity)s)", number=deviation.number,
              severity=deviation.severity), deviation.title, who=deviation.opened_by.full_name,
            tone=tone, batch_number=numbers[deviation.batch_id]))
        if deviation.closed_at:
            entries.append(TimelineEntry(deviation.closed_at, "deviation",
                                         _("Deviation %(number)s closed", number=deviation.number),
                                         tone="ok", batch_number=numbers[deviation.batch_id]))
    return entries


def _release_entries(ids: list[int], numbers: dict[int, str]) -> list[TimelineEntry]:
    rows = db.session.scalars(select(Release).where(Release.batch_id.in_(ids))
                              .options(joinedload(Release.signature)))
    entries = []
    for decision in rows:
        released = decision.decision == "released"
        if released:
            title = (_("Released by exception (out of specification)") if decision.exceptional
                     else _("Released for clinical use"))
        else:
            title = _("Rejected by QA")
        entries.append(TimelineEntry(
            decision.decided_at, "release", title, decision.reason,
            who=decision.signature.printed_name,
            tone=("warn" if decision.exceptional else "ok") if released else "bad",
            batch_number=numbers[decision.batch_id]))
    return entries


def _local(moment: datetime, tz: ZoneInfo) -> str:
    local = moment.astimezone(tz)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def _dose_entries(ids: list[int], numbers: dict[int, str], tz: ZoneInfo) -> list[TimelineEntry]:
    rows = db.session.scalars(select(Dose).where(Dose.batch_id.in_(ids)).order_by(Dose.id))
    return [TimelineEntry(dose.formulated_at, "doses",
                          _("Dose %(code)s for %(level)s", code=dose.dose_code,
                            level=dose.disc_level) if dose.is_current else
                          _("Dose %(code)s for %(level)s, replaced by a correction",
                            code=dose.dose_code, level=dose.disc_level),
                          _("%(cells)s viable cells in %(volume)s mL, expires %(expiry)s",
                            cells=cells_text(dose.viable_cells),
                            volume=exact_number(dose.volume_ml),
                            expiry=_local(dose.expires_at, tz)),
                          batch_number=numbers[dose.batch_id]) for dose in rows]


def _administration_entries(ids: list[int], numbers: dict[int, str]) -> list[TimelineEntry]:
    rows = db.session.execute(
        select(Administration, Dose).join(Dose, Dose.id == Administration.dose_id)
        .where(Dose.batch_id.in_(ids)).options(joinedload(Administration.administered_by)))
    return [TimelineEntry(given.administered_at, "administration",
                          _("Dose %(code)s administered into %(level)s", code=dose.dose_code,
                            level=given.disc_level), given.notes,
                          who=given.administered_by.full_name, tone="ok",
                          batch_number=numbers[dose.batch_id]) for given, dose in rows]


def _state_entries(ids: list[int], numbers: dict[int, str]) -> list[TimelineEntry]:
    """Holds, resumptions, termination and completion, from the audit trail."""
    rows = db.session.scalars(select(AuditEvent).where(
        AuditEvent.record_type == "batch", AuditEvent.action == "update",
        AuditEvent.record_id.in_([str(i) for i in ids])))
    entries = []
    for event in rows:
        old, new = _state_change(event)
        if new is None or (new not in SHOWN_STATE_CHANGES and old != "on_hold"):
            continue
        tone = {"completed": "ok", "terminated": "bad", "on_hold": "warn"}.get(new, "info")
        entries.append(TimelineEntry(
            event.occurred_at, "culture" if new != "completed" else "administration",
            _("Batch %(state)s", state=state_label(new).lower()), event.reason,
            who=event.username, tone=tone, batch_number=numbers.get(int(event.record_id))))
    return entries


def _state_change(event: AuditEvent) -> tuple[str | None, str | None]:
    try:
        change = json.loads(event.changes).get("state")
    except (ValueError, AttributeError):
        return None, None
    if not isinstance(change, list) or len(change) != 2:
        return None, None
    return change[0], change[1]
