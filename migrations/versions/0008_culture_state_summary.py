"""store each batch's culture state with its worklist summary (Today reads no steps)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 09:20:00

The new columns are filled when the summaries are next worked out: the summaries'
version is part of their settings key (``services.summaries``), so the first page that
reads them after this upgrade works every summary out again.
"""
import sqlalchemy as sa
from alembic import op

from labtrack.database import UTCDateTime

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('batch_worklist', schema=None) as batch_op:
        batch_op.add_column(sa.Column('isolated', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('seeded_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('harvested', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('passages', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('non_adherent_removed', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('last_feed_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('last_look_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('confluence', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('batch_worklist', schema=None) as batch_op:
        for column in ('confluence', 'last_look_at', 'last_feed_at', 'non_adherent_removed',
                       'passages', 'harvested', 'seeded_at', 'isolated'):
            batch_op.drop_column(column)
