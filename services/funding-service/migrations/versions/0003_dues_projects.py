"""Dues (declarations, assessments, payments) and party-building projects with their bids.

Revision ID: funding_0003
Revises: funding_0002
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "funding_0003"
down_revision = "funding_0002"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "dues_declaration",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("district_id", sa.Uuid()),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("monthly_income_fen", sa.BigInteger(), nullable=False),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.Column("declared_at", TZ, nullable=False),
        sa.Column("declared_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dues_declaration"),
        sa.CheckConstraint("monthly_income_fen >= 0", name="ck_dues_declaration_income"),
        sa.CheckConstraint("extract(day FROM valid_from) = 1", name="ck_dues_declaration_month"),
    )
    op.create_index(
        "uq_dues_declaration_member_id_valid_from",
        "dues_declaration",
        ["member_id", "valid_from"],
        unique=True,
    )
    op.create_index("ix_dues_declaration_valid_from", "dues_declaration", ["valid_from"])

    op.create_table(
        "dues_assessment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("district_id", sa.Uuid()),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("income_fen", sa.BigInteger(), nullable=False),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.Column("rate_bp", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("paid_fen", sa.BigInteger(), nullable=False),
        sa.Column("assessed_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dues_assessment"),
        sa.CheckConstraint("amount_fen >= 0", name="ck_dues_assessment_amount"),
        sa.CheckConstraint("paid_fen BETWEEN 0 AND amount_fen", name="ck_dues_assessment_paid"),
        sa.CheckConstraint("extract(day FROM month) = 1", name="ck_dues_assessment_month"),
    )
    op.create_index(
        "uq_dues_assessment_member_id_month",
        "dues_assessment",
        ["member_id", "month"],
        unique=True,
    )
    op.create_index(
        "ix_dues_assessment_organization_id_month",
        "dues_assessment",
        ["organization_id", "month"],
    )
    op.create_index("ix_dues_assessment_month", "dues_assessment", ["month"])

    op.create_table(
        "dues_payment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("assessment_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("transfer_id", sa.Uuid(), nullable=False),
        sa.Column("reversed_at", TZ),
        sa.Column("recorded_at", TZ, nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dues_payment"),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["dues_assessment.id"],
            name="fk_dues_payment_assessment_id_dues_assessment",
        ),
        sa.ForeignKeyConstraint(
            ["transfer_id"], ["transfer.id"], name="fk_dues_payment_transfer_id_transfer"
        ),
        sa.CheckConstraint("amount_fen > 0", name="ck_dues_payment_amount"),
    )
    op.create_index("ix_dues_payment_assessment_id", "dues_payment", ["assessment_id"])
    op.create_index("uq_dues_payment_transfer_id", "dues_payment", ["transfer_id"], unique=True)

    op.create_table(
        "project",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.String(2000)),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("budget_id", sa.Uuid(), nullable=False),
        sa.Column("budget_fen", sa.BigInteger(), nullable=False),
        sa.Column("awarded_fen", sa.BigInteger(), nullable=False),
        sa.Column("min_stars", sa.Integer(), nullable=False),
        sa.Column("bids_close_on", sa.Date(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_project"),
        sa.ForeignKeyConstraint(["budget_id"], ["budget.id"], name="fk_project_budget_id_budget"),
        sa.CheckConstraint("budget_fen > 0", name="ck_project_budget"),
        sa.CheckConstraint("awarded_fen BETWEEN 0 AND budget_fen", name="ck_project_awarded"),
        sa.CheckConstraint("min_stars BETWEEN 1 AND 5", name="ck_project_min_stars"),
    )
    op.create_index("ix_project_district_id_created_at", "project", ["district_id", "created_at"])
    op.create_index("ix_project_created_at_id", "project", ["created_at", "id"])

    op.create_table(
        "project_bid",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("organization_name", sa.String(200), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("proposal", sa.String(2000)),
        sa.Column("stars", sa.Integer(), nullable=False),
        sa.Column("star_source", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("transfer_id", sa.Uuid()),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_project_bid"),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name="fk_project_bid_project_id_project"
        ),
        sa.ForeignKeyConstraint(
            ["transfer_id"], ["transfer.id"], name="fk_project_bid_transfer_id_transfer"
        ),
        sa.CheckConstraint("amount_fen > 0", name="ck_project_bid_amount"),
        sa.CheckConstraint("status IN ('submitted','awarded')", name="ck_project_bid_status"),
        sa.CheckConstraint("stars BETWEEN 1 AND 5", name="ck_project_bid_stars"),
    )
    op.create_index(
        "uq_project_bid_project_id_organization_id",
        "project_bid",
        ["project_id", "organization_id"],
        unique=True,
    )
    op.create_index("ix_project_bid_organization_id", "project_bid", ["organization_id"])


def downgrade() -> None:
    for table in ("project_bid", "project", "dues_payment", "dues_assessment", "dues_declaration"):
        op.drop_table(table)
