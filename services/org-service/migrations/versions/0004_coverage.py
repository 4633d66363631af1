"""Policy parameters, baselines and coverage snapshots.

Revision ID: org_0004
Revises: org_0003
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

from service_kit.policy import PolicyKey, create_policy_table

revision = "org_0004"
down_revision = "org_0003"
branch_labels = None
depends_on = None

# The values DOMAIN.md gives, seeded as data (later values are added as dated rows).
SEEDED = (
    PolicyKey("recognition_rate", "", 0.10, float),
    PolicyKey("guidance_center_min_area_m2", "", 1000, float),
    PolicyKey(
        "frontline_checklist",
        "",
        [
            "visit_unit",
            "explain_policy",
            "find_activists",
            "help_found_organization",
            "solve_problem",
        ],
        list,
    ),
)


def upgrade() -> None:
    create_policy_table(op, SEEDED)
    op.create_table(
        "region_baseline",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("registered_count", sa.Integer(), nullable=False),
        sa.Column("tax_paying_count", sa.Integer(), nullable=False),
        sa.Column("social_insurance_count", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_region_baseline"),
        sa.ForeignKeyConstraint(
            ["region_id"], ["region.id"], name="fk_region_baseline_region_id_region"
        ),
        sa.UniqueConstraint("region_id", "year", name="uq_region_baseline_region_year"),
        sa.CheckConstraint(
            "registered_count >= 0 AND tax_paying_count BETWEEN 0 AND registered_count "
            "AND social_insurance_count BETWEEN 0 AND registered_count",
            name="ck_region_baseline_counts",
        ),
    )
    op.create_table(
        "coverage_snapshot",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("dimension", sa.String(30), nullable=False),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("targets", sa.Integer(), nullable=False),
        sa.Column("own", sa.Integer(), nullable=False),
        sa.Column("joint", sa.Integer(), nullable=False),
        sa.Column("dispatched", sa.Integer(), nullable=False),
        sa.Column("work", sa.Integer(), nullable=False),
        sa.Column("frozen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("frozen_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_coverage_snapshot"),
        sa.UniqueConstraint(
            "month", "dimension", "key", name="uq_coverage_snapshot_month_dimension_key"
        ),
    )
    op.create_index("ix_coverage_snapshot_month", "coverage_snapshot", ["month"])


def downgrade() -> None:
    op.drop_table("coverage_snapshot")
    op.drop_table("region_baseline")
    op.drop_table("policy_parameter")
