"""The audit trail: central capture, reasons, append-only storage, hash chain."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    func,
    select,
    text,
)
from sqlalchemy.exc import DBAPIError

from labtrack.accounts.models import User
from labtrack.audit import capture as audit
from labtrack.audit import trail as audit_trail
from labtrack.audit import verification
from labtrack.audit.capture import ReasonRequired, jsonable
from labtrack.audit.models import AuditEvent
from labtrack.database import utcnow
from labtrack.errors import ServiceError
from labtrack.extensions import db
from tests.conftest import build_app
from tests.helpers import run_together

# The trail itself, the derived summaries and the sessions' bookkeeping (their start and end
# are audit events); a GMP table marked __not_audited__ fails here.
NOT_AUDITED_TABLES = {"audit_event", "audit_chain_head", "batch_worklist", "order_status",
                      "summary_state", "user_session", "form_submission",
                      "api_idempotent_request"}
IMMUTABLE_TABLES = {"signature", "batch_release", "counter_file", "formulation_correction"}


def test_only_the_trail_and_derived_summaries_are_not_audited(app):
    marked = {mapper.local_table.name for mapper in db.Model.registry.mappers
              if getattr(mapper.class_, "__not_audited__", False)}
    immutable = {mapper.local_table.name for mapper in db.Model.registry.mappers
                 if getattr(mapper.class_, "__immutable__", False)}
    assert marked == NOT_AUDITED_TABLES
    assert immutable == IMMUTABLE_TABLES


# Columns whose values the readiness summaries read must hold values the domain knows.
DOMAIN_VALUES = {("treatment_order", "disc_levels"): "L4-L5", ("batch", "state"): "in_culture"}


def _sample_value(column, serial: int):
    """A valid value for a column, by its type."""
    if (column.table.name, column.key) in DOMAIN_VALUES:
        return DOMAIN_VALUES[column.table.name, column.key]
    kind = getattr(column.type, "impl", column.type)
    if isinstance(kind, DateTime):
        return utcnow()
    if isinstance(kind, Date):
        return date(2026, 1, 2)
    if isinstance(kind, Boolean):
        return True
    if isinstance(kind, Integer):
        return serial
    if isinstance(kind, Numeric):
        return Decimal("1.5")
    if isinstance(kind, String | Text):
        return f"v{serial}"[: kind.length or 50]
    if isinstance(kind, LargeBinary):
        return b"%PDF-1.4 sample"
    raise AssertionError(f"no sample value for {column}")


def _build_row(mapper, created: dict, serial: int):
    values = {}
    for column in mapper.columns:
        if column.primary_key and not column.foreign_keys:
            continue
        if column.foreign_keys:
            target = next(iter(column.foreign_keys)).column.table.name
            if target == mapper.local_table.name:
                continue  # a self-reference (an amendment's original) stays empty
            values[column.key] = created[target].id
        elif not column.nullable or column.default is None:
            values[column.key] = _sample_value(column, serial)
    return mapper.class_(**values)


def _audited_mappers():
    mappers = {m.local_table.name: m for m in db.Model.registry.mappers}
    ordered = [t.name for t in db.metadata.sorted_tables]
    return [mappers[name] for name in ordered
            if name in mappers and name not in NOT_AUDITED_TABLES]


def _events_for(table, record_id, action):
    return db.session.scalars(select(AuditEvent).where(
        AuditEvent.record_type == table, AuditEvent.record_id == str(record_id),
        AuditEvent.action == action)).all()


def _changeable_column(mapper):
    """A column to change: text if there is one, else any other column, else a link."""
    exempt = getattr(mapper.class_, "__audit_exempt__", frozenset()) | {"updated_at"}
    candidates = [c for c in mapper.columns if not c.primary_key and c.key not in exempt]
    plain = [c for c in candidates if not c.foreign_keys]
    text_columns = [c for c in plain if isinstance(c.type, String | Text)]
    return (text_columns or plain or candidates)[0]


def _changed_value(column, old, created, serial):
    if column.foreign_keys:
        target = next(iter(column.foreign_keys)).column.table.name
        mappers = {m.local_table.name: m for m in db.Model.registry.mappers}
        other = _build_row(mappers[target], created, serial + 1000)
        db.session.add(other)
        db.session.flush()
        return other.id
    kind = getattr(column.type, "impl", column.type)
    if isinstance(kind, String | Text):
        return f"c{serial}"
    if isinstance(kind, Boolean):
        return not old
    if isinstance(kind, DateTime | Date):
        return old + timedelta(days=1)
    return old + 1


def test_every_model_is_audited_on_create_and_change(app):
    created = {}
    mappers = _audited_mappers()
    assert {"user_account", "signature"} <= {m.local_table.name for m in mappers}
    for serial, mapper in enumerate(mappers, start=1):
        table = mapper.local_table.name
        row = _build_row(mapper, created, serial)
        db.session.add(row)
        db.session.commit()
        created[table] = row
        (event,) = _events_for(table, row.id, "create")
        assert event.username == "system"

        column = _changeable_column(mapper)
        old = getattr(row, column.key)
        with audit.reason(db.session, f"Correcting {table}"):
            new = _changed_value(column, old, created, serial)
            setattr(row, column.key, new)
            if table in IMMUTABLE_TABLES:
                with pytest.raises(ServiceError):
                    db.session.flush()
                db.session.rollback()
                continue
            db.session.commit()
        (change,) = _events_for(table, row.id, "update")
        assert change.reason == f"Correcting {table}"
        old_new = json.loads(change.changes)[column.key]
        assert old_new == [jsonable(old), jsonable(new)]


def test_a_change_without_a_reason_is_refused(app, make_user):
    user = make_user()
    user.full_name = "Someone Else"
    with pytest.raises(ReasonRequired, match="A reason is required"):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(User, user.id).full_name != "Someone Else"


def test_an_empty_reason_is_refused_before_anything_changes(app):
    with pytest.raises(ReasonRequired), audit.reason(db.session, "   "):
        pytest.fail("the block must not run")


def test_records_are_never_deleted(app, make_user):
    user = make_user()
    db.session.delete(user)
    with pytest.raises(ServiceError, match="never deleted"):
        db.session.commit()
    db.session.rollback()


@pytest.mark.parametrize("statement", [
    "UPDATE audit_event SET reason = 'tampered'",
    "DELETE FROM audit_event",
])
def test_the_database_refuses_to_change_audit_events(app, make_user, statement):
    make_user()
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text(statement))
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 1


def _tamper(sql: str) -> None:
    """Change stored events behind the application's back, bypassing the triggers."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SET session_replication_role = replica"))
        db.session.execute(text(sql))
        db.session.execute(text("SET session_replication_role = DEFAULT"))
    else:
        db.session.execute(text("DROP TRIGGER audit_event_no_update"))
        db.session.execute(text("DROP TRIGGER audit_event_no_delete"))
        db.session.execute(text(sql))
    db.session.commit()


def test_audit_verify_passes_on_an_untouched_trail(app, runner, make_user):
    for _ in range(3):
        make_user()
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 0, result.output
    assert "3 events verified" in result.output


def test_audit_verify_names_the_event_whose_content_changed(app, runner, make_user):
    for _ in range(4):
        make_user()
    _tamper("UPDATE audit_event SET changes = replace(changes, 'Tester', 'Tester.') "
            "WHERE seq = 3")
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 1
    assert "seq 3" in result.output and "content does not match" in result.output


def test_audit_verify_detects_a_removed_last_event(app, runner, make_user):
    for _ in range(3):
        make_user()
    _tamper("DELETE FROM audit_event WHERE seq = 3")
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 1
    assert "chain head" in result.output


def test_audit_verify_detects_a_removed_middle_event(app, make_user):
    for _ in range(3):
        make_user()
    _tamper("DELETE FROM audit_event WHERE seq = 2")
    result = audit_trail.verify()
    assert not result.ok and result.problem.seq == 3


def test_concurrent_writers_leave_a_valid_chain(app, database_url):
    writers, per_writer = 6, 8

    def write(index: int, start) -> None:
        audit.set_actor(db.session, audit.Actor(None, f"writer{index}"))
        start.wait()
        for n in range(per_writer):
            db.session.add(User(username=f"w{index}-{n}", full_name="W", role="qa",
                                password_hash="x"))
            db.session.commit()

    errors = run_together([build_app(database_url) for _ in range(writers)], write)
    assert errors == []
    result = audit_trail.verify()
    assert result.ok, result.problem
    assert result.checked == writers * per_writer
    seqs = db.session.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq)).all()
    assert seqs == list(range(1, writers * per_writer + 1))


def test_event_times_are_aware_utc(app, make_user):
    make_user()
    event = db.session.scalars(select(AuditEvent)).one()
    assert event.occurred_at.utcoffset().total_seconds() == 0
    assert abs((datetime.now(event.occurred_at.tzinfo) - event.occurred_at).total_seconds()) < 60


@pytest.mark.parametrize("tampered_seq", [None, 2, 5, 9])
def test_parallel_verification_finds_the_same_break(app, make_user, monkeypatch,
                                                    tampered_seq):
    for _ in range(9):
        make_user()
    if tampered_seq:
        _tamper("UPDATE audit_event SET reason = 'x' WHERE seq = " + str(tampered_seq))
    monkeypatch.setattr(verification, "PARALLEL_FROM_EVENTS", 1)
    parallel = audit_trail.verify(workers=3)
    monkeypatch.setattr(verification, "PARALLEL_FROM_EVENTS", 10**9)
    sequential = audit_trail.verify()
    assert parallel == sequential
    assert parallel.ok is (tampered_seq is None)
    if tampered_seq:
        assert parallel.problem.seq == tampered_seq


def test_an_event_appended_behind_the_head_is_detected(app, make_user):
    make_user()
    _tamper("INSERT INTO audit_event (seq, occurred_at, action, record_type, changes, "
            "prev_hash, hash) SELECT seq + 1, occurred_at, action, record_type, changes, "
            "hash, hash FROM audit_event WHERE seq = 1")
    result = audit_trail.verify()
    assert not result.ok


def test_a_change_after_a_commit_records_the_stored_old_value(app, make_user):
    user = make_user(full_name="First Name")
    db.session.commit()  # expires the loaded attributes
    with audit.reason(db.session, "Name corrected"):
        user.full_name = "Second Name"
        db.session.commit()
    (change,) = _events_for("user_account", user.id, "update")
    assert json.loads(change.changes)["full_name"] == ["First Name", "Second Name"]
