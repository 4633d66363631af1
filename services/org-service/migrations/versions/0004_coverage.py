"""Policy parameters, baselines and coverage snapshots.

Revision ID: org_0004
Revises: org_0003
Create Date: 2026-11-27
"""

from alembic import op

revision = "org_0004"
down_revision = "org_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    del op  # filled in by the change that adds these tables


def downgrade() -> None:
    pass
