"""plausibility of counts (a warning confirmed with a reason) and the ageing of summaries

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 17:10:00

A count past a soft plausibility limit keeps the warning shown and the reason given. The
derived summaries keep the dates that make them age: the culture's last count (a count
overdue) and the day an order's projected ready date passes (at risk).
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cell_count', schema=None) as batch_op:
        batch_op.add_column(sa.Column('plausibility_warning', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('plausibility_reason', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('cell_count', schema=None) as batch_op:
        batch_op.drop_column('plausibility_reason')
        batch_op.drop_column('plausibility_warning')
