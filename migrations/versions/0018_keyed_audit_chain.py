"""keyed audit chain: key id per event, the legacy chain sealed under the key, more triggers

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 17:30:00

Existing events keep their plain SHA-256 links. The step that keys the chain is
verifiable and audited: the legacy chain is verified first (the migration stops if it
is broken), then one event, ``chain_keyed``, is linked under the current audit key
after the last legacy event, naming how many there were and the last link; every
later event is keyed. A rewrite of the legacy events would change the link that
event is bound to.

Triggers also make the release decisions and the stored counter files unchangeable,
and refuse DELETE (and TRUNCATE on PostgreSQL) on every GMP table.
"""
import json

import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

# Rows that never change once written (besides audit_event and signature, from 0001).
IMMUTABLE = {
    "batch_release": "a release decision can never be changed or removed",
    "counter_file": "a stored counter file can never be changed or removed",
}
# Not GMP records: the chain head, the derived summaries, Alembic's own table, the
# bookkeeping of sign-in sessions and of one-time form tokens (a refused submit frees its
# token by deleting it).
NOT_PROTECTED = {"audit_chain_head", "audit_event", "signature", "alembic_version",
                 "batch_worklist", "order_status", "summary_state", "user_session",
                 "form_submission", *IMMUTABLE}


def upgrade():
    legacy = _verified_legacy_chain()  # before any change: a broken trail stops here
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key_id', sa.String(length=16), nullable=True))
    with op.batch_alter_table('batch_release', schema=None) as batch_op:
        batch_op.add_column(sa.Column('audit_checkpoint', sa.Text(), nullable=True))
    _key_the_chain(legacy)
    for table, message in IMMUTABLE.items():
        _refuse(table, ("UPDATE", "DELETE"), message)
    for table in sorted(set(sa.inspect(op.get_bind()).get_table_names()) - NOT_PROTECTED):
        _refuse(table, ("DELETE",), "GMP records are never deleted")


def _refuse(table: str, operations: tuple[str, ...], message: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION {table}_refuse_change_0018() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '{message}: % refused on {table}', TG_OP;
            END;
            $$ LANGUAGE plpgsql""")
        op.execute(f"""
            CREATE TRIGGER {table}_protected BEFORE {' OR '.join(operations)} ON {table}
            FOR EACH ROW EXECUTE FUNCTION {table}_refuse_change_0018()""")
        op.execute(f"""
            CREATE TRIGGER {table}_no_truncate_0018 BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION {table}_refuse_change_0018()""")
    else:
        for operation in operations:
            op.execute(f"""
                CREATE TRIGGER {table}_protected_{operation.lower()} BEFORE {operation}
                ON {table}
                BEGIN SELECT RAISE(ABORT, '{message}: {operation} refused on {table}'); END""")


def _drop_refusals(table: str, operations: tuple[str, ...]) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER {table}_protected ON {table}")
        op.execute(f"DROP TRIGGER {table}_no_truncate_0018 ON {table}")
        op.execute(f"DROP FUNCTION {table}_refuse_change_0018()")
    else:
        for operation in operations:
            op.execute(f"DROP TRIGGER {table}_protected_{operation.lower()}")


def _verified_legacy_chain() -> tuple[int, str, int]:
    """The head (seq, link) and the count of a legacy chain verified intact."""
    from labtrack.audit.rules.chain import join_segments
    from labtrack.audit.verification import verify_range

    bind = op.get_bind()
    head_seq, last_hash = bind.execute(
        sa.text("SELECT seq, last_hash FROM audit_chain_head WHERE id = 1")).one()
    if head_seq == 0:
        return 0, last_hash, 0
    segment = verify_range(bind, 1, None, {}, before_keying=True)
    checked, problem = join_segments([segment], head_seq, last_hash)
    if problem is not None:
        raise RuntimeError(f"The audit chain is broken at seq {problem.seq} "
                           f"({problem.problem}); it cannot be keyed. Investigate first.")
    return head_seq, last_hash, checked


def _key_the_chain(legacy: tuple[int, str, int]) -> None:
    """Link the ``chain_keyed`` event under the audit key after the verified legacy chain."""
    from labtrack.audit.capture import link_events
    from labtrack.audit.keys import keyring
    from labtrack.audit.models import AuditEvent
    from labtrack.database import utcnow

    bind = op.get_bind()
    head_seq, last_hash, checked = legacy
    if head_seq == 0:
        return  # a new trail is keyed from its first event
    ring = keyring()
    changes = {"legacy_events": checked, "legacy_last_link": last_hash,
               "key_id": ring.current_id}
    pending = [{"user_id": None, "username": "migration", "client_addr": None,
                "api_token_id": None, "action": "chain_keyed", "record_type": "audit_trail", "record_id": None,
                "changes": json.dumps(changes, sort_keys=True, separators=(",", ":")),
                "reason": "The audit chain is keyed from here (migration 0018)"}]
    rows = link_events(pending, head_seq, last_hash, utcnow(), ring)
    bind.execute(AuditEvent.__table__.insert(), rows)
    bind.execute(sa.text("UPDATE audit_chain_head SET seq = :seq, last_hash = :link "
                         "WHERE id = 1"), {"seq": rows[-1]["seq"], "link": rows[-1]["hash"]})


def downgrade():
    for table in sorted(set(sa.inspect(op.get_bind()).get_table_names()) - NOT_PROTECTED):
        _drop_refusals(table, ("DELETE",))
    for table in IMMUTABLE:
        _drop_refusals(table, ("UPDATE", "DELETE"))
    with op.batch_alter_table('batch_release', schema=None) as batch_op:
        batch_op.drop_column('audit_checkpoint')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_column('key_id')
