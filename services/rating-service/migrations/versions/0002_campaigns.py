"""Policy parameters, campaigns with their organizations, roll and secretaries, the evaluator
registry, ballots and evaluation results.

Revision ID: rating_0002
Revises: rating_0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from service_kit.policy import PolicyKey, create_policy_table

revision = "rating_0002"
down_revision = "rating_0001"
branch_labels = None
depends_on = None

# The values DOMAIN.md gives (and the defaults chosen where it gives none), seeded as data.
SEEDED = (
    PolicyKey(
        "four_party_weights", "", {"owner": 25, "secretary": 25, "members": 25, "masses": 25}, dict
    ),
    PolicyKey(
        "star_thresholds",
        "",
        {"five_stars": 90, "four_stars": 80, "three_stars": 70, "two_stars": 60},
        dict,
    ),
    PolicyKey("five_star_cap_percent", "", 5, float),
    PolicyKey(
        "grade_thresholds", "", {"excellent": 90, "qualified": 70, "basically_qualified": 60}, dict
    ),
    PolicyKey(
        "evaluation_criteria",
        "",
        ["political_quality", "work_performance", "exemplary_role", "discipline"],
        list,
    ),
    PolicyKey("organization_rating_validity_months", "", 24, int),
)

TZ = sa.DateTime(timezone=True)
UUIDS = postgresql.ARRAY(sa.Uuid())


def upgrade() -> None:
    create_policy_table(op, SEEDED)
    op.create_table(
        "campaign",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("organization_chain", UUIDS, nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.Column("region_chain", UUIDS, nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("opens_at", TZ, nullable=False),
        sa.Column("closes_at", TZ, nullable=False),
        sa.Column("weight_owner", sa.SmallInteger(), nullable=False),
        sa.Column("weight_secretary", sa.SmallInteger(), nullable=False),
        sa.Column("weight_members", sa.SmallInteger(), nullable=False),
        sa.Column("weight_masses", sa.SmallInteger(), nullable=False),
        sa.Column("five_stars_min", sa.Float(), nullable=False),
        sa.Column("four_stars_min", sa.Float(), nullable=False),
        sa.Column("three_stars_min", sa.Float(), nullable=False),
        sa.Column("two_stars_min", sa.Float(), nullable=False),
        sa.Column("five_star_cap_percent", sa.Float()),
        sa.Column("excellent_min", sa.Float(), nullable=False),
        sa.Column("qualified_min", sa.Float(), nullable=False),
        sa.Column("basically_qualified_min", sa.Float(), nullable=False),
        sa.Column("criteria", postgresql.JSONB(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("organization_count", sa.Integer(), nullable=False),
        sa.Column("subject_count", sa.Integer(), nullable=False),
        sa.Column("closed_at", TZ),
        sa.Column("closed_by", sa.String(200)),
        sa.Column("result_count", sa.Integer()),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_campaign"),
        sa.CheckConstraint("status IN ('open','closed')", name="ck_campaign_status"),
        sa.CheckConstraint("period_end >= period_start", name="ck_campaign_period"),
        sa.CheckConstraint("closes_at > opens_at", name="ck_campaign_window"),
        sa.CheckConstraint(
            "weight_owner BETWEEN 0 AND 100 AND weight_secretary BETWEEN 0 AND 100 "
            "AND weight_members BETWEEN 0 AND 100 AND weight_masses BETWEEN 0 AND 100 "
            "AND weight_owner + weight_secretary + weight_members + weight_masses = 100",
            name="ck_campaign_weights",
        ),
        sa.CheckConstraint(
            "five_stars_min > four_stars_min AND four_stars_min > three_stars_min "
            "AND three_stars_min > two_stars_min AND two_stars_min > 0 AND five_stars_min <= 100",
            name="ck_campaign_star_thresholds",
        ),
        sa.CheckConstraint(
            "excellent_min > qualified_min AND qualified_min > basically_qualified_min "
            "AND basically_qualified_min > 0 AND excellent_min <= 100",
            name="ck_campaign_grade_thresholds",
        ),
        sa.CheckConstraint(
            "five_star_cap_percent IS NULL OR (five_star_cap_percent > 0 "
            "AND five_star_cap_percent <= 100)",
            name="ck_campaign_five_star_cap",
        ),
    )
    op.create_index(
        "ix_campaign_organization_chain",
        "campaign",
        ["organization_chain"],
        postgresql_using="gin",
    )
    op.create_index(
        "ix_campaign_region_chain", "campaign", ["region_chain"], postgresql_using="gin"
    )
    op.create_index("ix_campaign_created_at_id", "campaign", ["created_at", "id"])
    op.create_index("ix_campaign_root", "campaign", ["organization_id"])

    op.create_table(
        "campaign_organization",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("organization_chain", UUIDS, nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.Column("region_chain", UUIDS, nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", "organization_id", name="pk_campaign_organization"),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name="fk_campaign_organization_campaign_id_campaign"
        ),
    )
    op.create_index(
        "ix_campaign_organization_organization_chain",
        "campaign_organization",
        ["organization_chain"],
        postgresql_using="gin",
    )
    op.create_index(
        "ix_campaign_organization_region_chain",
        "campaign_organization",
        ["region_chain"],
        postgresql_using="gin",
    )

    op.create_table(
        "campaign_subject",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("stage", sa.String(30), nullable=False),
        sa.Column("employer_id", sa.Uuid()),
        sa.PrimaryKeyConstraint("campaign_id", "member_id", name="pk_campaign_subject"),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name="fk_campaign_subject_campaign_id_campaign"
        ),
        sa.CheckConstraint(
            "stage IN ('full_member','probationary_member')", name="ck_campaign_subject_stage"
        ),
    )
    op.create_index(
        "ix_campaign_subject_organization",
        "campaign_subject",
        ["campaign_id", "organization_id", "member_id"],
    )
    op.create_index(
        "ix_campaign_subject_employer", "campaign_subject", ["campaign_id", "employer_id"]
    )

    op.create_table(
        "campaign_secretary",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint(
            "campaign_id", "organization_id", "member_id", name="pk_campaign_secretary"
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name="fk_campaign_secretary_campaign_id_campaign"
        ),
    )
    op.create_index(
        "ix_campaign_secretary_member", "campaign_secretary", ["campaign_id", "member_id"]
    )

    op.create_table(
        "evaluator_registration",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("account", sa.String(200), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("organization_chain", UUIDS, nullable=False),
        sa.Column("region_chain", UUIDS, nullable=False),
        sa.Column("work_target_id", sa.Uuid()),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date()),
        sa.Column("registered_by", sa.String(200), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_evaluator_registration"),
        sa.CheckConstraint("kind IN ('owner','masses')", name="ck_evaluator_registration_kind"),
        sa.CheckConstraint(
            "kind <> 'owner' OR work_target_id IS NOT NULL",
            name="ck_evaluator_registration_owner_employer",
        ),
        sa.CheckConstraint(
            "valid_until IS NULL OR valid_until > valid_from",
            name="ck_evaluator_registration_valid_range",
        ),
    )
    op.create_index(
        "ix_evaluator_registration_account", "evaluator_registration", ["account", "kind"]
    )
    op.create_index(
        "ix_evaluator_registration_organization_chain",
        "evaluator_registration",
        ["organization_chain"],
        postgresql_using="gin",
    )
    op.create_index(
        "ix_evaluator_registration_region_chain",
        "evaluator_registration",
        ["region_chain"],
        postgresql_using="gin",
    )
    op.create_index(
        "ix_evaluator_registration_created_at_id", "evaluator_registration", ["created_at", "id"]
    )
    op.create_index(
        "uq_evaluator_registration_open",
        "evaluator_registration",
        [
            "kind",
            "account",
            "organization_id",
            sa.text("coalesce(work_target_id, '00000000-0000-0000-0000-000000000000'::uuid)"),
        ],
        unique=True,
        postgresql_where=sa.text("valid_until IS NULL"),
    )

    op.create_table(
        "ballot",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("party", sa.String(20), nullable=False),
        sa.Column("evaluator_hash", sa.String(64), nullable=False),
        sa.Column("scores", postgresql.JSONB(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ballot"),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name="fk_ballot_campaign_id_campaign"
        ),
        sa.CheckConstraint(
            "party IN ('owner','secretary','members','masses')", name="ck_ballot_party"
        ),
        sa.CheckConstraint("total >= 0", name="ck_ballot_total"),
    )
    op.create_index(
        "uq_ballot_one_per_evaluator",
        "ballot",
        ["campaign_id", "member_id", "evaluator_hash"],
        unique=True,
    )
    op.create_index("ix_ballot_evaluator", "ballot", ["campaign_id", "evaluator_hash", "member_id"])

    op.create_table(
        "evaluation_result",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("stage", sa.String(30), nullable=False),
        sa.Column("owner_score", sa.Float()),
        sa.Column("secretary_score", sa.Float()),
        sa.Column("members_score", sa.Float()),
        sa.Column("masses_score", sa.Float()),
        sa.Column("owner_ballots", sa.Integer(), nullable=False),
        sa.Column("secretary_ballots", sa.Integer(), nullable=False),
        sa.Column("members_ballots", sa.Integer(), nullable=False),
        sa.Column("masses_ballots", sa.Integer(), nullable=False),
        sa.Column("parties_used", postgresql.ARRAY(sa.String(20)), nullable=False),
        sa.Column("rescaled", sa.Boolean(), nullable=False),
        sa.Column("weighted_score", sa.Float(), nullable=False),
        sa.Column("score_stars", sa.SmallInteger(), nullable=False),
        sa.Column("stars", sa.SmallInteger(), nullable=False),
        sa.Column("capped", sa.Boolean(), nullable=False),
        sa.Column("score_grade", sa.String(30)),
        sa.Column("grade", sa.String(30)),
        sa.Column("grade_capped", sa.Boolean(), nullable=False),
        sa.Column("previous_stars", sa.SmallInteger()),
        sa.Column("finalized_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", "member_id", name="pk_evaluation_result"),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name="fk_evaluation_result_campaign_id_campaign"
        ),
        sa.CheckConstraint(
            "stars BETWEEN 1 AND 5 AND score_stars BETWEEN 1 AND 5",
            name="ck_evaluation_result_stars",
        ),
        sa.CheckConstraint(
            "weighted_score BETWEEN 0 AND 100", name="ck_evaluation_result_weighted_score"
        ),
        sa.CheckConstraint(
            "grade IS NULL OR grade IN "
            "('excellent','qualified','basically_qualified','unqualified')",
            name="ck_evaluation_result_grade",
        ),
    )
    op.create_index(
        "ix_evaluation_result_member", "evaluation_result", ["member_id", "campaign_id"]
    )
    op.create_index(
        "ix_evaluation_result_organization", "evaluation_result", ["campaign_id", "organization_id"]
    )


def downgrade() -> None:
    for table in (
        "evaluation_result",
        "ballot",
        "evaluator_registration",
        "campaign_secretary",
        "campaign_subject",
        "campaign_organization",
        "campaign",
        "policy_parameter",
    ):
        op.drop_table(table)
