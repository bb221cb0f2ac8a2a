"""Keying an existing trail (migration 0018), key rotation, periodic checkpoints."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from flask_migrate import upgrade
from sqlalchemy import select, text

from labtrack.audit import checkpoints as audit_checkpoints
from labtrack.audit import trail as audit_trail
from labtrack.audit.models import AuditEvent
from labtrack.audit.rules.chain import GENESIS_HASH, LEGACY_FIELDS, event_hash
from labtrack.database import utcnow
from labtrack.extensions import db
from tests import builders
from tests.conftest import build_app


def _legacy_trail(tmp_path, events: int, broken_at: int | None = None):
    """An app on a database at revision 0011 holding ``events`` SHA-256-chained events."""
    app = build_app(f"sqlite:///{tmp_path / 'legacy.sqlite3'}")
    with app.app_context():
        upgrade(revision="0011")
        prev, now = GENESIS_HASH, utcnow().replace(microsecond=0)
        for seq in range(1, events + 1):
            row = {"seq": seq, "occurred_at": now.isoformat(), "user_id": None,
                   "username": "system", "action": "create", "record_type": "patient",
                   "record_id": str(seq), "changes": json.dumps({"name": [None, f"P{seq}"]}),
                   "reason": None, "client_addr": None}
            link = event_hash(prev, {f: row[f] for f in LEGACY_FIELDS})
            if seq == broken_at:
                row["changes"] = "{}"
            db.session.execute(text(
                "INSERT INTO audit_event (seq, occurred_at, user_id, username, action, "
                "record_type, record_id, changes, reason, client_addr, prev_hash, hash) "
                "VALUES (:seq, :at, NULL, 'system', 'create', 'patient', :rid, :changes, "
                "NULL, NULL, :prev, :link)"),
                {"seq": seq, "at": now.strftime("%Y-%m-%d %H:%M:%S.000000"),
                 "rid": row["record_id"], "changes": row["changes"], "prev": prev,
                 "link": link})
            prev = link
        db.session.execute(text("UPDATE audit_chain_head SET seq = :seq, last_hash = :link"),
                           {"seq": events, "link": prev})
        db.session.commit()
    return app


def test_an_existing_trail_is_keyed_by_a_verified_audited_step(tmp_path):
    app = _legacy_trail(tmp_path, 5)
    with app.app_context():
        upgrade()
        keyed = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "chain_keyed"))
        assert keyed.seq == 6 and keyed.key_id == "t1"
        details = json.loads(keyed.changes)
        assert details["legacy_events"] == 5
        assert details["legacy_last_link"] == keyed.prev_hash
        assert audit_trail.verify().ok
        # A legacy event rewritten with its SHA-256 recomputed no longer fits the keyed event.
        db.session.execute(text("DROP TRIGGER audit_event_no_update"))
        first = db.session.scalar(select(AuditEvent).where(AuditEvent.seq == 5))
        content = {f: getattr(first, f) for f in LEGACY_FIELDS}
        content["occurred_at"] = first.occurred_at.isoformat()
        content["reason"] = "rewritten"
        db.session.execute(text("UPDATE audit_event SET reason = 'rewritten', hash = :h "
                                "WHERE seq = 5"),
                           {"h": event_hash(first.prev_hash, content)})
        db.session.commit()
        result = audit_trail.verify()
        assert not result.ok and result.problem.seq == 6
        db.session.remove()
        db.engine.dispose()


def test_a_broken_legacy_trail_is_not_keyed(tmp_path, capfd):
    app = _legacy_trail(tmp_path, 4, broken_at=2)
    with app.app_context():
        with pytest.raises(SystemExit):
            upgrade()
        assert "The audit chain is broken at seq 2" in capfd.readouterr().err
        columns = {row[1] for row in db.session.execute(text("PRAGMA table_info(audit_event)"))}
        assert "key_id" not in columns  # nothing was changed
        db.session.remove()
        db.engine.dispose()


def test_a_rotated_key_links_from_a_recorded_event(app, runner, tmp_path):
    key_file = tmp_path / "audit-keys"
    key_file.write_text("t1:" + "5eed" * 16 + "\n")
    app.config.update(AUDIT_KEYS=None, AUDIT_KEY_FILE=str(key_file))
    app.extensions.pop("audit_keyring", None)
    builders.user("qa")
    result = runner.invoke(args=["audit-rotate-key", "--reason", "Yearly rotation"])
    assert result.exit_code == 0, result.output
    builders.user("technician")
    rotated = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "key_rotated"))
    assert rotated.key_id == "k2" and rotated.reason == "Yearly rotation"
    later = db.session.scalars(select(AuditEvent).where(AuditEvent.seq > rotated.seq)).all()
    assert later and {event.key_id for event in later} == {"k2"}
    assert audit_trail.verify().ok
    # Without the old key the events it linked cannot be verified.
    key_file.write_text("\n".join(key_file.read_text().splitlines()[1:]) + "\n")
    app.extensions.pop("audit_keyring", None)
    result = audit_trail.verify()
    assert not result.ok and "key 't1' is not available" in result.problem.problem


def test_a_checkpoint_is_written_at_least_hourly(app):
    builders.user("qa")
    first, _ = audit_checkpoints.read_all()
    builders.user("qa")
    assert audit_checkpoints.read_all()[0] == first  # not again within the hour
    with time_machine.travel(utcnow() + timedelta(minutes=61), tick=False):
        builders.user("qa")
    later, _ = audit_checkpoints.read_all()
    assert len(later) == len(first) + 1 and later[-1].why == "periodic"


@pytest.mark.parametrize("microsecond", [0, 1, 999_999])
def test_verification_reads_times_exactly_as_they_were_linked(app, microsecond):
    # isoformat() leaves out a zero microsecond part; the database's text must match it.
    moment = utcnow().replace(microsecond=microsecond)
    with time_machine.travel(moment, tick=False):
        builders.user("qa")
    result = audit_trail.verify()
    assert result.ok, result.problem
