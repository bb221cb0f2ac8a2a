"""Facts of a batch's record read in bulk for the release record (no query per row)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from labtrack.domain.release import millions
from labtrack.extensions import db
from labtrack.models.audit import AuditEvent, Signature
from labtrack.models.batches import Batch, CellCount, CultureStep, CultureStepLot
from labtrack.models.users import User

# Fields whose change is the workflow moving on, not a correction of a recorded value.
WORKFLOW_FIELDS = frozenset({"state", "held_from", "state_reason", "status", "closed_at",
                             "closure_signature_id", "verified_by_id",
                             "verification_signature_id"})


@dataclass(frozen=True)
class Change:
    """A value changed after its first entry: what, from what to what, who, when, why."""

    record: str
    field: str
    old: str
    new: str
    who: str
    when: datetime
    reason: str


@dataclass
class Facts:
    steps: list[CultureStep]
    counts: list[CellCount]
    users: dict[int, User]
    signatures: dict[int, Signature]
    changes: list[Change]


def local(moment: datetime | None, zone: ZoneInfo) -> str:
    """A time in the lab's zone, with the zone named."""
    if moment is None:
        return "—"
    value = moment.astimezone(zone)
    return f"{value:%Y-%m-%d %H:%M} {value.tzname()}"


def gather(batch: Batch, results, deviations, doses, extra_user_ids: set[int],
           zone: ZoneInfo) -> Facts:
    """Steps (with lots and equipment), counts, people, signatures and later changes."""
    steps = list(db.session.scalars(
        select(CultureStep).where(CultureStep.batch_id == batch.id)
        .options(selectinload(CultureStep.lots).selectinload(CultureStepLot.reagent_lot),
                 selectinload(CultureStep.equipment))
        .order_by(CultureStep.performed_at, CultureStep.id)))
    counts = list(db.session.scalars(select(CellCount).where(CellCount.batch_id == batch.id)
                                     .order_by(CellCount.counted_at, CellCount.id)))
    user_ids = ({s.performed_by_id for s in steps} | {s.verified_by_id for s in steps}
                | {c.entered_by_id for c in counts} | {r.entered_by_id for r in results}
                | {d.opened_by_id for d in deviations} | extra_user_ids) - {None}
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(user_ids)))}
    signature_ids = ({s.verification_signature_id for s in steps}
                     | {d.closure_signature_id for d in deviations}) - {None}
    signatures = {s.id: s for s in db.session.scalars(
        select(Signature).where(Signature.id.in_(signature_ids)))}
    records = {"batch": [batch.id], "culture_step": [s.id for s in steps],
               "cell_count": [c.id for c in counts], "qc_result": [r.id for r in results],
               "deviation": [d.id for d in deviations], "dose": [d.id for d in doses]}
    changes = superseded_changes(counts, results, users) + audited_changes(records, zone)
    return Facts(steps, counts, users, signatures, sorted(changes, key=lambda c: c.when))


def superseded_changes(counts, results, users: dict[int, User]) -> list[Change]:
    """Counts and QC results corrected by a newer entry that supersedes them."""
    changes = []
    by_id = {c.id: c for c in counts}
    for count in counts:
        old = by_id.get(count.supersedes_id)
        if old is not None:
            new = _("void") if count.is_void else millions(count.viable_cells)
            changes.append(Change(_("Cell count of %(when)s", when=old.counted_at.date()),
                                  _("viable cells"), millions(old.viable_cells), new,
                                  _name(users, count.entered_by_id), count.created_at,
                                  count.amendment_reason or ""))
    results_by_id = {r.id: r for r in results}
    for result in results:
        old = results_by_id.get(result.supersedes_id)
        if old is not None:
            changes.append(Change(_("QC result %(test)s", test=result.test_code), _("result"),
                                  result_text(old), result_text(result),
                                  _name(users, result.entered_by_id), result.created_at,
                                  result.amendment_reason or ""))
    return changes


def audited_changes(records: dict[str, list[int]], zone: ZoneInfo) -> list[Change]:
    """Recorded values later changed in place, from the audit trail.

    The value before a change is taken from the record's own earlier events (its create
    event lists every column), so a change is caught even when the event's old value is
    empty; setting a value that was empty is a first entry, not a change.
    """
    conditions = [and_(AuditEvent.record_type == kind,
                       AuditEvent.record_id.in_([str(i) for i in ids]))
                  for kind, ids in records.items() if ids]
    # Filtering the action here, not in SQL, keeps the (record type, record id) index
    # the obvious choice for the database: a batch's records have few events each.
    events = db.session.scalars(select(AuditEvent).where(or_(*conditions))
                                .order_by(AuditEvent.seq))
    known: dict[tuple[str, str], dict] = {}
    changes = []
    for event in events:
        if event.action not in ("create", "update"):
            continue
        values = known.setdefault((event.record_type, event.record_id), {})
        for field, value in sorted(json.loads(event.changes).items()):
            if not isinstance(value, list) or len(value) != 2:
                continue
            old, new = values.get(field, value[0]), value[1]
            values[field] = new
            if (event.action == "update" and field not in WORKFLOW_FIELDS
                    and old is not None and old != new):
                changes.append(Change(f"{event.record_type} {event.record_id}", field,
                                      shown(old, zone), shown(new, zone),
                                      event.username or _("system"),
                                      event.occurred_at, event.reason or ""))
    return changes


def shown(value, zone: ZoneInfo) -> str:
    """An audited value for people: ISO times in the lab's zone, the rest as text."""
    if isinstance(value, str) and len(value) >= 19 and value[10:11] == "T":
        try:
            return local(datetime.fromisoformat(value), zone)
        except ValueError:
            return value
    return "—" if value is None else str(value)


def result_text(result) -> str:
    if result is None:
        return "—"
    if result.numeric_value is not None:
        return format(result.numeric_value.normalize(), "f")
    return result.text_value or "—"


def _name(users: dict[int, User], user_id: int | None) -> str:
    user = users.get(user_id)
    return user.full_name if user else "—"


def name_of(facts: Facts, user_id: int | None) -> str:
    return _name(facts.users, user_id)
