"""API idempotency keys: a client's retry of a write records once

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 20:45:00

Each API write sent with an ``Idempotency-Key`` header claims the key for its user (unique)
and keeps its answer, so a retry gets that answer back instead of recording again.
Bookkeeping, not a GMP record: the application may release (delete) a key whose request
failed on the server (labtrack/db_roles.py, RELEASABLE).
"""
import sqlalchemy as sa
from alembic import op

import labtrack.database

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'api_idempotent_request',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('key_hash', sa.String(length=64), nullable=False),
        sa.Column('request_hash', sa.String(length=64), nullable=False),
        sa.Column('path', sa.String(length=500), nullable=False),
        sa.Column('received_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column('status', sa.Integer(), nullable=True),
        sa.Column('content_type', sa.String(length=100), nullable=True),
        sa.Column('body', sa.Text(), nullable=True),
        sa.Column('location', sa.String(length=500), nullable=True),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'],
                                name=op.f('fk_api_idempotent_request_user_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_idempotent_request')),
        sa.UniqueConstraint('user_id', 'key_hash',
                            name=op.f('uq_api_idempotent_request_user_id')),
    )


def downgrade():
    op.drop_table('api_idempotent_request')
