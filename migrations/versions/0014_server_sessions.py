"""server-side sessions, temporary passwords, and the API token behind each audit event

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 17:10:00

Each signed-in browser session becomes a row that can be ended (sign-out, password
change or reset, role change, deactivation). An administrator's reset marks the
password temporary. An audit event names the API token that made the change, if any.
Columns are added without rebuilding tables, so the audit trail's triggers stay.
"""
import sqlalchemy as sa
from alembic import op

import labtrack.database

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'user_session',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_seen_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column('ended_at', labtrack.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column('end_reason', sa.String(length=40), nullable=True),
        sa.Column('client_addr', sa.String(length=64), nullable=True),
        sa.Column('user_agent', sa.String(length=200), nullable=True),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'],
                                name=op.f('fk_user_session_user_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_user_session')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_user_session_token_hash')),
    )
    op.create_index('ix_user_session_user_ended', 'user_session', ['user_id', 'ended_at'],
                    unique=False)
    op.add_column('user_account', sa.Column('must_change_password', sa.Boolean(),
                                            server_default=sa.false(), nullable=False))
    op.add_column('audit_event', sa.Column('api_token_id', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_column('api_token_id')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')
    op.drop_index('ix_user_session_user_ended', table_name='user_session')
    op.drop_table('user_session')
