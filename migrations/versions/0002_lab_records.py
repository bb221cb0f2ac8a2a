"""orders, samples, batches, culture, quality, doses, notices

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 02:55:41.156506

"""
from alembic import op
import sqlalchemy as sa
import labtrack.database  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('counter',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_counter')),
    sa.UniqueConstraint('name', name=op.f('uq_counter_name'))
    )
    op.create_table('equipment',
    sa.Column('identifier', sa.String(length=50), nullable=False),
    sa.Column('kind', sa.String(length=50), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=True),
    sa.Column('calibration_due', sa.Date(), nullable=False),
    sa.Column('in_service', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_equipment')),
    sa.UniqueConstraint('identifier', name=op.f('uq_equipment_identifier'))
    )
    op.create_table('patient',
    sa.Column('record_number', sa.String(length=32), nullable=False),
    sa.Column('given_name', sa.String(length=100), nullable=False),
    sa.Column('family_name', sa.String(length=100), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=False),
    sa.Column('sex', sa.String(length=1), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patient')),
    sa.UniqueConstraint('record_number', name=op.f('uq_patient_record_number'))
    )
    op.create_table('reagent_lot',
    sa.Column('material', sa.String(length=100), nullable=False),
    sa.Column('manufacturer', sa.String(length=100), nullable=False),
    sa.Column('lot_number', sa.String(length=50), nullable=False),
    sa.Column('expiry_date', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reagent_lot')),
    sa.UniqueConstraint('material', 'lot_number', name='uq_reagent_lot_material_lot_number')
    )
    op.create_table('api_token',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('created_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', labtrack.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', labtrack.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_api_token_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_user_id'), ['user_id'], unique=False)

    op.create_table('specification',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('effective_from', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('change_summary', sa.Text(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_specification_created_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_specification')),
    sa.UniqueConstraint('version', name=op.f('uq_specification_version'))
    )
    op.create_table('treatment_order',
    sa.Column('order_number', sa.String(length=20), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('disc_levels', sa.String(length=64), nullable=False),
    sa.Column('cells_per_disc', sa.BigInteger(), nullable=False),
    sa.Column('tolerance_percent', sa.Integer(), nullable=False),
    sa.Column('qc_reserve_cells', sa.BigInteger(), nullable=False),
    sa.Column('planned_procedure_date', sa.Date(), nullable=False),
    sa.Column('treating_clinician_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('authorisation_reference', sa.String(length=64), nullable=True),
    sa.Column('authorisation_granted_on', sa.Date(), nullable=True),
    sa.Column('authorisation_levels', sa.String(length=64), nullable=True),
    sa.Column('authorisation_expires_on', sa.Date(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('cancelled_reason', sa.Text(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_treatment_order_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_treatment_order_patient_id_patient')),
    sa.ForeignKeyConstraint(['treating_clinician_id'], ['user_account.id'], name=op.f('fk_treatment_order_treating_clinician_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_treatment_order')),
    sa.UniqueConstraint('order_number', name=op.f('uq_treatment_order_order_number'))
    )
    with op.batch_alter_table('treatment_order', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_treatment_order_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_treatment_order_planned_procedure_date'), ['planned_procedure_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_treatment_order_treating_clinician_id'), ['treating_clinician_id'], unique=False)

    op.create_table('sample',
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('din', sa.String(length=13), nullable=False),
    sa.Column('collected_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('collection_site', sa.String(length=100), nullable=False),
    sa.Column('volume_ml', sa.Numeric(precision=7, scale=1), nullable=False),
    sa.Column('anticoagulant', sa.String(length=50), nullable=False),
    sa.Column('collected_by', sa.String(length=200), nullable=False),
    sa.Column('received_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('received_by_id', sa.Integer(), nullable=False),
    sa.Column('temperature_c', sa.Numeric(precision=5, scale=1), nullable=False),
    sa.Column('container_intact', sa.Boolean(), nullable=False),
    sa.Column('tube_record_number', sa.String(length=32), nullable=False),
    sa.Column('tube_patient_name', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('failed_rules', sa.Text(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['treatment_order.id'], name=op.f('fk_sample_order_id_treatment_order')),
    sa.ForeignKeyConstraint(['received_by_id'], ['user_account.id'], name=op.f('fk_sample_received_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sample')),
    sa.UniqueConstraint('din', name=op.f('uq_sample_din'))
    )
    with op.batch_alter_table('sample', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sample_order_id'), ['order_id'], unique=False)

    op.create_table('specification_test',
    sa.Column('specification_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('unit', sa.String(length=20), nullable=False),
    sa.Column('method', sa.String(length=100), nullable=False),
    sa.Column('lower', sa.Numeric(precision=14, scale=4), nullable=True),
    sa.Column('lower_inclusive', sa.Boolean(), nullable=False),
    sa.Column('upper', sa.Numeric(precision=14, scale=4), nullable=True),
    sa.Column('upper_inclusive', sa.Boolean(), nullable=False),
    sa.Column('accepted_values', sa.Text(), nullable=False),
    sa.Column('mandatory', sa.Boolean(), nullable=False),
    sa.Column('may_be_pending', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['specification_id'], ['specification.id'], name=op.f('fk_specification_test_specification_id_specification')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_specification_test')),
    sa.UniqueConstraint('specification_id', 'code', name='uq_specification_test_spec_code')
    )
    op.create_table('batch',
    sa.Column('batch_number', sa.String(length=20), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('sample_id', sa.Integer(), nullable=False),
    sa.Column('specification_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('held_from', sa.String(length=20), nullable=True),
    sa.Column('state_reason', sa.Text(), nullable=True),
    sa.Column('started_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('seeded_at', labtrack.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('harvested_at', labtrack.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('final_viable_cells', sa.BigInteger(), nullable=True),
    sa.Column('final_viability_percent', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['treatment_order.id'], name=op.f('fk_batch_order_id_treatment_order')),
    sa.ForeignKeyConstraint(['sample_id'], ['sample.id'], name=op.f('fk_batch_sample_id_sample')),
    sa.ForeignKeyConstraint(['specification_id'], ['specification.id'], name=op.f('fk_batch_specification_id_specification')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_batch')),
    sa.UniqueConstraint('batch_number', name=op.f('uq_batch_batch_number')),
    sa.UniqueConstraint('sample_id', name=op.f('uq_batch_sample_id'))
    )
    with op.batch_alter_table('batch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_batch_order_id'), ['order_id'], unique=False)
        batch_op.create_index('ix_batch_state', ['state'], unique=False)

    op.create_table('batch_release',
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=15), nullable=False),
    sa.Column('exceptional', sa.Boolean(), nullable=False),
    sa.Column('decided_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('signature_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('clinician_request', sa.Text(), nullable=True),
    sa.Column('risk_assessment', sa.Text(), nullable=True),
    sa.Column('checklist', sa.Text(), nullable=False),
    sa.Column('document_id', sa.String(length=40), nullable=True),
    sa.Column('record_pdf', sa.LargeBinary(), nullable=True),
    sa.Column('record_sha256', sa.String(length=64), nullable=True),
    sa.Column('audit_head_hash', sa.String(length=64), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batch.id'], name=op.f('fk_batch_release_batch_id_batch')),
    sa.ForeignKeyConstraint(['signature_id'], ['signature.id'], name=op.f('fk_batch_release_signature_id_signature')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_batch_release')),
    sa.UniqueConstraint('batch_id', name=op.f('uq_batch_release_batch_id')),
    sa.UniqueConstraint('document_id', name=op.f('uq_batch_release_document_id'))
    )
    op.create_table('cell_count',
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('counted_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('passage_number', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=30), nullable=False),
    sa.Column('viable_cells', sa.BigInteger(), nullable=False),
    sa.Column('dead_cells', sa.BigInteger(), nullable=False),
    sa.Column('viability_percent', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('live_counted', sa.Numeric(precision=10, scale=2), nullable=True),
    sa.Column('dead_counted', sa.Numeric(precision=10, scale=2), nullable=True),
    sa.Column('volume_ml', sa.Numeric(precision=8, scale=2), nullable=True),
    sa.Column('dilution', sa.Numeric(precision=8, scale=2), nullable=True),
    sa.Column('entered_by_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('supersedes_id', sa.Integer(), nullable=True),
    sa.Column('amendment_reason', sa.Text(), nullable=True),
    sa.Column('is_void', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batch.id'], name=op.f('fk_cell_count_batch_id_batch')),
    sa.ForeignKeyConstraint(['entered_by_id'], ['user_account.id'], name=op.f('fk_cell_count_entered_by_id_user_account')),
    sa.ForeignKeyConstraint(['supersedes_id'], ['cell_count.id'], name=op.f('fk_cell_count_supersedes_id_cell_count')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cell_count'))
    )
    with op.batch_alter_table('cell_count', schema=None) as batch_op:
        batch_op.create_index('ix_cell_count_batch_counted', ['batch_id', 'counted_at'], unique=False)

    op.create_table('deviation',
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('sample_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=15), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('immediate_action', sa.Text(), nullable=True),
    sa.Column('root_cause', sa.Text(), nullable=True),
    sa.Column('impact', sa.Text(), nullable=True),
    sa.Column('corrective_actions', sa.Text(), nullable=True),
    sa.Column('preventive_actions', sa.Text(), nullable=True),
    sa.Column('opened_by_id', sa.Integer(), nullable=False),
    sa.Column('opened_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', labtrack.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closure_signature_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batch.id'], name=op.f('fk_deviation_batch_id_batch')),
    sa.ForeignKeyConstraint(['closure_signature_id'], ['signature.id'], name=op.f('fk_deviation_closure_signature_id_signature')),
    sa.ForeignKeyConstraint(['opened_by_id'], ['user_account.id'], name=op.f('fk_deviation_opened_by_id_user_account')),
    sa.ForeignKeyConstraint(['order_id'], ['treatment_order.id'], name=op.f('fk_deviation_order_id_treatment_order')),
    sa.ForeignKeyConstraint(['sample_id'], ['sample.id'], name=op.f('fk_deviation_sample_id_sample')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deviation')),
    sa.UniqueConstraint('number', name=op.f('uq_deviation_number'))
    )
    with op.batch_alter_table('deviation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deviation_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deviation_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deviation_sample_id'), ['sample_id'], unique=False)

    op.create_table('dose',
    sa.Column('dose_code', sa.String(length=40), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('disc_level', sa.String(length=8), nullable=False),
    sa.Column('viable_cells', sa.BigInteger(), nullable=False),
    sa.Column('volume_ml', sa.Numeric(precision=6, scale=2), nullable=False),
    sa.Column('container', sa.String(length=100), nullable=False),
    sa.Column('formulated_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batch.id'], name=op.f('fk_dose_batch_id_batch')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dose')),
    sa.UniqueConstraint('batch_id', 'disc_level', name='uq_dose_batch_disc_level'),
    sa.UniqueConstraint('dose_code', name=op.f('uq_dose_dose_code'))
    )
    with op.batch_alter_table('dose', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dose_batch_id'), ['batch_id'], unique=False)

    op.create_table('notice',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('read_at', labtrack.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batch.id'], name=op.f('fk_notice_batch_id_batch')),
    sa.ForeignKeyConstraint(['order_id'], ['treatment_order.id'], name=op.f('fk_notice_order_id_treatment_order')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_notice_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice'))
    )
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.create_index('ix_notice_user_read', ['user_id', 'read_at'], unique=False)

    op.create_table('qc_result',
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('test_code', sa.String(length=40), nullable=False),
    sa.Column('numeric_value', sa.Numeric(precision=14, scale=4), nullable=True),
    sa.Column('text_value', sa.String(length=200), nullable=True),
    sa.Column('verdict', sa.String(length=10), nullable=False),
    sa.Column('method', sa.String(length=100), nullable=False),
    sa.Column('instrument', sa.String(length=100), nullable=True),
    sa.Column('analyst', sa.String(length=200), nullable=False),
    sa.Column('tested_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=False),
    sa.Column('after_release', sa.Boolean(), nullable=False),
    sa.Column('supersedes_id', sa.Integer(), nullable=True),
    sa.Column('amendment_reason', sa.Text(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batch.id'], name=op.f('fk_qc_result_batch_id_batch')),
    sa.ForeignKeyConstraint(['entered_by_id'], ['user_account.id'], name=op.f('fk_qc_result_entered_by_id_user_account')),
    sa.ForeignKeyConstraint(['supersedes_id'], ['qc_result.id'], name=op.f('fk_qc_result_supersedes_id_qc_result')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qc_result'))
    )
    with op.batch_alter_table('qc_result', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_qc_result_batch_id'), ['batch_id'], unique=False)

    op.create_table('administration',
    sa.Column('dose_id', sa.Integer(), nullable=False),
    sa.Column('disc_level', sa.String(length=8), nullable=False),
    sa.Column('administered_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('administered_by_id', sa.Integer(), nullable=False),
    sa.Column('wristband_scanned', sa.String(length=64), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['administered_by_id'], ['user_account.id'], name=op.f('fk_administration_administered_by_id_user_account')),
    sa.ForeignKeyConstraint(['dose_id'], ['dose.id'], name=op.f('fk_administration_dose_id_dose')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_administration')),
    sa.UniqueConstraint('dose_id', name=op.f('uq_administration_dose_id'))
    )
    op.create_table('chain_of_identity_event',
    sa.Column('occurred_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('dose_id', sa.Integer(), nullable=True),
    sa.Column('expected', sa.Text(), nullable=False),
    sa.Column('presented', sa.Text(), nullable=False),
    sa.Column('details', sa.Text(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batch.id'], name=op.f('fk_chain_of_identity_event_batch_id_batch')),
    sa.ForeignKeyConstraint(['dose_id'], ['dose.id'], name=op.f('fk_chain_of_identity_event_dose_id_dose')),
    sa.ForeignKeyConstraint(['order_id'], ['treatment_order.id'], name=op.f('fk_chain_of_identity_event_order_id_treatment_order')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_chain_of_identity_event_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chain_of_identity_event'))
    )
    with op.batch_alter_table('chain_of_identity_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chain_of_identity_event_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index('ix_chain_of_identity_event_occurred_at', ['occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_chain_of_identity_event_order_id'), ['order_id'], unique=False)

    op.create_table('culture_step',
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('performed_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('performed_by_id', sa.Integer(), nullable=False),
    sa.Column('verified_by_id', sa.Integer(), nullable=True),
    sa.Column('verification_signature_id', sa.Integer(), nullable=True),
    sa.Column('passage_number', sa.Integer(), nullable=False),
    sa.Column('flasks', sa.Integer(), nullable=True),
    sa.Column('surface_cm2', sa.Numeric(precision=8, scale=1), nullable=True),
    sa.Column('seeding_density', sa.Integer(), nullable=True),
    sa.Column('cells', sa.BigInteger(), nullable=True),
    sa.Column('confluence_percent', sa.Integer(), nullable=True),
    sa.Column('morphology', sa.String(length=200), nullable=True),
    sa.Column('contamination_signs', sa.Boolean(), nullable=True),
    sa.Column('split_ratio', sa.String(length=20), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('deviation_id', sa.Integer(), nullable=True),
    sa.Column('supersedes_id', sa.Integer(), nullable=True),
    sa.Column('amendment_reason', sa.Text(), nullable=True),
    sa.Column('is_void', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batch.id'], name=op.f('fk_culture_step_batch_id_batch')),
    sa.ForeignKeyConstraint(['deviation_id'], ['deviation.id'], name=op.f('fk_culture_step_deviation_id_deviation')),
    sa.ForeignKeyConstraint(['performed_by_id'], ['user_account.id'], name=op.f('fk_culture_step_performed_by_id_user_account')),
    sa.ForeignKeyConstraint(['supersedes_id'], ['culture_step.id'], name=op.f('fk_culture_step_supersedes_id_culture_step')),
    sa.ForeignKeyConstraint(['verification_signature_id'], ['signature.id'], name=op.f('fk_culture_step_verification_signature_id_signature')),
    sa.ForeignKeyConstraint(['verified_by_id'], ['user_account.id'], name=op.f('fk_culture_step_verified_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_culture_step'))
    )
    with op.batch_alter_table('culture_step', schema=None) as batch_op:
        batch_op.create_index('ix_culture_step_batch_performed', ['batch_id', 'performed_at'], unique=False)

    op.create_table('culture_step_equipment',
    sa.Column('step_id', sa.Integer(), nullable=False),
    sa.Column('equipment_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['equipment_id'], ['equipment.id'], name=op.f('fk_culture_step_equipment_equipment_id_equipment')),
    sa.ForeignKeyConstraint(['step_id'], ['culture_step.id'], name=op.f('fk_culture_step_equipment_step_id_culture_step')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_culture_step_equipment'))
    )
    with op.batch_alter_table('culture_step_equipment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_culture_step_equipment_equipment_id'), ['equipment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_culture_step_equipment_step_id'), ['step_id'], unique=False)

    op.create_table('culture_step_lot',
    sa.Column('step_id', sa.Integer(), nullable=False),
    sa.Column('reagent_lot_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.String(length=50), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['reagent_lot_id'], ['reagent_lot.id'], name=op.f('fk_culture_step_lot_reagent_lot_id_reagent_lot')),
    sa.ForeignKeyConstraint(['step_id'], ['culture_step.id'], name=op.f('fk_culture_step_lot_step_id_culture_step')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_culture_step_lot'))
    )
    with op.batch_alter_table('culture_step_lot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_culture_step_lot_reagent_lot_id'), ['reagent_lot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_culture_step_lot_step_id'), ['step_id'], unique=False)




def downgrade():

    with op.batch_alter_table('culture_step_lot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_culture_step_lot_step_id'))
        batch_op.drop_index(batch_op.f('ix_culture_step_lot_reagent_lot_id'))

    op.drop_table('culture_step_lot')
    with op.batch_alter_table('culture_step_equipment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_culture_step_equipment_step_id'))
        batch_op.drop_index(batch_op.f('ix_culture_step_equipment_equipment_id'))

    op.drop_table('culture_step_equipment')
    with op.batch_alter_table('culture_step', schema=None) as batch_op:
        batch_op.drop_index('ix_culture_step_batch_performed')

    op.drop_table('culture_step')
    with op.batch_alter_table('chain_of_identity_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chain_of_identity_event_order_id'))
        batch_op.drop_index('ix_chain_of_identity_event_occurred_at')
        batch_op.drop_index(batch_op.f('ix_chain_of_identity_event_batch_id'))

    op.drop_table('chain_of_identity_event')
    op.drop_table('administration')
    with op.batch_alter_table('qc_result', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_qc_result_batch_id'))

    op.drop_table('qc_result')
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_index('ix_notice_user_read')

    op.drop_table('notice')
    with op.batch_alter_table('dose', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dose_batch_id'))

    op.drop_table('dose')
    with op.batch_alter_table('deviation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deviation_sample_id'))
        batch_op.drop_index(batch_op.f('ix_deviation_order_id'))
        batch_op.drop_index(batch_op.f('ix_deviation_batch_id'))

    op.drop_table('deviation')
    with op.batch_alter_table('cell_count', schema=None) as batch_op:
        batch_op.drop_index('ix_cell_count_batch_counted')

    op.drop_table('cell_count')
    op.drop_table('batch_release')
    with op.batch_alter_table('batch', schema=None) as batch_op:
        batch_op.drop_index('ix_batch_state')
        batch_op.drop_index(batch_op.f('ix_batch_order_id'))

    op.drop_table('batch')
    op.drop_table('specification_test')
    with op.batch_alter_table('sample', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sample_order_id'))

    op.drop_table('sample')
    with op.batch_alter_table('treatment_order', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_treatment_order_treating_clinician_id'))
        batch_op.drop_index(batch_op.f('ix_treatment_order_planned_procedure_date'))
        batch_op.drop_index(batch_op.f('ix_treatment_order_patient_id'))

    op.drop_table('treatment_order')
    op.drop_table('specification')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_user_id'))

    op.drop_table('api_token')
    op.drop_table('reagent_lot')
    op.drop_table('patient')
    op.drop_table('equipment')
    op.drop_table('counter')

