"""Kit tables and the probe table the service-kit tests write to.

Revision ID: kit_0001
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

from service_kit.migrations import create_kit_tables, drop_kit_tables

revision = "kit_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_kit_tables(op)
    op.create_table(
        "kit_probe",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_kit_probe"),
    )


def downgrade() -> None:
    op.drop_table("kit_probe")
    drop_kit_tables(op)
