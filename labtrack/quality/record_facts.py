"""Facts of a batch's record read in bulk for the release record (no query per row).

Only the columns the record prints are read (rows, not ORM objects): the record of a
long culture has hundreds of steps, counts, links and audit events, and building and
tracking full objects for them cost more than the queries themselves.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Row, and_, or_, select

from labtrack.accounts.models import Signature, User
from labtrack.audit.models import AuditEvent
from labtrack.culture.models import (
    Batch,
    CellCount,
    CultureStep,
    CultureStepEquipment,
    CultureStepLot,
)
from labtrack.extensions import db
from labtrack.inventory.models import Equipment, ReagentLot
from labtrack.quality.rules.record import ChangeKind
from labtrack.web.templating import cells, exact_number

# Fields whose change is the workflow moving on, not a correction of a recorded value.
WORKFLOW_FIELDS = frozenset({"state", "held_from", "state_reason", "status", "closed_at",
                             "closure_signature_id", "verified_by_id",
                             "verification_signature_id"})
STEP_COLUMNS = (CultureStep.id, CultureStep.kind, CultureStep.performed_at,
                CultureStep.performed_by_id, CultureStep.verified_by_id,
                CultureStep.verification_signature_id, CultureStep.passage_number,
                CultureStep.cells, CultureStep.is_void,
                # what a verification signs (culture.steps.step_signature_content)
                CultureStep.batch_id, CultureStep.flasks, CultureStep.notes,
                # what page 1 lists among the exceptions (record_exceptions)
                CultureStep.deviation_id, CultureStep.supersedes_id,
                CultureStep.amendment_reason)
COUNT_COLUMNS = (CellCount.id, CellCount.counted_at, CellCount.passage_number,
                 CellCount.method, CellCount.viable_cells, CellCount.dead_cells,
                 CellCount.viability_percent, CellCount.entered_by_id, CellCount.supersedes_id,
                 CellCount.amendment_reason, CellCount.is_void, CellCount.created_at)


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
    kind: ChangeKind = ChangeKind.CHANGED


@dataclass
class Facts:
    """Rows with the columns of ``STEP_COLUMNS`` and ``COUNT_COLUMNS``; users by id (their
    full names); signatures by id; the reagent lots (material, lot, manufacturer, expiry)
    and equipment (identifier, kind) used by any step."""

    steps: list[Row]
    counts: list[Row]
    users: dict[int, str]
    signatures: dict[int, Row]
    changes: list[Change]
    lots: list[tuple]
    equipment: list[tuple]


def local(moment: datetime | None, zone: ZoneInfo) -> str:
    """A time in the lab's zone, with the zone named."""
    if moment is None:
        return "—"
    value = moment.astimezone(zone)
    return f"{value:%Y-%m-%d %H:%M} {value.tzname()}"


def gather(batch: Batch, results, deviations, doses, extra_user_ids: set[int],
           zone: ZoneInfo) -> Facts:
    """Steps, the lots and equipment they used, counts, people, signatures and later
    changes: seven queries, whatever the length of the culture."""
    session = db.session
    steps = session.execute(select(*STEP_COLUMNS).where(CultureStep.batch_id == batch.id)
                            .order_by(CultureStep.performed_at, CultureStep.id)).all()
    of_batch = select(CultureStep.id).where(CultureStep.batch_id == batch.id).scalar_subquery()
    lots = session.execute(
        select(ReagentLot.material, ReagentLot.lot_number, ReagentLot.manufacturer,
               ReagentLot.expiry_date).distinct()
        .join(CultureStepLot, CultureStepLot.reagent_lot_id == ReagentLot.id)
        .where(CultureStepLot.step_id.in_(of_batch))).all()
    equipment = session.execute(
        select(Equipment.identifier, Equipment.kind).distinct()
        .join(CultureStepEquipment, CultureStepEquipment.equipment_id == Equipment.id)
        .where(CultureStepEquipment.step_id.in_(of_batch))).all()
    counts = session.execute(select(*COUNT_COLUMNS).where(CellCount.batch_id == batch.id)
                             .order_by(CellCount.counted_at, CellCount.id)).all()
    user_ids = ({s.performed_by_id for s in steps} | {s.verified_by_id for s in steps}
                | {c.entered_by_id for c in counts} | {r.entered_by_id for r in results}
                | {d.opened_by_id for d in deviations} | extra_user_ids) - {None}
    users = dict(session.execute(select(User.id, User.full_name)
                                 .where(User.id.in_(user_ids))).all()) if user_ids else {}
    signature_ids = ({s.verification_signature_id for s in steps}
                     | {d.closure_signature_id for d in deviations}) - {None}
    signatures = {s.id: s for s in session.execute(
        select(Signature.id, Signature.printed_name, Signature.meaning, Signature.signed_at,
               # to see whether each still covers its record (signatures.is_intact)
               Signature.record_type, Signature.record_id, Signature.signer_id,
               Signature.content_hash)
        .where(Signature.id.in_(signature_ids)))} if signature_ids else {}
    records = {"batch": [batch.id], "culture_step": [s.id for s in steps],
               "cell_count": [c.id for c in counts], "qc_result": [r.id for r in results],
               "deviation": [d.id for d in deviations], "dose": [d.id for d in doses]}
    changes = superseded_changes(counts, results, users) + audited_changes(records, zone)
    return Facts(steps, counts, users, signatures, sorted(changes, key=lambda c: c.when),
                 [tuple(lot) for lot in lots], [tuple(item) for item in equipment])


def superseded_changes(counts, results, users: dict[int, str]) -> list[Change]:
    """Counts and QC results corrected by a newer entry that supersedes them: one change
    for each field that differs (value, method, instrument…), so none hides behind another."""
    changes = []
    by_id = {c.id: c for c in counts}
    for count in counts:
        old = by_id.get(count.supersedes_id)
        if old is None:
            continue
        record = _("Cell count of %(when)s", when=old.counted_at.date())
        if count.is_void:
            fields = [(_("viable cells"), cells(old.viable_cells), _("void"))]
        else:
            fields = _differing(old, count, COUNT_FIELDS)
        kind = ChangeKind.VOIDED if count.is_void else ChangeKind.AMENDED
        changes += [Change(record, field, before, after, _name(users, count.entered_by_id),
                           count.created_at, count.amendment_reason or "", kind)
                    for field, before, after in fields]
    results_by_id = {r.id: r for r in results}
    for result in results:
        old = results_by_id.get(result.supersedes_id)
        if old is not None:
            record = _("QC result %(test)s", test=result.test_code)
            changes += [Change(record, field, before, after,
                               _name(users, result.entered_by_id), result.created_at,
                               result.amendment_reason or "", ChangeKind.AMENDED)
                        for field, before, after in _differing(old, result, RESULT_FIELDS)]
    return changes


def result_text(result) -> str:
    if result is None:
        return "—"
    if result.numeric_value is not None:
        return exact_number(result.numeric_value)
    return result.text_value or "—"


def _count_cells(field: str):
    return lambda count: cells(getattr(count, field)) if getattr(count, field) is not None \
        else "—"


def _plain(field: str):
    return lambda record: str(getattr(record, field)) if getattr(record, field) is not None \
        else "—"


COUNT_FIELDS = ((_l("viable cells"), _count_cells("viable_cells")),
                (_l("dead cells"), _count_cells("dead_cells")),
                (_l("method"), _plain("method")), (_l("passage"), _plain("passage_number")))
RESULT_FIELDS = ((_l("result"), result_text), (_l("method"), _plain("method")),
                 (_l("instrument"), _plain("instrument")), (_l("analyst"), _plain("analyst")))


def _differing(old, new, fields) -> list[tuple[str, str, str]]:
    """(field, old, new) for each field whose shown value differs; the value if none does."""
    found = [(str(name), shown(old), shown(new)) for name, shown in fields
             if shown(old) != shown(new)]
    if found:
        return found
    name, shown = fields[0]
    return [(str(name), shown(old), shown(new))]


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
    events = db.session.execute(
        select(AuditEvent.record_type, AuditEvent.record_id, AuditEvent.action,
               AuditEvent.changes, AuditEvent.username, AuditEvent.occurred_at,
               AuditEvent.reason).where(or_(*conditions)).order_by(AuditEvent.seq)).all()
    # Only records updated at some point can hold a change: the others' events (most of
    # them, each listing every column) need not be read at all.
    updated = {(e.record_type, e.record_id) for e in events if e.action == "update"}
    known: dict[tuple[str, str], dict] = {}
    changes = []
    for event in events:
        key = (event.record_type, event.record_id)
        if event.action not in ("create", "update") or key not in updated:
            continue
        values = known.setdefault(key, {})
        recorded = json.loads(event.changes)
        if event.action == "create":  # every column's first value; nothing changed yet
            values.update((field, value[1]) for field, value in recorded.items()
                          if isinstance(value, list) and len(value) == 2)
            continue
        for field, value in sorted(recorded.items()):
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


def _name(users: dict[int, str], user_id: int | None) -> str:
    name = users.get(user_id)
    return "—" if name is None else name


def name_of(facts: Facts, user_id: int | None) -> str:
    return _name(facts.users, user_id)
