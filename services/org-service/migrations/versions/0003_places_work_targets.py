"""Places, work targets, coverage links, instructor assignments, venues, showcase sites, responsibility.

Revision ID: org_0003
Revises: org_0002
Create Date: 2026-11-27
"""

from alembic import op

revision = "org_0003"
down_revision = "org_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    del op  # filled in by the change that adds these tables


def downgrade() -> None:
    pass
