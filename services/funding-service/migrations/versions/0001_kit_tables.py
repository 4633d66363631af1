"""The tables every service has: audit records, event outbox and inbox.

Revision ID: funding_0001
Revises:
Create Date: 2026-11-27
"""

from alembic import op

from service_kit.migrations import create_kit_tables, drop_kit_tables

revision = "funding_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_kit_tables(op)


def downgrade() -> None:
    drop_kit_tables(op)
