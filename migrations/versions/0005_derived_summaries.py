"""derived summaries for the Today worklist and the readiness list

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 06:00:00

The tables start empty; the application fills them on first use (and whenever the
settings they depend on change), see labtrack/services/summaries.py.
"""
import sqlalchemy as sa
from alembic import op

from labtrack.database import UTCDateTime

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'batch_worklist',
        sa.Column('batch_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('due_on', sa.Date(), nullable=True),
        sa.Column('overdue_on', sa.Date(), nullable=True),
        sa.Column('at_risk', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['batch_id'], ['batch.id'],
                                name=op.f('fk_batch_worklist_batch_id_batch')),
        sa.PrimaryKeyConstraint('batch_id', name=op.f('pk_batch_worklist')),
    )
    op.create_index('ix_batch_worklist_due_on', 'batch_worklist', ['due_on'], unique=False)
    op.create_table(
        'order_status',
        sa.Column('order_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('stage', sa.String(length=30), nullable=False),
        sa.Column('released_until', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['order_id'], ['treatment_order.id'],
                                name=op.f('fk_order_status_order_id_treatment_order')),
        sa.PrimaryKeyConstraint('order_id', name=op.f('pk_order_status')),
    )
    op.create_index('ix_order_status_stage', 'order_status', ['stage'], unique=False)
    op.create_table(
        'summary_state',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('settings_key', sa.String(length=500), nullable=False),
        sa.Column('refreshed_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_summary_state')),
    )


def downgrade():
    op.drop_table('summary_state')
    op.drop_index('ix_order_status_stage', table_name='order_status')
    op.drop_table('order_status')
    op.drop_index('ix_batch_worklist_due_on', table_name='batch_worklist')
    op.drop_table('batch_worklist')
