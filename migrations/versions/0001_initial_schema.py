"""initial schema: accounts, audit trail, signatures

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 02:43:13.779005

"""
from alembic import op
import sqlalchemy as sa

import labtrack.database


# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_chain_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain_head'))
    )
    op.create_table('audit_event',
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('occurred_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('username', sa.String(length=64), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('record_type', sa.String(length=64), nullable=False),
    sa.Column('record_id', sa.String(length=64), nullable=True),
    sa.Column('changes', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('client_addr', sa.String(length=64), nullable=True),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event')),
    sa.UniqueConstraint('seq', name=op.f('uq_audit_event_seq'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_event_occurred_at', ['occurred_at'], unique=False)
        batch_op.create_index('ix_audit_event_record', ['record_type', 'record_id'], unique=False)
        batch_op.create_index('ix_audit_event_user_id', ['user_id'], unique=False)

    op.create_table('user_account',
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('is_active_account', sa.Boolean(), nullable=False),
    sa.Column('failed_login_count', sa.Integer(), nullable=False),
    sa.Column('locked_until', labtrack.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_login_at', labtrack.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('password_changed_at', labtrack.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_account')),
    sa.UniqueConstraint('username', name=op.f('uq_user_account_username'))
    )
    op.create_table('signature',
    sa.Column('signer_id', sa.Integer(), nullable=False),
    sa.Column('printed_name', sa.String(length=200), nullable=False),
    sa.Column('meaning', sa.String(length=40), nullable=False),
    sa.Column('signed_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('record_type', sa.String(length=64), nullable=False),
    sa.Column('record_id', sa.String(length=64), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['signer_id'], ['user_account.id'], name=op.f('fk_signature_signer_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signature'))
    )
    with op.batch_alter_table('signature', schema=None) as batch_op:
        batch_op.create_index('ix_signature_record', ['record_type', 'record_id'], unique=False)

    op.execute(
        "INSERT INTO audit_chain_head (id, seq, last_hash) VALUES (1, 0, '" + "0" * 64 + "')"
    )
    create_append_only_triggers()


APPEND_ONLY = {
    "audit_event": "audit events are append-only",
    "signature": "signatures can never be changed or removed",
}


def create_append_only_triggers():
    """The database itself refuses UPDATE and DELETE on the audit trail and signatures."""
    bind = op.get_bind()
    for table, message in APPEND_ONLY.items():
        if bind.dialect.name == "postgresql":
            op.execute(f"""
                CREATE FUNCTION {table}_refuse_change() RETURNS trigger AS $$
                BEGIN
                    RAISE EXCEPTION '{message}: % refused on {table}', TG_OP;
                END;
                $$ LANGUAGE plpgsql""")
            op.execute(f"""
                CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
                FOR EACH ROW EXECUTE FUNCTION {table}_refuse_change()""")
            op.execute(f"""
                CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
                FOR EACH STATEMENT EXECUTE FUNCTION {table}_refuse_change()""")
        else:
            for operation in ("UPDATE", "DELETE"):
                op.execute(f"""
                    CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table}
                    BEGIN SELECT RAISE(ABORT, '{message}: {operation} refused on {table}'); END""")


def drop_append_only_triggers():
    bind = op.get_bind()
    for table in APPEND_ONLY:
        if bind.dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
            op.execute(f"DROP FUNCTION {table}_refuse_change()")
        else:
            op.execute(f"DROP TRIGGER {table}_no_update")
            op.execute(f"DROP TRIGGER {table}_no_delete")


def downgrade():
    drop_append_only_triggers()
    with op.batch_alter_table('signature', schema=None) as batch_op:
        batch_op.drop_index('ix_signature_record')

    op.drop_table('signature')
    op.drop_table('user_account')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_user_id')
        batch_op.drop_index('ix_audit_event_record')
        batch_op.drop_index('ix_audit_event_occurred_at')

    op.drop_table('audit_event')
    op.drop_table('audit_chain_head')
