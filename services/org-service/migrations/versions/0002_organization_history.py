"""Organization history, member counts and size rules.

Revision ID: org_0002
Revises: org_0001
Create Date: 2026-11-27
"""

revision = "org_0002"
down_revision = "org_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
