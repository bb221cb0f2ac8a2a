"""Reading the audit trail: filtered views, a record's history, chain verification."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing import get_context

from sqlalchemy import Select, create_engine, select
from sqlalchemy.pool import NullPool

from labtrack.domain.audit_chain import (
    HASHED_FIELDS,
    ChainBreak,
    Segment,
    join_segments,
    verify_segment,
)
from labtrack.extensions import db
from labtrack.models.audit import AuditChainHead, AuditEvent

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


def events_query(filters: AuditFilter) -> Select:
    """Events matching ``filters``, newest first."""
    query = select(AuditEvent).order_by(AuditEvent.seq.desc())
    if filters.record_type:
        query = query.where(AuditEvent.record_type == filters.record_type)
    if filters.record_id:
        query = query.where(AuditEvent.record_id == filters.record_id)
    if filters.username:
        query = query.where(AuditEvent.username == filters.username)
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.since:
        query = query.where(AuditEvent.occurred_at >= filters.since)
    if filters.until:
        query = query.where(AuditEvent.occurred_at < filters.until)
    return query


def record_history(record_type: str, record_id: object) -> list[AuditEvent]:
    """Every event about one record, oldest first."""
    return list(db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.record_type == record_type, AuditEvent.record_id == str(record_id))
        .order_by(AuditEvent.seq)
    ))


def known_record_types() -> list[str]:
    """Record types that appear in the trail, for the viewer's filter."""
    return list(db.session.scalars(select(AuditEvent.record_type).distinct()
                                   .order_by(AuditEvent.record_type)))


def known_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).distinct()
                                   .order_by(AuditEvent.action)))


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
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield flush()
    for event in db.session.scalars(events_query(filters).execution_options(yield_per=500)):
        for field, old, new in changed_fields(event) or [("", None, None)]:
            row = (event.seq, event.occurred_at.isoformat(), event.username, event.user_id,
                   event.action, event.record_type, event.record_id, field,
                   json.dumps(old) if old is not None else "",
                   json.dumps(new) if new is not None else "",
                   event.reason or "", event.client_addr or "", event.hash)
            writer.writerow([_spreadsheet_safe(value) for value in row])
        yield flush()


@dataclass(frozen=True)
class VerificationResult:
    checked: int
    problem: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.problem is None


_OCCURRED_AT = 3 + HASHED_FIELDS.index("occurred_at")
PARALLEL_FROM_EVENTS = 200_000  # below this, starting processes costs more than it saves


def verify(workers: int | None = None) -> VerificationResult:
    """Recompute the whole hash chain from the stored events.

    Large trails are checked in consecutive seq ranges by several processes (the hashes
    are independent; only the links between ranges are joined here), each reading
    through the driver in large chunks, since per-row ORM work would dominate hashing.
    """
    head = db.session.get(AuditChainHead, 1)
    total = head.seq if head else 0
    url = db.engine.url.render_as_string(hide_password=False)
    workers = workers or (os.cpu_count() or 1)
    if total < PARALLEL_FROM_EVENTS or workers < 2 or db.engine.url.database in (None, ":memory:"):
        segments = [_verify_range(db.session.connection(), 1, None)]
    else:
        bounds = _ranges(total, workers)
        with ProcessPoolExecutor(workers, mp_context=get_context("fork")) as pool:
            segments = list(pool.map(_verify_range_in_process, [url] * len(bounds),
                                     *zip(*bounds, strict=True)))
    checked, problem = join_segments(segments, total, head.last_hash if head else None)
    return VerificationResult(checked, problem)


def _ranges(total: int, parts: int) -> list[tuple[int, int | None]]:
    """Consecutive seq ranges; the last is open-ended so events beyond the head show up."""
    size = -(-total // parts)
    starts = list(range(1, total + 1, size))
    return [(start, start + size - 1) for start in starts[:-1]] + [(starts[-1], None)]


def _verify_range_in_process(url: str, first: int, last: int) -> Segment:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return _verify_range(connection, first, last)
    finally:
        engine.dispose()


def _verify_range(connection, first: int, last: int | None) -> Segment:
    """Check the events from seq ``first`` to ``last`` (to the end when ``last`` is None)."""
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    upper = "" if last is None else f" AND seq <= {mark}"
    sql = (f"SELECT id, prev_hash, hash, {', '.join(HASHED_FIELDS)} FROM audit_event "  # noqa: S608
           f"WHERE seq >= {mark}{upper} ORDER BY seq")
    params = (first,) if last is None else (first, last)
    result = connection.execution_options(stream_results=True).exec_driver_sql(sql, params)
    try:
        return verify_segment(_with_iso_times(result, connection.dialect.name == "sqlite"),
                              first)
    finally:
        result.close()


def _with_iso_times(result, stored_as_text: bool):
    """Rows with ``occurred_at`` as the aware-UTC ISO text that was hashed."""
    convert = _sqlite_text_to_iso if stored_as_text else _datetime_to_iso
    while chunk := result.fetchmany(20_000):
        for row in chunk:
            row = list(row)
            row[_OCCURRED_AT] = convert(row[_OCCURRED_AT])
            yield row


def _sqlite_text_to_iso(text: str) -> str:
    # SQLAlchemy stores SQLite datetimes as naive UTC 'YYYY-MM-DD HH:MM:SS.ffffff';
    # isoformat() leaves out a zero microsecond part, so it is dropped here too.
    if text.endswith(".000000"):
        text = text[:-7]
    return text.replace(" ", "T", 1) + "+00:00"


def _datetime_to_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()
