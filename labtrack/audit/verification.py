"""Verifying the audit trail: the keyed chain, its checkpoints, and (reconcile.py) the records.

``verify()`` recomputes every link with the keys, checks that each checkpoint written
outside the database is signed with a known key and still matches the event at its
position (so a rewrite or a truncation behind a checkpoint is named), and, when asked,
replays every record's events against its stored row.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context

from sqlalchemy import create_engine, select
from sqlalchemy.pool import NullPool

from labtrack.audit import checkpoints as audit_checkpoints
from labtrack.audit import keys as audit_keys
from labtrack.audit.models import AuditChainHead, AuditEvent
from labtrack.audit.rules.chain import (
    LINKED_FIELDS,
    ChainBreak,
    Segment,
    join_segments,
    verify_segment,
)
from labtrack.audit.rules.checkpoint import Checkpoint
from labtrack.audit.rules.findings import Finding
from labtrack.extensions import db

VERIFY_BATCH = 10_000  # events fetched at a time while verifying
PARALLEL_FROM_EVENTS = 200_000  # below this, starting processes costs more than it saves


@dataclass(frozen=True)
class VerificationResult:
    checked: int
    problem: ChainBreak | None
    findings: list[Finding] = field(default_factory=list)
    checkpoints: int = 0

    @property
    def ok(self) -> bool:
        return self.problem is None and not self.findings

    def all_findings(self) -> list[Finding]:
        chain = []
        if self.problem is not None:
            chain.append(Finding("chain", f"event seq {self.problem.seq}", self.problem.problem))
        return chain + list(self.findings)


def verify(workers: int | None = None, reconcile: bool = False) -> VerificationResult:
    """Recompute the whole keyed chain, check the checkpoints, optionally the records.

    Large trails are checked in consecutive seq ranges by several processes (the links
    are independent; only the joins between ranges are checked here), each reading
    through the driver in large chunks, since per-row ORM work would dominate hashing.
    """
    keys = audit_keys.keyring().keys
    head = db.session.get(AuditChainHead, 1)
    total = head.seq if head else 0
    url = db.engine.url.render_as_string(hide_password=False)
    workers = workers or (os.cpu_count() or 1)
    if total < PARALLEL_FROM_EVENTS or workers < 2 or db.engine.url.database in (None, ":memory:"):
        segments = [verify_range(db.session.connection(), 1, None, keys)]
    else:
        bounds = _ranges(total, workers)
        with ProcessPoolExecutor(workers, mp_context=get_context("fork")) as pool:
            segments = list(pool.map(_verify_range_in_process, [url] * len(bounds),
                                     *zip(*bounds, strict=True), [keys] * len(bounds)))
    checked, problem = join_segments(segments, total, head.last_hash if head else None)
    stored, unreadable = audit_checkpoints.read_all()
    findings = [Finding("checkpoint", f"checkpoint file line {number}", "not a checkpoint")
                for number in unreadable]
    findings += check_checkpoints(stored, keys, total)
    if reconcile:
        from labtrack.audit import reconcile as reconciliation

        findings += reconciliation.reconcile()
    return VerificationResult(checked, problem, findings, len(stored))


def check_checkpoints(stored: list[Checkpoint], keys: dict[str, bytes],
                      head_seq: int) -> list[Finding]:
    """Each checkpoint must be genuine and match the event at its position."""
    findings = []
    links = _links_at({c.seq for c in stored if c.seq > 0})
    for checkpoint in stored:
        subject = f"checkpoint of {checkpoint.at} at seq {checkpoint.seq}"
        if not checkpoint.signature_valid(keys.get(checkpoint.key_id)):
            findings.append(Finding("checkpoint", subject,
                                    "its signature is not valid under the audit key"))
        elif checkpoint.seq not in links:
            findings.append(Finding(
                "checkpoint", subject,
                f"the trail has no event at this position (it ends at seq "
                f"{head_seq}): events were removed (truncated)"))
        elif links[checkpoint.seq] != checkpoint.link:
            findings.append(Finding("checkpoint", subject,
                                    "the event there no longer has the anchored link: "
                                    "the trail was rewritten"))
    return findings


def check_record_anchor(checkpoints: list[Checkpoint]) -> list[Finding]:
    """Check the anchors printed on a record (``audit-verify --record``) against the trail."""
    if not checkpoints:
        return [Finding("record", "record", "no audit checkpoint found in the document")]
    keys = audit_keys.keyring().keys
    head = db.session.get(AuditChainHead, 1)
    return check_checkpoints(checkpoints, keys, head.seq if head else 0)


def _links_at(seqs: set[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    ordered = sorted(seqs)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start:start + 500]
        found.update(db.session.execute(
            select(AuditEvent.seq, AuditEvent.hash).where(AuditEvent.seq.in_(chunk))).all())
    return found


def _ranges(total: int, parts: int) -> list[tuple[int, int | None]]:
    """Consecutive seq ranges; the last is open-ended so events beyond the head show up."""
    size = -(-total // parts)
    starts = list(range(1, total + 1, size))
    return [(start, start + size - 1) for start in starts[:-1]] + [(starts[-1], None)]


def _verify_range_in_process(url: str, first: int, last: int | None,
                             keys: dict[str, bytes]) -> Segment:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return verify_range(connection, first, last, keys)
    finally:
        engine.dispose()


# ``occurred_at`` as the aware-UTC ISO text that was linked (``datetime.isoformat()``:
# microseconds only when not zero), made by the database rather than per row in Python.
_ISO_SQL = {
    # SQLAlchemy stores SQLite datetimes as naive UTC 'YYYY-MM-DD HH:MM:SS.ffffff'.
    "sqlite": "(CASE WHEN substr(occurred_at, 20) = '.000000' "
              "THEN replace(substr(occurred_at, 1, 19), ' ', 'T') "
              "ELSE replace(occurred_at, ' ', 'T') END || '+00:00')",
    # One to_char per row (the server's share of the work competes with the hashing).
    "postgresql": "(replace(to_char(occurred_at AT TIME ZONE 'UTC', "
                  "'YYYY-MM-DD\"T\"HH24:MI:SS.US'), '.000000', '') || '+00:00')",
}


def verify_range(connection, first: int, last: int | None, keys: dict[str, bytes],
                 before_keying: bool = False) -> Segment:
    """Check the events from seq ``first`` to ``last`` (to the end when ``last`` is None).

    Read through the driver's own cursor (a server-side one on PostgreSQL), as plain
    tuples: per-row work outside the hashing would dominate. ``before_keying``: the
    table has no ``key_id`` column yet (migration 0018's check).
    """
    dialect = connection.dialect.name
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    upper = "" if last is None else f" AND seq <= {mark}"
    replaced = {"occurred_at": _ISO_SQL[dialect]}
    if before_keying:
        replaced["key_id"] = "NULL"
    fields = ", ".join(replaced.get(name, name) for name in LINKED_FIELDS)
    sql = (f"SELECT id, prev_hash, hash, {fields} FROM audit_event "  # noqa: S608
           f"WHERE seq >= {mark}{upper} ORDER BY seq")
    params = (first,) if last is None else (first, last)
    raw = connection.connection.dbapi_connection
    if dialect == "postgresql":
        cursor = raw.cursor(name=f"audit_verify_{first}")
        cursor.itersize = VERIFY_BATCH
    else:
        cursor = raw.cursor()
    try:
        cursor.execute(sql, params)
        return verify_segment(cursor, first, keys)
    finally:
        cursor.close()
