"""How many audited writes per second the hash chain lets through.

Every audited transaction extends one hash chain, claimed through the chain-head row,
so commits are serial at that point. This measures the ceiling: several threads each
log cell counts on batches in culture through the same use case as the bench form
(``counts.record_count``: the count, its audit event, the at-risk check, the summaries),
one commit per count, for a few seconds. The counts go to the batches in culture that
have the fewest counts (the oldest first), so that a run on a database reused from
earlier runs measures the same work; the page benchmark measures the newest batch in
culture (and is never written to here), so its batch page stays as built.
"""

from __future__ import annotations

import threading
import time

from flask import Flask
from sqlalchemy import func, select

from labtrack.accounts.models import User
from labtrack.audit import capture as audit
from labtrack.audit.models import AuditEvent
from labtrack.culture import counts as count_use_cases
from labtrack.culture.counts import CountData
from labtrack.culture.models import Batch, CellCount
from labtrack.culture.rules.states import BatchState
from labtrack.database import utcnow
from labtrack.extensions import db

WRITER = "technician1"


def audited_writes(app: Flask, seconds: float = 5.0, threads: int = 8) -> dict:
    """Commits and audit events per second with ``threads`` concurrent writers."""
    with app.app_context():
        growing = Batch.state == BatchState.IN_CULTURE.value
        measured = select(func.max(Batch.id)).where(growing).scalar_subquery()
        batch_ids = db.session.scalars(
            select(Batch.id).outerjoin(CellCount, CellCount.batch_id == Batch.id)
            .where(growing, Batch.id != measured).group_by(Batch.id)
            .order_by(func.count(CellCount.id), Batch.id).limit(threads)).all()
        # Each count repeats its batch's latest one, confirmed with a reason should a soft
        # plausibility limit (issue 16) warn: every attempt is an audited write.
        latest = {batch_id: db.session.scalar(
            select(CellCount.viable_cells).where(CellCount.batch_id == batch_id)
            .order_by(CellCount.counted_at.desc()).limit(1)) or 30_000_000
            for batch_id in batch_ids}
        writer_id = db.session.scalar(select(User.id).where(User.username == WRITER))
        events_before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    done, failed, errors = [0] * threads, [0] * threads, set()
    deadline = time.monotonic() + seconds

    def write(index: int) -> None:
        with app.app_context():
            writer = db.session.get(User, writer_id)
            audit.attribute_to(db.session, writer)
            batch = db.session.get(Batch, batch_ids[index % len(batch_ids)])
            viable = latest[batch.id]
            while time.monotonic() < deadline:
                try:
                    count_use_cases.record_count(writer, batch, CountData(
                        counted_at=utcnow(), method="automated", viable_cells=viable,
                        dead_cells=viable // 20, plausibility_reason="Benchmark write"))
                    done[index] += 1
                except Exception as error:  # noqa: BLE001  (counted, and named in the result)
                    db.session.rollback()
                    failed[index] += 1
                    errors.add(f"{type(error).__name__}: {error}"[:200])

    started = time.perf_counter()
    workers = [threading.Thread(target=write, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    with app.app_context():
        events = db.session.scalar(select(func.count()).select_from(AuditEvent)) - events_before
        db.engine.dispose()
    return {"threads": threads, "seconds": round(elapsed, 2), "commits": sum(done),
            "failed": sum(failed), "errors": sorted(errors),
            "commits_per_second": round(sum(done) / elapsed, 1),
            "audit_events_per_second": round(events / elapsed, 1)}
