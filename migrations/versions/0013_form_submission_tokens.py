"""one-time form tokens: a repeated submit records once

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 17:30:00

Each form submit claims its token (unique); the row remembers where the first submit
led, so a repeat shows that result instead of recording again.
"""
import sqlalchemy as sa
from alembic import op

import labtrack.database

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'form_submission',
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('path', sa.String(length=500), nullable=False),
        sa.Column('submitted_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column('completed_at', labtrack.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column('location', sa.String(length=500), nullable=True),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'],
                                name=op.f('fk_form_submission_user_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_form_submission')),
        sa.UniqueConstraint('token', name=op.f('uq_form_submission_token')),
    )


def downgrade():
    op.drop_table('form_submission')
