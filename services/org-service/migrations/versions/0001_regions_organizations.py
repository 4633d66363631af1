"""Kit tables, regions and organizations.

Revision ID: org_0001
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

from service_kit.migrations import create_kit_tables, drop_kit_tables

revision = "org_0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    create_kit_tables(op)
    op.create_table(
        "region",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("district_class", sa.String(20)),
        sa.Column("code", sa.String(12)),
        sa.Column("parent_id", sa.Uuid()),
        sa.Column("path", sa.String(400, collation="C"), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_region"),
        sa.ForeignKeyConstraint(["parent_id"], ["region.id"], name="fk_region_parent_id_region"),
        sa.CheckConstraint(
            "kind IN ('city','district','county','new_area','sub_district','community')",
            name="ck_region_kind",
        ),
        sa.CheckConstraint("district_class IN ('urban','county')", name="ck_region_district_class"),
    )
    op.create_index("ix_region_path", "region", ["path"])
    op.create_index("ix_region_parent_id_name", "region", ["parent_id", "name"], unique=True)
    op.create_table(
        "organization",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("subkind", sa.String(30)),
        sa.Column("formation", sa.String(20), nullable=False),
        sa.Column("joint_mode", sa.String(30)),
        sa.Column("parent_id", sa.Uuid()),
        sa.Column("industry_committee_id", sa.Uuid()),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.Column("path", sa.String(400, collation="C"), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("founded_on", sa.Date(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_organization"),
        sa.UniqueConstraint("path", name="uq_organization_path"),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["organization.id"], name="fk_organization_parent_id_organization"
        ),
        sa.ForeignKeyConstraint(
            ["industry_committee_id"],
            ["organization.id"],
            name="fk_organization_industry_committee_id_organization",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"], ["region.id"], name="fk_organization_region_id_region"
        ),
        sa.CheckConstraint(
            "kind IN ('working_committee','party_committee','general_branch','branch')",
            name="ck_organization_kind",
        ),
        sa.CheckConstraint(
            "formation IN ('single','joint','dispatched')", name="ck_organization_formation"
        ),
        sa.CheckConstraint(
            "(formation = 'joint') = (joint_mode IS NOT NULL)",
            name="ck_organization_joint_mode_with_joint",
        ),
        sa.CheckConstraint("status IN ('active','dissolved')", name="ck_organization_status"),
    )
    op.create_index("ix_organization_region_id", "organization", ["region_id"])
    op.create_index(
        "ix_organization_industry_committee_id", "organization", ["industry_committee_id"]
    )
    op.create_index("ix_organization_parent_id", "organization", ["parent_id"])


def downgrade() -> None:
    op.drop_table("organization")
    op.drop_table("region")
    drop_kit_tables(op)
