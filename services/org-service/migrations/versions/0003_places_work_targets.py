"""Places, work targets, coverage links, instructor assignments, venues, showcase sites, responsibility.

Revision ID: org_0003
Revises: org_0002
Create Date: 2026-11-27
"""

revision = "org_0003"
down_revision = "org_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
