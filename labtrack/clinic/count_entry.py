"""Count use cases as users make them: each change re-checks the batch's risk, then commits.

Bench forms, counter file imports and the automated-counter API all come through here, so
the treating clinician's at-risk notice never depends on which door a count came in by.
"""

from __future__ import annotations

from labtrack.accounts.models import User
from labtrack.clinic import readiness
from labtrack.culture import counts
from labtrack.culture.counts import CountData
from labtrack.culture.models import Batch, CellCount
from labtrack.extensions import db


def log(acting: User, batch: Batch, data: CountData) -> CellCount:
    """Log a count; commits."""
    count = counts.log_count(acting, batch, data)
    readiness.check_at_risk(batch)
    db.session.commit()
    return count


def log_many(acting: User, entries: list[tuple[Batch, CountData]]) -> list[CellCount]:
    """Log several counts (the rows of a counter's file) in one transaction, checking each
    batch's risk once, after its last count; commits once."""
    logged = [counts.log_count(acting, batch, data) for batch, data in entries]
    for batch in {batch.id: batch for batch, _data in entries}.values():
        readiness.check_at_risk(batch)
    db.session.commit()
    return logged


def amend(acting: User, original: CellCount, data: CountData, why: str) -> CellCount:
    """Correct a count with a new one that supersedes it; commits."""
    count = counts.amend_count(acting, original, data, why)
    readiness.check_at_risk(db.session.get(Batch, original.batch_id))
    db.session.commit()
    return count


def void(acting: User, original: CellCount, why: str) -> CellCount:
    """Withdraw a count entered in error; commits."""
    count = counts.void_count(acting, original, why)
    readiness.check_at_risk(db.session.get(Batch, original.batch_id))
    db.session.commit()
    return count
