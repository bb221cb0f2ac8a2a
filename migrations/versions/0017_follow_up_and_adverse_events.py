"""record follow-up visits (scores, MRI per treated disc) and adverse events

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 16:59:03

A correction of either is a new row superseding the wrong one (supersedes_id).
"""
import sqlalchemy as sa
from alembic import op

import labtrack.database

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('follow_up_visit',
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('visit_key', sa.String(length=20), nullable=False),
    sa.Column('visit_date', sa.Date(), nullable=False),
    sa.Column('pain_scale', sa.String(length=3), nullable=False),
    sa.Column('back_pain', sa.Integer(), nullable=True),
    sa.Column('leg_pain', sa.Integer(), nullable=True),
    sa.Column('odi_answers', sa.String(length=10), nullable=True),
    sa.Column('odi_percent', sa.Numeric(precision=4, scale=1), nullable=True),
    sa.Column('pgic', sa.String(length=30), nullable=True),
    sa.Column('analgesics', sa.String(length=30), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('supersedes_id', sa.Integer(), nullable=True),
    sa.Column('amendment_reason', sa.Text(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['treatment_order.id'],
        name=op.f('fk_follow_up_visit_order_id_treatment_order')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'],
        name=op.f('fk_follow_up_visit_recorded_by_id_user_account')),
    sa.ForeignKeyConstraint(['supersedes_id'], ['follow_up_visit.id'],
        name=op.f('fk_follow_up_visit_supersedes_id_follow_up_visit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_up_visit'))
    )
    with op.batch_alter_table('follow_up_visit', schema=None) as batch_op:
        batch_op.create_index('ix_follow_up_visit_order_key', ['order_id', 'visit_key'],
            unique=False)
        batch_op.create_index(batch_op.f('ix_follow_up_visit_supersedes_id'), ['supersedes_id'],
            unique=False)

    op.create_table('disc_imaging',
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('disc_level', sa.String(length=8), nullable=False),
    sa.Column('pfirrmann_grade', sa.Integer(), nullable=True),
    sa.Column('disc_height_mm', sa.Numeric(precision=4, scale=1), nullable=True),
    sa.Column('t2_signal', sa.Numeric(precision=7, scale=1), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['visit_id'], ['follow_up_visit.id'],
        name=op.f('fk_disc_imaging_visit_id_follow_up_visit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disc_imaging'))
    )
    with op.batch_alter_table('disc_imaging', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disc_imaging_visit_id'), ['visit_id'], unique=False)

    op.create_table('adverse_event',
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('administration_id', sa.Integer(), nullable=True),
    sa.Column('dose_id', sa.Integer(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('din', sa.String(length=13), nullable=True),
    sa.Column('onset_date', sa.Date(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('serious', sa.Boolean(), nullable=False),
    sa.Column('seriousness_criteria', sa.String(length=120), nullable=True),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('causality_product', sa.String(length=14), nullable=False),
    sa.Column('causality_procedure', sa.String(length=14), nullable=False),
    sa.Column('action_taken', sa.String(length=20), nullable=False),
    sa.Column('outcome', sa.String(length=30), nullable=False),
    sa.Column('reported_by_id', sa.Integer(), nullable=False),
    sa.Column('supersedes_id', sa.Integer(), nullable=True),
    sa.Column('amendment_reason', sa.Text(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['administration_id'], ['administration.id'],
        name=op.f('fk_adverse_event_administration_id_administration')),
    sa.ForeignKeyConstraint(['batch_id'], ['batch.id'],
        name=op.f('fk_adverse_event_batch_id_batch')),
    sa.ForeignKeyConstraint(['dose_id'], ['dose.id'], name=op.f('fk_adverse_event_dose_id_dose')),
    sa.ForeignKeyConstraint(['order_id'], ['treatment_order.id'],
        name=op.f('fk_adverse_event_order_id_treatment_order')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'],
        name=op.f('fk_adverse_event_patient_id_patient')),
    sa.ForeignKeyConstraint(['reported_by_id'], ['user_account.id'],
        name=op.f('fk_adverse_event_reported_by_id_user_account')),
    sa.ForeignKeyConstraint(['supersedes_id'], ['adverse_event.id'],
        name=op.f('fk_adverse_event_supersedes_id_adverse_event')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_adverse_event'))
    )
    with op.batch_alter_table('adverse_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_adverse_event_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_adverse_event_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_adverse_event_supersedes_id'), ['supersedes_id'],
            unique=False)



def downgrade():
    with op.batch_alter_table('adverse_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_adverse_event_supersedes_id'))
        batch_op.drop_index(batch_op.f('ix_adverse_event_order_id'))
        batch_op.drop_index(batch_op.f('ix_adverse_event_batch_id'))

    op.drop_table('adverse_event')
    with op.batch_alter_table('disc_imaging', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disc_imaging_visit_id'))

    op.drop_table('disc_imaging')
    with op.batch_alter_table('follow_up_visit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follow_up_visit_supersedes_id'))
        batch_op.drop_index('ix_follow_up_visit_order_key')

    op.drop_table('follow_up_visit')
