"""Reading the audit trail: filtered views, a record's history, chain verification."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, false, select, text, union_all

from labtrack.audit.models import AuditEvent
from labtrack.audit.verification import VerificationResult, verify  # noqa: F401  (callers' name)
from labtrack.extensions import db

CSV_COLUMNS = ("seq", "occurred_at", "username", "user_id", "action", "record_type",
               "record_id", "field", "old", "new", "reason", "client_addr", "hash")


@dataclass(frozen=True)
class AuditFilter:
    """What the audit viewer is asked to show; every part is optional."""

    record_type: str | None = None
    record_id: str | None = None
    username: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


# ``seq`` is a 32-bit integer column: a page cursor outside this range is no position.
MAX_SEQ = 2**31 - 1
EXPORT_CHUNK = 1000

_VOCABULARY_SQL = text("""
WITH RECURSIVE types(record_type) AS (
    SELECT min(record_type) FROM audit_event
    UNION ALL
    SELECT (SELECT min(e.record_type) FROM audit_event e WHERE e.record_type > types.record_type)
    FROM types WHERE types.record_type IS NOT NULL
), pairs(record_type, action) AS (
    SELECT types.record_type,
           (SELECT min(e.action) FROM audit_event e WHERE e.record_type = types.record_type)
    FROM types WHERE types.record_type IS NOT NULL
    UNION ALL
    SELECT pairs.record_type,
           (SELECT min(e.action) FROM audit_event e
            WHERE e.record_type = pairs.record_type AND e.action > pairs.action)
    FROM pairs WHERE pairs.action IS NOT NULL
)
SELECT record_type, action FROM pairs WHERE action IS NOT NULL ORDER BY record_type, action
""")


@dataclass(frozen=True)
class Vocabulary:
    """The (record type, action) pairs present in the trail."""

    pairs: tuple[tuple[str, str], ...]

    @property
    def record_types(self) -> list[str]:
        return sorted({record_type for record_type, _ in self.pairs})

    @property
    def actions(self) -> list[str]:
        return sorted({action for _, action in self.pairs})

    def actions_of(self, record_type: str) -> list[str]:
        return [action for kind, action in self.pairs if kind == record_type]

    def record_types_with(self, action: str) -> list[str]:
        return [kind for kind, done in self.pairs if done == action]


def vocabulary() -> Vocabulary:
    """Which record types and actions appear in the trail, for the filters.

    A ``SELECT DISTINCT`` reads every event (over half a second on a million); this
    skips through ``ix_audit_event_type_action_seq`` instead, one index probe per
    distinct record type and per distinct (record type, action) pair.
    """
    return Vocabulary(tuple((kind, action) for kind, action
                            in db.session.execute(_VOCABULARY_SQL)))


def _residual_conditions(filters: AuditFilter) -> list[ColumnElement[bool]]:
    """Conditions no index orders by seq: checked on the rows an index path yields."""
    conditions = []
    if filters.username:
        conditions.append(AuditEvent.username == filters.username)
    if filters.since:
        conditions.append(AuditEvent.occurred_at >= filters.since)
    if filters.until:
        conditions.append(AuditEvent.occurred_at < filters.until)
    return conditions


@dataclass(frozen=True)
class EventPage:
    """One page of the filtered trail, newest first, found by its seq boundary (keyset
    paging: no count, no OFFSET, so any page costs what the first one does)."""

    items: list[AuditEvent]
    size: int
    has_newer: bool
    has_older: bool

    @property
    def newer_cursor(self) -> int | None:
        """``after=`` for the page of newer events, if there is one."""
        return self.items[0].seq if self.items and self.has_newer else None

    @property
    def older_cursor(self) -> int | None:
        """``before=`` for the page of older events, if there is one."""
        return self.items[-1].seq if self.items and self.has_older else None

    @property
    def is_everything(self) -> bool:
        """The page holds every matching event (so its length is the exact count)."""
        return not (self.has_newer or self.has_older)


def events_page(filters: AuditFilter, size: int, *, before: int | None = None,
                after: int | None = None, known: Vocabulary | None = None) -> EventPage:
    """The ``size`` matching events just older than seq ``before``, or just newer than
    seq ``after``, or the newest; newest first either way.

    One more row than shown is read to know whether the page has a neighbour that way;
    whether it has one the other way is a one-row probe of the same index path.
    """
    if before is not None and after is not None:
        raise ValueError("a page is found from one boundary, not two")
    known = known or vocabulary()
    if after is not None:
        rows = list(db.session.scalars(_keyset_query(filters, known, size + 1, after=after)))
        items = rows[:size][::-1]
        has_newer = len(rows) > size
        has_older = bool(items) and _any(filters, known, before=after + 1)
    else:
        rows = list(db.session.scalars(_keyset_query(filters, known, size + 1, before=before)))
        items = rows[:size]
        has_older = len(rows) > size
        has_newer = bool(items) and before is not None and _any(filters, known,
                                                                  after=before - 1)
    return EventPage(items, size, has_newer, has_older)


def _any(filters: AuditFilter, known: Vocabulary, **bound: int) -> bool:
    query = _keyset_query(filters, known, 1, **bound).with_only_columns(AuditEvent.seq)
    return db.session.scalar(query) is not None


def _keyset_query(filters: AuditFilter, known: Vocabulary, limit: int, *,
                  before: int | None = None, after: int | None = None) -> Select:
    """At most ``limit`` matching events beyond the boundary: older than ``before``
    (newest first), or newer than ``after`` (oldest first, the caller turns it round).

    The access path is chosen here rather than left to the planner, which on SQLite
    (no statistics) would sort whole record types or walk the entire trail:

    - a record id: ``ix_audit_event_record`` (record type and id; every known type when
      none is given), then a sort of that one record's few events;
    - a record type and an action: ``ix_audit_event_type_action_seq``, already in seq
      order, read only as far as the page;
    - a record type or an action alone: one such ordered range per (type, action) pair
      in the trail, each cut at ``limit``, merged;
    - otherwise (a user, dates or nothing): left to the planner: for a user
      ``ix_audit_event_username_seq``, already in seq order; else usually the seq index
      read newest first, checking each event (the occurred_at index for a date range).

    Filters on top of these (user, dates) are checked on the rows the path yields.
    """
    order = AuditEvent.seq.asc() if after is not None else AuditEvent.seq.desc()
    bounds = []
    if before is not None:
        bounds.append(AuditEvent.seq < before)
    if after is not None:
        bounds.append(AuditEvent.seq > after)
    residual = _residual_conditions(filters) + bounds

    if filters.record_id:
        kind = (AuditEvent.record_type == filters.record_type if filters.record_type
                else AuditEvent.record_type.in_(known.record_types))
        conditions = [kind, AuditEvent.record_id == filters.record_id]
        if filters.action:
            # Concatenated so the planner cannot prefer the type+action index, which
            # would walk every event of that kind to find this record's.
            conditions.append(AuditEvent.action.concat("") == filters.action)
        return select(AuditEvent).where(*conditions, *residual).order_by(order).limit(limit)

    if filters.record_type and filters.action:
        branches = [(filters.record_type, filters.action)]
    elif filters.record_type:
        branches = [(filters.record_type, action)
                    for action in known.actions_of(filters.record_type)]
    elif filters.action:
        branches = [(kind, filters.action) for kind in known.record_types_with(filters.action)]
    else:
        return select(AuditEvent).where(*residual).order_by(order).limit(limit)

    if len(branches) == 1:
        kind, action = branches[0]
        return (select(AuditEvent)
                .where(AuditEvent.record_type == kind, AuditEvent.action == action, *residual)
                .order_by(order).limit(limit))
    if not branches:
        return select(AuditEvent).where(false()).limit(limit)
    parts = [select(AuditEvent.seq)
             .where(AuditEvent.record_type == kind, AuditEvent.action == action, *residual)
             .order_by(order).limit(limit).subquery()
             for kind, action in branches]
    merged = union_all(*(select(part.c.seq) for part in parts))
    return select(AuditEvent).where(AuditEvent.seq.in_(merged)).order_by(order).limit(limit)


def record_history(record_type: str, record_id: object) -> list[AuditEvent]:
    """Every event about one record, oldest first."""
    return list(db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.record_type == record_type, AuditEvent.record_id == str(record_id))
        .order_by(AuditEvent.seq)
    ))


def changed_fields(event: AuditEvent) -> list[tuple[str, object, object]]:
    """(field, old, new) for a row change; other events' details as (key, None, value)."""
    details = json.loads(event.changes)
    rows = []
    for key, value in sorted(details.items()):
        if isinstance(value, list) and len(value) == 2:
            rows.append((key, value[0], value[1]))
        else:
            rows.append((key, None, value))
    return rows


def _spreadsheet_safe(value: object) -> object:
    """Neutralise text a spreadsheet would run as a formula (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def export_csv(filters: AuditFilter) -> Iterator[str]:
    """The filtered events as CSV lines, one line per changed field."""
    return events_csv(all_events(filters))


def events_csv(events: Iterable[AuditEvent]) -> Iterator[str]:
    """Events as CSV lines (a header, then one line per changed field)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield flush()
    for event in events:
        for field, old, new in changed_fields(event) or [("", None, None)]:
            row = (event.seq, event.occurred_at.isoformat(), event.username, event.user_id,
                   event.action, event.record_type, event.record_id, field,
                   json.dumps(old) if old is not None else "",
                   json.dumps(new) if new is not None else "",
                   event.reason or "", event.client_addr or "", event.hash)
            writer.writerow([_spreadsheet_safe(value) for value in row])
        yield flush()


def all_events(filters: AuditFilter) -> Iterator[AuditEvent]:
    """Every matching event, newest first, read in keyset chunks through the viewer's
    access paths (events committed meanwhile are newer, so none is skipped or repeated)."""
    known = vocabulary()
    before = None
    while True:
        chunk = list(db.session.scalars(_keyset_query(filters, known, EXPORT_CHUNK,
                                                      before=before)))
        yield from chunk
        if len(chunk) < EXPORT_CHUNK:
            return
        before = chunk[-1].seq


def record_events(records: dict[str, set]) -> list[AuditEvent]:
    """Every event about the given records (record type → ids), oldest first."""
    events: dict[int, AuditEvent] = {}
    for record_type, ids in records.items():
        ordered = sorted(str(record_id) for record_id in ids)
        for start in range(0, len(ordered), EXPORT_CHUNK):
            chunk = ordered[start:start + EXPORT_CHUNK]
            for event in db.session.scalars(select(AuditEvent).where(
                    AuditEvent.record_type == record_type, AuditEvent.record_id.in_(chunk))):
                events[event.seq] = event
    return [events[seq] for seq in sorted(events)]


VERIFY_ACTION, TRAIL = "verify", "audit_trail"


@dataclass(frozen=True)
class LastVerification:
    at: datetime
    intact: bool
    summary: str


def last_verification() -> LastVerification | None:
    """When ``labtrack audit-verify`` last ran and what it found (for the admin home)."""
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.record_type == TRAIL, AuditEvent.action == VERIFY_ACTION)
        .order_by(AuditEvent.seq.desc()).limit(1))
    if event is None:
        return None
    details = json.loads(event.changes)
    return LastVerification(event.occurred_at, details.get("result") == "intact",
                            details.get("summary", ""))
