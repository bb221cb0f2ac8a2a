"""Concurrent count entries: every one is saved and the audit chain stays valid."""

import threading
from datetime import timedelta

from sqlalchemy import func, select

from labtrack.extensions import db
from labtrack.models.base import utcnow
from labtrack.models.batches import Batch, CellCount
from labtrack.models.users import User
from labtrack.services import audit_trail, counts
from labtrack.services.audit import Actor, set_actor
from labtrack.services.counts import CountData
from tests import builders
from tests.conftest import build_app


def test_parallel_technicians_logging_counts_all_land(app, database_url):
    batch_ids = [builders.seeded_batch().id for _ in range(2)]
    technicians = [builders.user("technician").id for _ in range(4)]
    per_writer, errors = 5, []
    start = threading.Barrier(len(technicians), timeout=30)
    # Built here, one by one: CPython 3.11 can fail parsing in threads at once (werkzeug
    # compiles each route with ast.parse): "AST constructor recursion depth mismatch".
    workers = [build_app(database_url) for _ in technicians]

    def write(index: int, user_id: int) -> None:
        with workers[index].app_context():
            try:
                user = db.session.get(User, user_id)
                set_actor(db.session, Actor(user.id, user.username))
                batch = db.session.get(Batch, batch_ids[index % 2])
                start.wait()
                for n in range(per_writer):
                    counts.log_count(user, batch, CountData(
                        counted_at=utcnow() - timedelta(minutes=n), method="automated",
                        viable_cells=1_000_000 + n, dead_cells=1000))
                    db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported by the assertion below
                start.abort()
                errors.append(repr(error))
            finally:
                db.session.remove()
                db.engine.dispose()

    threads = [threading.Thread(target=write, args=(i, user_id))
               for i, user_id in enumerate(technicians)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    saved = db.session.scalar(select(func.count()).select_from(CellCount))
    assert saved == len(technicians) * per_writer
    assert audit_trail.verify().ok
