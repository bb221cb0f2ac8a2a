"""index the audit viewer's usual filter: record type and action, newest first

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 04:35:00

"""
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_event_type_action_seq',
                              ['record_type', 'action', 'seq'], unique=False)


def downgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_type_action_seq')
