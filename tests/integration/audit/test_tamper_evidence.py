"""Issue 18: each attack of the independent check, now detected and named by audit-verify.

The attacker has direct database access (superuser: triggers switched off) and the
source code, but not the audit key, which lives on the application servers.
"""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import select, text

from labtrack.audit import checkpoints as audit_checkpoints
from labtrack.audit.models import AuditChainHead, AuditEvent
from labtrack.audit.rules.chain import LEGACY_FIELDS, LINKED_FIELDS, event_hash
from labtrack.audit.rules.checkpoint import from_json
from labtrack.culture.models import CellCount
from labtrack.extensions import db
from labtrack.quality.models import QcResult, Release
from tests import builders

SQLITE_TRIGGERS = {
    "audit_event": ("audit_event_no_update", "audit_event_no_delete"),
    "signature": ("signature_no_update", "signature_no_delete"),
    "batch_release": ("batch_release_protected_update", "batch_release_protected_delete"),
}


def _as_attacker(*statements: str, tables=()) -> None:
    """Run SQL with the protecting triggers switched off, as a database superuser can."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SET session_replication_role = replica"))
        for statement in statements:
            _run(statement)
        db.session.execute(text("SET session_replication_role = DEFAULT"))
    else:
        for table in tables:
            for trigger in SQLITE_TRIGGERS[table]:
                db.session.execute(text(f"DROP TRIGGER IF EXISTS {trigger}"))
        for statement in statements:
            _run(statement)
    db.session.commit()
    db.session.expire_all()


def _run(statement) -> None:
    sql, params = (statement, {}) if isinstance(statement, str) else statement
    db.session.execute(text(sql), params)


def _verify(runner, *args):
    result = runner.invoke(args=["audit-verify", *args])
    return result.exit_code, result.output


def _released_batch():
    batch = builders.releasable_batch()
    decision = builders.release(batch)
    return batch, decision


def test_every_stored_column_of_an_event_is_linked(app):
    stored = {column.name for column in AuditEvent.__table__.columns}
    assert stored - {"id", "prev_hash", "hash"} == set(LINKED_FIELDS)


def test_an_untouched_trail_with_a_release_verifies(app, runner):
    _released_batch()
    code, output = _verify(runner)
    assert code == 0, output
    assert output.startswith("Audit trail intact:") and output.count("\n") == 1


def test_a_rewrite_with_recomputed_hashes_is_named(app, runner):
    batch, _decision = _released_batch()
    events = db.session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars().all()
    target = next(e for e in events if e.record_type == "qc_result" and e.action == "create")
    # The attacker rewrites the viability result's event and recomputes every hash after it
    # with SHA-256, as the source code shows, then moves the head.
    prev, statements = target.prev_hash, []
    for event in events[target.seq - 1:]:
        content = {field: getattr(event, field) for field in LINKED_FIELDS}
        content["occurred_at"] = event.occurred_at.isoformat()
        if event.seq == target.seq:
            content["changes"] = content["changes"].replace('"95', '"44')
        link = event_hash(prev, {f: content[f] for f in LEGACY_FIELDS})
        statements.append((
            "UPDATE audit_event SET changes = :changes, prev_hash = :prev, hash = :link "
            "WHERE seq = :seq",
            {"changes": content["changes"], "prev": prev, "link": link, "seq": event.seq}))
        prev = link
    statements.append(f"UPDATE audit_chain_head SET last_hash = '{prev}' WHERE id = 1")
    _as_attacker(*statements, tables=("audit_event",))

    code, output = _verify(runner)
    assert code == 1
    assert f"event seq {target.seq}" in output
    assert "content does not match its keyed link" in output
    assert "the trail was rewritten" in output  # the release's checkpoint no longer matches


def test_a_truncation_with_the_head_fixed_up_is_named(app, runner):
    _released_batch()
    head = db.session.get(AuditChainHead, 1)
    keep = head.seq - 5
    last_kept = db.session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == keep))
    _as_attacker(f"DELETE FROM audit_event WHERE seq > {keep}",
                 f"UPDATE audit_chain_head SET seq = {keep}, last_hash = '{last_kept}' "
                 "WHERE id = 1", tables=("audit_event",))

    code, output = _verify(runner)
    assert code == 1
    assert "events were removed (truncated)" in output
    assert f"it ends at seq {keep}" in output
    assert "no audit event created this record" in output


def test_the_release_prints_the_checkpoint_anchored_outside_the_database(app, runner, tmp_path):
    _batch, decision = _released_batch()
    stored, _ = audit_checkpoints.read_all()
    anchor = from_json(decision.audit_checkpoint)
    assert anchor in stored
    pdf = tmp_path / "record.pdf"
    pdf.write_bytes(decision.record_pdf)
    code, output = _verify(runner, "--record", str(pdf))
    assert code == 0, output
    assert "matches the trail" in output

    # The same record against a trail truncated before its decision.
    keep = anchor.seq - 3
    last_kept = db.session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == keep))
    _as_attacker(f"DELETE FROM audit_event WHERE seq > {keep}",
                 f"UPDATE audit_chain_head SET seq = {keep}, last_hash = '{last_kept}' "
                 "WHERE id = 1", tables=("audit_event",))
    code, output = _verify(runner, "--record", str(pdf))
    assert code == 1
    assert f"seq {anchor.seq}" in output and "truncated" in output


def test_a_direct_edit_of_a_count_is_named(app, runner):
    batch, _decision = _released_batch()
    count = db.session.scalars(select(CellCount).where(CellCount.batch_id == batch.id)).first()
    viable = count.viable_cells
    _as_attacker(f"UPDATE cell_count SET viable_cells = viable_cells * 10 WHERE id = {count.id}")
    code, output = _verify(runner)
    assert code == 1
    assert f"cell_count {count.id}, field viable_cells" in output
    assert f"the trail says {viable}, the record holds {viable * 10}" in output


def test_a_direct_edit_of_a_qc_result_is_named(app, runner):
    batch, _decision = _released_batch()
    result = db.session.scalar(select(QcResult).where(QcResult.batch_id == batch.id,
                                                      QcResult.test_code == "viability"))
    _as_attacker(f"UPDATE qc_result SET numeric_value = 44 WHERE id = {result.id}")
    code, output = _verify(runner)
    assert code == 1
    assert f"qc_result {result.id}, field numeric_value" in output
    assert "the record holds \"44" in output


def test_a_signature_row_edit_with_its_trigger_off_is_named(app, runner):
    _batch, decision = _released_batch()
    _as_attacker(f"UPDATE signature SET printed_name = 'Someone Else' "
                 f"WHERE id = {decision.signature_id}", tables=("signature",))
    code, output = _verify(runner)
    assert code == 1
    assert f"signature {decision.signature_id}, field printed_name" in output
    assert "Someone Else" in output


def test_edited_stored_pdf_bytes_are_named(app, runner):
    _batch, decision = _released_batch()
    truncated = decision.record_pdf[:100]
    assert hashlib.sha256(truncated).hexdigest() != decision.record_sha256
    db.session.execute(text("SELECT 1"))
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SET session_replication_role = replica"))
    else:
        for trigger in SQLITE_TRIGGERS["batch_release"]:
            db.session.execute(text(f"DROP TRIGGER IF EXISTS {trigger}"))
    db.session.execute(text("UPDATE batch_release SET record_pdf = :pdf WHERE id = :id"),
                       {"pdf": truncated, "id": decision.id})
    db.session.commit()
    code, output = _verify(runner)
    assert code == 1
    assert f"batch_release {decision.id}, record_pdf" in output
    assert "do not match their SHA-256" in output


def test_the_release_table_refuses_changes(app):
    _batch, decision = _released_batch()
    import pytest
    from sqlalchemy.exc import DBAPIError

    with pytest.raises(DBAPIError, match="release decision can never be changed"):
        db.session.execute(text(f"UPDATE batch_release SET reason = 'x' WHERE id = {decision.id}"))
    db.session.rollback()
    assert db.session.get(Release, decision.id).record_sha256 == decision.record_sha256


def test_verification_without_the_key_exits_2(app, runner):
    builders.user("qa")
    app.config["AUDIT_KEYS"] = "other:" + "ab" * 32
    app.extensions.pop("audit_keyring", None)
    code, output = _verify(runner)
    assert code == 1  # a key the trail was not linked with
    assert "key 't1' is not available" in output
    app.config["AUDIT_KEYS"] = ""
    app.extensions.pop("audit_keyring", None)
    code, output = _verify(runner)
    assert code == 2
    assert "No audit key is configured" in output


def test_the_verification_is_recorded_for_the_admin_home(app, runner):
    builders.user("qa")
    _verify(runner)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "verify"))
    assert json.loads(event.changes)["result"] == "intact"


def test_the_admin_home_shows_the_last_verification(app, runner, make_user):
    from tests.helpers import login

    admin = make_user("admin")
    client = app.test_client()
    login(client, admin.username)
    assert "has not been verified yet" in client.get("/admin/users").get_data(as_text=True)
    _verify(runner)
    _as_attacker("UPDATE audit_event SET reason = 'x' WHERE seq = 1", tables=("audit_event",))
    _verify(runner)
    html = client.get("/admin/users").get_data(as_text=True)
    assert "Audit trail last verified" in html and "NOT intact" in html
    assert "first: event seq 1" in html
