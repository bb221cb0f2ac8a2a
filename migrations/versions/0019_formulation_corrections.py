"""formulation corrections: the doses a correction replaces stay, marked superseded

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 20:30:00

A ``formulation_correction`` row says who corrected a batch's formulation, when and why;
the doses it replaced point to it (``dose.superseded_by_id``) and stay in the record. One
dose per disc level is now unique among a batch's current doses only (a partial unique
index); a product code stays unique within its batch for good, so an old label never names
a new dose. The correction table refuses UPDATE and DELETE (and TRUNCATE on PostgreSQL),
as 0018's decision tables do; the dose table keeps 0018's refusal of DELETE (rebuilt on
SQLite, whose table is copied to drop the old unique constraint).
"""
import sqlalchemy as sa
from alembic import op

import labtrack.database

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

CURRENT_DOSE = "superseded_by_id IS NULL"
CORRECTION_MESSAGE = "a formulation correction can never be changed or removed"


def upgrade():
    op.create_table(
        'formulation_correction',
        sa.Column('batch_id', sa.Integer(), nullable=False),
        sa.Column('corrected_at', labtrack.database.UTCDateTime(timezone=True),
                  nullable=False),
        sa.Column('corrected_by_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', labtrack.database.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['batch_id'], ['batch.id'],
                                name=op.f('fk_formulation_correction_batch_id_batch')),
        sa.ForeignKeyConstraint(
            ['corrected_by_id'], ['user_account.id'],
            name=op.f('fk_formulation_correction_corrected_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_formulation_correction')),
    )
    op.create_index(op.f('ix_formulation_correction_batch_id'), 'formulation_correction',
                    ['batch_id'], unique=False)

    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:  # the table is copied below: its trigger goes with it, and comes back after
        op.execute("DROP TRIGGER dose_protected_delete")
    with op.batch_alter_table('dose', schema=None) as batch_op:
        batch_op.add_column(sa.Column('superseded_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_dose_superseded_by_id_formulation_correction'),
            'formulation_correction', ['superseded_by_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_dose_superseded_by_id'), ['superseded_by_id'],
                              unique=False)
        batch_op.drop_constraint('uq_dose_batch_disc_level', type_='unique')
    op.create_index('uq_dose_batch_disc_level_current', 'dose', ['batch_id', 'disc_level'],
                    unique=True, sqlite_where=sa.text(CURRENT_DOSE),
                    postgresql_where=sa.text(CURRENT_DOSE))
    if sqlite:
        op.execute("""
            CREATE TRIGGER dose_protected_delete BEFORE DELETE ON dose
            BEGIN SELECT RAISE(ABORT, 'GMP records are never deleted: DELETE refused on dose');
            END""")
    _refuse_changes('formulation_correction', CORRECTION_MESSAGE)


def _refuse_changes(table: str, message: str) -> None:
    """UPDATE and DELETE (and TRUNCATE) refused on ``table``, as 0018 refuses them."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION {table}_refuse_change_0019() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '{message}: % refused on {table}', TG_OP;
            END;
            $$ LANGUAGE plpgsql""")
        op.execute(f"""
            CREATE TRIGGER {table}_protected BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION {table}_refuse_change_0019()""")
        op.execute(f"""
            CREATE TRIGGER {table}_no_truncate_0019 BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION {table}_refuse_change_0019()""")
        return
    for operation in ("UPDATE", "DELETE"):
        op.execute(f"""
            CREATE TRIGGER {table}_protected_{operation.lower()} BEFORE {operation} ON {table}
            BEGIN SELECT RAISE(ABORT, '{message}: {operation} refused on {table}'); END""")


def downgrade():
    """Back to one dose per disc level: fails while a batch holds superseded doses."""
    table = 'formulation_correction'
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute(f"DROP TRIGGER {table}_protected_update")
        op.execute(f"DROP TRIGGER {table}_protected_delete")
        op.execute("DROP TRIGGER dose_protected_delete")
    else:
        op.execute(f"DROP TRIGGER {table}_protected ON {table}")
        op.execute(f"DROP TRIGGER {table}_no_truncate_0019 ON {table}")
        op.execute(f"DROP FUNCTION {table}_refuse_change_0019()")
    op.drop_index('uq_dose_batch_disc_level_current', table_name='dose')
    with op.batch_alter_table('dose', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_dose_batch_disc_level', ['batch_id', 'disc_level'])
        batch_op.drop_index(batch_op.f('ix_dose_superseded_by_id'))
        batch_op.drop_constraint(batch_op.f('fk_dose_superseded_by_id_formulation_correction'),
                                 type_='foreignkey')
        batch_op.drop_column('superseded_by_id')
    if sqlite:
        op.execute("""
            CREATE TRIGGER dose_protected_delete BEFORE DELETE ON dose
            BEGIN SELECT RAISE(ABORT, 'GMP records are never deleted: DELETE refused on dose');
            END""")
    op.drop_index(op.f('ix_formulation_correction_batch_id'), table_name=table)
    op.drop_table(table)
