"""keep cell counters' export files, and link each count imported from one to its file

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 05:34:37

A file is kept byte for byte, once: its SHA-256 is unique. Counts typed by hand keep
the new columns empty.
"""
import sqlalchemy as sa
from alembic import op

import labtrack.database

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'counter_file',
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('file_format', sa.String(length=20), nullable=False),
        sa.Column('size_bytes', sa.Integer(), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.Column('imported_by_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['imported_by_id'], ['user_account.id'],
                                name=op.f('fk_counter_file_imported_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_counter_file')),
        sa.UniqueConstraint('sha256', name=op.f('uq_counter_file_sha256')),
    )
    with op.batch_alter_table('cell_count', schema=None) as batch_op:
        batch_op.add_column(sa.Column('counter_file_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('instrument_serial', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('operator', sa.String(length=100), nullable=True))
        batch_op.create_index(batch_op.f('ix_cell_count_counter_file_id'), ['counter_file_id'],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_cell_count_counter_file_id_counter_file'),
                                    'counter_file', ['counter_file_id'], ['id'])


def downgrade():
    with op.batch_alter_table('cell_count', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_cell_count_counter_file_id_counter_file'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_cell_count_counter_file_id'))
        batch_op.drop_column('operator')
        batch_op.drop_column('instrument_serial')
        batch_op.drop_column('counter_file_id')
    op.drop_table('counter_file')
