"""The kit's tables for bulk writes: idempotency keys and the log of batches.

Revision ID: kit_0002
Revises: kit_0001
Create Date: 2026-11-27
"""

from alembic import op

from service_kit.bulk import create_bulk_tables
from service_kit.idempotency import create_idempotency_table

revision = "kit_0002"
down_revision = "kit_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_idempotency_table(op)
    create_bulk_tables(op)


def downgrade() -> None:
    op.drop_table("bulk_batch")
    op.drop_table("idempotent_request")
