"""Organization history, member counts and size rules.

Revision ID: org_0002
Revises: org_0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "org_0002"
down_revision = "org_0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
COUNTS_CHECK = (
    "full_members >= 0 AND probationary_members >= 0 AND dispatched_members >= 0 "
    "AND committee_size >= 1"
)


def upgrade() -> None:
    op.drop_constraint("ck_organization_status", "organization", type_="check")
    op.add_column("organization", sa.Column("dissolved_on", sa.Date()))
    op.add_column("organization", sa.Column("merged_into_id", sa.Uuid()))
    op.add_column("organization", sa.Column("full_members", sa.Integer()))
    op.add_column("organization", sa.Column("probationary_members", sa.Integer()))
    op.add_column("organization", sa.Column("dispatched_members", sa.Integer()))
    op.add_column("organization", sa.Column("committee_size", sa.Integer()))
    op.add_column("organization", sa.Column("member_counts_as_of", sa.Date()))
    op.add_column("organization", sa.Column("serves_work_target_id", sa.Uuid()))
    op.create_foreign_key(
        "fk_organization_merged_into_id_organization",
        "organization",
        "organization",
        ["merged_into_id"],
        ["id"],
    )
    # Rows dissolved before history existed end on the day they were last updated.
    op.execute(
        "UPDATE organization SET dissolved_on = (updated_at AT TIME ZONE 'UTC')::date "
        "WHERE status <> 'active'"
    )
    op.create_check_constraint(
        "ck_organization_status", "organization", "status IN ('active','dissolved','merged')"
    )
    op.create_check_constraint(
        "ck_organization_dissolved_on",
        "organization",
        "(status = 'active') = (dissolved_on IS NULL)",
    )
    op.create_check_constraint(
        "ck_organization_merged_into",
        "organization",
        "(status = 'merged') = (merged_into_id IS NOT NULL)",
    )
    op.create_check_constraint("ck_organization_member_counts", "organization", COUNTS_CHECK)

    op.create_table(
        "organization_version",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date()),
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
        sa.PrimaryKeyConstraint("id", name="pk_organization_version"),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name="fk_organization_version_organization_id_organization",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["organization.id"],
            name="fk_organization_version_parent_id_organization",
        ),
        sa.ForeignKeyConstraint(
            ["industry_committee_id"],
            ["organization.id"],
            name="fk_organization_version_industry_committee_id_organization",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"], ["region.id"], name="fk_organization_version_region_id_region"
        ),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to > valid_from", name="ck_organization_version_valid_range"
        ),
        sa.CheckConstraint(
            "status IN ('active','dissolved','merged')", name="ck_organization_version_status"
        ),
    )
    op.create_index(
        "uq_organization_version_organization_id_valid_from",
        "organization_version",
        ["organization_id", "valid_from"],
        unique=True,
    )
    op.create_index(
        "uq_organization_version_open",
        "organization_version",
        ["organization_id"],
        unique=True,
        postgresql_where=sa.text("valid_to IS NULL"),
    )
    op.create_index("ix_organization_version_path", "organization_version", ["path"])
    op.create_index("ix_organization_version_parent_id", "organization_version", ["parent_id"])

    op.create_table(
        "organization_change",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("details", JSONB(), nullable=False),
        sa.Column("recorded_at", TZ, nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_organization_change"),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name="fk_organization_change_organization_id_organization",
        ),
        sa.CheckConstraint(
            "kind IN ('founded','renamed','upgraded','moved','merged','absorbed','dissolved')",
            name="ck_organization_change_kind",
        ),
    )
    op.create_index(
        "ix_organization_change_organization_id_effective_on",
        "organization_change",
        ["organization_id", "effective_on"],
    )

    op.create_table(
        "organization_member_count",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("full_members", sa.Integer(), nullable=False),
        sa.Column("probationary_members", sa.Integer(), nullable=False),
        sa.Column("dispatched_members", sa.Integer()),
        sa.Column("committee_size", sa.Integer()),
        sa.Column("recorded_at", TZ, nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_organization_member_count"),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name="fk_organization_member_count_organization_id_organization",
        ),
        sa.CheckConstraint(COUNTS_CHECK, name="ck_organization_member_count_counts"),
    )
    op.create_index(
        "ix_organization_member_count_organization_id_as_of",
        "organization_member_count",
        ["organization_id", "as_of", "recorded_at"],
    )

    # Organizations that exist already get their first version and a "founded" entry.
    op.execute(
        """
        INSERT INTO organization_version (id, organization_id, valid_from, valid_to, name, kind,
            subkind, formation, joint_mode, parent_id, industry_committee_id, region_id, path,
            status)
        SELECT gen_random_uuid(), id, founded_on, NULL, name, kind, subkind, formation,
            joint_mode, parent_id, industry_committee_id, region_id, path, 'active'
        FROM organization WHERE status = 'active' OR dissolved_on > founded_on
        """
    )
    op.execute(
        """
        UPDATE organization_version v SET valid_to = o.dissolved_on
        FROM organization o WHERE o.id = v.organization_id AND o.status <> 'active'
        """
    )
    op.execute(
        """
        INSERT INTO organization_version (id, organization_id, valid_from, valid_to, name, kind,
            subkind, formation, joint_mode, parent_id, industry_committee_id, region_id, path,
            status)
        SELECT gen_random_uuid(), id, greatest(founded_on, dissolved_on), NULL, name, kind,
            subkind, formation, joint_mode, parent_id, industry_committee_id, region_id, path,
            status
        FROM organization WHERE status <> 'active'
        """
    )
    op.execute(
        """
        INSERT INTO organization_change (id, organization_id, kind, effective_on, details,
            recorded_at, recorded_by)
        SELECT gen_random_uuid(), id, 'founded', founded_on,
            jsonb_build_object('name', name, 'kind', kind, 'note', 'recorded by migration'),
            now(), 'migration'
        FROM organization
        """
    )


def downgrade() -> None:
    op.drop_table("organization_member_count")
    op.drop_table("organization_change")
    op.drop_table("organization_version")
    op.drop_constraint("ck_organization_member_counts", "organization", type_="check")
    op.drop_constraint("ck_organization_merged_into", "organization", type_="check")
    op.drop_constraint("ck_organization_dissolved_on", "organization", type_="check")
    op.drop_constraint("ck_organization_status", "organization", type_="check")
    # A merged organization was an ended one: the old schema knew only "dissolved".
    op.execute("UPDATE organization SET status = 'dissolved' WHERE status = 'merged'")
    op.create_check_constraint(
        "ck_organization_status", "organization", "status IN ('active','dissolved')"
    )
    op.drop_constraint("fk_organization_merged_into_id_organization", "organization")
    for column in (
        "serves_work_target_id",
        "member_counts_as_of",
        "committee_size",
        "dispatched_members",
        "probationary_members",
        "full_members",
        "merged_into_id",
        "dissolved_on",
    ):
        op.drop_column("organization", column)
