"""index batches by start, newest first (the batch list's order)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 06:55:00

"""
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('batch', schema=None) as batch_op:
        batch_op.create_index('ix_batch_started_at_id', ['started_at', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('batch', schema=None) as batch_op:
        batch_op.drop_index('ix_batch_started_at_id')
