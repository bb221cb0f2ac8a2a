"""Concurrent count entries: every one is saved and the audit chain stays valid."""

from datetime import timedelta

from sqlalchemy import func, select

from labtrack.accounts.models import User
from labtrack.audit import trail as audit_trail
from labtrack.audit.capture import Actor, set_actor
from labtrack.culture import counts
from labtrack.culture.counts import CountData
from labtrack.culture.models import Batch, CellCount
from labtrack.database import utcnow
from labtrack.extensions import db
from tests import builders
from tests.conftest import build_app
from tests.helpers import run_together


def test_parallel_technicians_logging_counts_all_land(app, database_url):
    batch_ids = [builders.seeded_batch().id for _ in range(2)]
    technicians = [builders.user("technician").id for _ in range(4)]
    per_writer = 5

    def write(index: int, start) -> None:
        user = db.session.get(User, technicians[index])
        set_actor(db.session, Actor(user.id, user.username))
        batch = db.session.get(Batch, batch_ids[index % 2])
        start.wait()
        for n in range(per_writer):
            counts.log_count(user, batch, CountData(
                counted_at=utcnow() - timedelta(minutes=n), method="automated",
                viable_cells=1_000_000 + n, dead_cells=1000))
            db.session.commit()

    errors = run_together([build_app(database_url) for _ in technicians], write)
    assert errors == []
    saved = db.session.scalar(select(func.count()).select_from(CellCount))
    assert saved == len(technicians) * per_writer
    assert audit_trail.verify().ok
