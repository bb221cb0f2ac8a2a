"""The benchmark's bulk builder: the ORM builder's rows, and the events its capture writes."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import Numeric, func, select

from bench import build_db, bulk_build
from labtrack.accounts.models import Signature
from labtrack.audit import capture as audit
from labtrack.audit import trail as audit_trail
from labtrack.audit.models import AuditChainHead, AuditEvent
from labtrack.culture.dose_models import Administration, Dose
from labtrack.culture.models import (
    Batch,
    CellCount,
    CultureStep,
    CultureStepEquipment,
    CultureStepLot,
)
from labtrack.extensions import db
from labtrack.identity.models import Sample
from labtrack.orders.models import Patient, TreatmentOrder
from labtrack.quality.models import QcResult, Release
from tests.conftest import build_app

# One batch in each state, so every branch of the data is made.
STATES = ("completed", "released", "awaiting_release", "harvested", "in_culture", "terminated",
          "rejected")
REFERENCE = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC)
TIMESTAMPS = ("created_at", "updated_at")  # the time of the insert itself


def _bulk(chunk: int = 3) -> dict:
    return bulk_build.build(len(STATES), seed=7, chunk=chunk, reference=REFERENCE,
                            states=STATES)


def _same_value(column, stored, loaded) -> bool:
    # The capture records the value given (Decimal("2.0")); a reload has the column's
    # scale (Decimal("2.00")): the same number.
    if isinstance(column.type, Numeric) and stored is not None and loaded is not None:
        return Decimal(stored) == Decimal(loaded)
    return stored == loaded


def test_bulk_build_chain_verifies_and_moves_the_head(app):
    result = _bulk()
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    verification = audit_trail.verify()
    assert verification.ok, verification.problem
    assert verification.checked == events == result["events"] == result["rows"]
    head = db.session.get(AuditChainHead, 1)
    last = db.session.scalar(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1))
    assert (head.seq, head.last_hash) == (last.seq, last.hash)

    # The application carries on after a bulk load: ids (PostgreSQL sequences) and chain.
    db.session.add(Patient(record_number="AFTER-BULK", given_name="Ana", family_name="Later",
                           date_of_birth=date(1970, 5, 6), sex="F"))
    db.session.commit()
    assert db.session.scalar(select(Patient.id).where(Patient.record_number == "AFTER-BULK")) \
        == len(STATES) + 1
    verification = audit_trail.verify()
    assert verification.ok and verification.checked == events + 1


def test_every_bulk_row_has_the_create_event_the_capture_writes(app):
    _bulk(chunk=2)
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
    by_record = Counter((event.record_type, event.record_id) for event in events)
    assert max(by_record.values()) == 1
    events = {(event.record_type, event.record_id): event for event in events}
    for model in build_db.MODELS:
        rows = db.session.scalars(select(model)).all()
        assert rows, model
        for row in rows:
            event = events.pop((model.__tablename__, str(row.id)))
            assert (event.action, event.user_id, event.username, event.reason,
                    event.client_addr) == ("create", None, "bench", None, None)
            stored = json.loads(event.changes)
            captured = audit._column_changes(row, only_changed=False)
            assert stored.keys() == captured.keys(), model
            for key, (old, new) in stored.items():
                column = model.__table__.c[key]
                assert old is None and captured[key][0] is None
                assert _same_value(column, new, captured[key][1]), (model, key, new, captured)
    assert not events  # nothing but the rows' creation


def test_rows_per_batch_are_as_documented(app):
    _bulk()
    batches = db.session.scalars(select(Batch).order_by(Batch.id)).all()
    assert [batch.state for batch in batches] == list(STATES)

    def per_batch(model, column=None):
        column = column if column is not None else model.batch_id
        return Counter(db.session.scalars(select(column)).all())

    steps = dict(db.session.execute(select(CultureStep.id, CultureStep.batch_id)).all())
    lots = Counter(steps[step] for step in db.session.scalars(select(CultureStepLot.step_id)))
    equipment = Counter(steps[step] for step in
                        db.session.scalars(select(CultureStepEquipment.step_id)))
    doses = dict(db.session.execute(select(Dose.id, Dose.batch_id)).all())
    given = Counter(doses[dose] for dose in db.session.scalars(select(Administration.dose_id)))
    signed = Counter(int(record) for record in db.session.scalars(select(Signature.record_id)))
    counts = {model: per_batch(model) for model in (CultureStep, CellCount, QcResult, Dose,
                                                     Release)}
    for batch in batches:
        levels = len(batch.order.levels)
        made = batch.state not in ("in_culture", "terminated")
        decided = batch.state in ("released", "completed", "rejected")
        assert counts[CultureStep][batch.id] == lots[batch.id] == equipment[batch.id] == 30
        assert counts[CellCount][batch.id] == 20
        assert counts[QcResult][batch.id] == (10 if made else 0)
        assert counts[Dose][batch.id] == (levels if made else 0)
        assert given[batch.id] == (levels if batch.state == "completed" else 0)
        assert counts[Release][batch.id] == signed[batch.id] == (1 if decided else 0)
        assert 1 <= levels <= 3
    for model in (Patient, TreatmentOrder, Sample):
        assert db.session.scalar(select(func.count()).select_from(model)) == len(STATES)
    setup = {model: db.session.scalar(select(func.count()).select_from(model))
             for model in build_db.SETUP_MODELS}
    assert list(setup.values()) == [18, 50, 20, 1, 13]


def _events_without_insert_times() -> Counter:
    found = Counter()
    for event in db.session.scalars(select(AuditEvent)):
        changes = {key: value for key, value in json.loads(event.changes).items()
                   if key not in TIMESTAMPS}
        found[(event.action, event.record_type, event.record_id, event.user_id,
               event.username, event.reason, event.client_addr,
               json.dumps(changes, sort_keys=True))] += 1
    return found


def test_bulk_events_equal_the_orm_builders(app, request, backend):
    """Same seed, same rows: the ORM builder's captured events are the bulk builder's."""
    _bulk()
    bulk_events = _events_without_insert_times()
    databases = request.getfixturevalue(f"{backend}_databases")
    url = databases.create()
    try:
        orm_app = build_app(url)
        with orm_app.app_context():
            build_db.build(len(STATES), seed=7, commit_every=3, reference=REFERENCE,
                           states=STATES)
            orm_events = _events_without_insert_times()
            assert audit_trail.verify().ok
            db.session.remove()
            db.engine.dispose()
    finally:
        databases.drop(url)
    assert orm_events == bulk_events
