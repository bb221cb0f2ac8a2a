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

import labtrack.database

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cell_count', schema=None) as batch_op:
        batch_op.add_column(sa.Column('plausibility_warning', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('plausibility_reason', sa.Text(), nullable=True))
    with op.batch_alter_table('batch_worklist', schema=None) as batch_op:
        batch_op.add_column(sa.Column('at_risk_from', labtrack.database.UTCDateTime(
            timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_count_at', labtrack.database.UTCDateTime(
            timezone=True), nullable=True))
    with op.batch_alter_table('order_status', schema=None) as batch_op:
        batch_op.add_column(sa.Column('at_risk_from', labtrack.database.UTCDateTime(
            timezone=True), nullable=True))
    # The summaries are worked out again with the new columns (clinic/summaries.py's
    # SUMMARY_VERSION changed, so the first page that reads them does it).


def downgrade():
    with op.batch_alter_table('order_status', schema=None) as batch_op:
        batch_op.drop_column('at_risk_from')
    with op.batch_alter_table('batch_worklist', schema=None) as batch_op:
        batch_op.drop_column('last_count_at')
        batch_op.drop_column('at_risk_from')
    with op.batch_alter_table('cell_count', schema=None) as batch_op:
        batch_op.drop_column('plausibility_reason')
        batch_op.drop_column('plausibility_warning')
