"""store each order's readiness facts with its status (the readiness list reads one table)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 09:30:00

Filled when the summaries are next worked out: the summaries' version is part of their
settings key (``services.summaries``), so the first page that reads them after this
upgrade works every summary out again.
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('order_status', schema=None) as batch_op:
        batch_op.add_column(sa.Column('batch_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('facts', sa.JSON(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_order_status_batch_id_batch'), 'batch',
                                    ['batch_id'], ['id'])


def downgrade():
    with op.batch_alter_table('order_status', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_order_status_batch_id_batch'),
                                 type_='foreignkey')
        batch_op.drop_column('facts')
        batch_op.drop_column('batch_id')
