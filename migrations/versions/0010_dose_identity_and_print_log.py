"""Each dose's ISBT 128 product code (its division), and the label print log

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 06:00:00

Doses formulated before this revision get the product code the lab configures
(LABTRACK_PRODUCT_CODE, default S1234100) with divisions A0, B0, … in the order the doses
were made, which is the order of their disc levels.
"""
import os
import string

import sqlalchemy as sa
from alembic import op

from labtrack.database import UTCDateTime

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def _backfill_product_codes():
    base = os.environ.get("LABTRACK_PRODUCT_CODE", "S1234100")[:6]
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, batch_id FROM dose ORDER BY batch_id, id")).all()
    position: dict[int, int] = {}
    for dose_id, batch_id in rows:
        index = position.get(batch_id, 0)
        position[batch_id] = index + 1
        bind.execute(sa.text("UPDATE dose SET product_code = :code WHERE id = :id"),
                     {"code": f"{base}{string.ascii_uppercase[index]}0", "id": dose_id})


def upgrade():
    with op.batch_alter_table('dose', schema=None) as batch_op:
        batch_op.add_column(sa.Column('product_code', sa.String(length=8), nullable=True))
    _backfill_product_codes()
    with op.batch_alter_table('dose', schema=None) as batch_op:
        batch_op.alter_column('product_code', existing_type=sa.String(length=8), nullable=False)
        batch_op.create_unique_constraint('uq_dose_batch_product_code',
                                          ['batch_id', 'product_code'])

    op.create_table(
        'label_print',
        sa.Column('printed_at', UTCDateTime(), nullable=False),
        sa.Column('printed_by_id', sa.Integer(), nullable=False),
        sa.Column('label', sa.String(length=10), nullable=False),
        sa.Column('sample_id', sa.Integer(), nullable=False),
        sa.Column('batch_id', sa.Integer(), nullable=True),
        sa.Column('dose_id', sa.Integer(), nullable=True),
        sa.Column('copies', sa.Integer(), nullable=False),
        sa.Column('format', sa.String(length=10), nullable=False),
        sa.Column('dpi', sa.Integer(), nullable=True),
        sa.Column('reprint', sa.Boolean(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['batch_id'], ['batch.id'],
                                name=op.f('fk_label_print_batch_id_batch')),
        sa.ForeignKeyConstraint(['dose_id'], ['dose.id'],
                                name=op.f('fk_label_print_dose_id_dose')),
        sa.ForeignKeyConstraint(['printed_by_id'], ['user_account.id'],
                                name=op.f('fk_label_print_printed_by_id_user_account')),
        sa.ForeignKeyConstraint(['sample_id'], ['sample.id'],
                                name=op.f('fk_label_print_sample_id_sample')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_label_print')),
    )
    with op.batch_alter_table('label_print', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_label_print_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_label_print_sample_id'), ['sample_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('label_print', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_label_print_sample_id'))
        batch_op.drop_index(batch_op.f('ix_label_print_batch_id'))
    op.drop_table('label_print')
    with op.batch_alter_table('dose', schema=None) as batch_op:
        batch_op.drop_constraint('uq_dose_batch_product_code', type_='unique')
        batch_op.drop_column('product_code')
