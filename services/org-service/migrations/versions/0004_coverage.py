"""Policy parameters, baselines and coverage snapshots.

Revision ID: org_0004
Revises: org_0003
Create Date: 2026-11-27
"""

revision = "org_0004"
down_revision = "org_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
