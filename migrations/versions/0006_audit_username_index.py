"""index one person's audit events, newest first (the audit viewer's user filter)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 06:40:00

"""
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_event_username_seq', ['username', 'seq'], unique=False)


def downgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_username_seq')
