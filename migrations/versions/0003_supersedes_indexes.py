"""index the amendment links (supersedes_id) read on every batch page

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 04:15:00

"""
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

INDEXED = ("culture_step", "cell_count", "qc_result")


def upgrade():
    for table in INDEXED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f"ix_{table}_supersedes_id"), ["supersedes_id"],
                                  unique=False)


def downgrade():
    for table in INDEXED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_supersedes_id"))
