"""Places, work targets, coverage links, instructors, venues, showcase sites, responsibility.

Revision ID: org_0003
Revises: org_0002
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "org_0003"
down_revision = "org_0002"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)

INDUSTRIES = (
    "law",
    "accounting",
    "private_school",
    "private_hospital",
    "internet",
    "logistics",
    "retail",
    "construction",
    "property_services",
    "other",
)


def _in(values: tuple[str, ...]) -> str:
    return ",".join(f"'{v}'" for v in values)


def upgrade() -> None:
    op.create_table(
        "place",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("level", sa.String(20)),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.Column("parent_place_id", sa.Uuid()),
        sa.Column("address", sa.String(300)),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_place"),
        sa.ForeignKeyConstraint(["region_id"], ["region.id"], name="fk_place_region_id_region"),
        sa.ForeignKeyConstraint(
            ["parent_place_id"], ["place.id"], name="fk_place_parent_place_id_place"
        ),
        sa.CheckConstraint(
            "kind IN ('park','business_district','market','building')", name="ck_place_kind"
        ),
        sa.CheckConstraint("level IN ('national','provincial','municipal')", name="ck_place_level"),
        sa.CheckConstraint(
            "(kind = 'park') = (level IS NOT NULL)", name="ck_place_level_for_parks"
        ),
    )
    op.create_index("ix_place_region_id_name", "place", ["region_id", "name"], unique=True)
    op.create_index("ix_place_parent_place_id", "place", ["parent_place_id"])
    op.create_index("ix_place_name_id", "place", ["name", "id"])

    op.create_table(
        "work_target",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("credit_code", sa.String(18), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("industry", sa.String(30), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.Column("place_id", sa.Uuid()),
        sa.Column("employee_count", sa.Integer()),
        sa.Column("pays_tax", sa.Boolean(), nullable=False),
        sa.Column("pays_social_insurance", sa.Boolean(), nullable=False),
        sa.Column("party_member_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("investor_name", sa.String(100)),
        sa.Column("registered_on", sa.Date(), nullable=False),
        sa.Column("deregistered_on", sa.Date()),
        sa.Column(
            "external_refs",
            postgresql.JSONB(),
            nullable=False,
            server_default=sa.text("'{}'::jsonb"),
        ),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_work_target"),
        sa.UniqueConstraint("credit_code", name="uq_work_target_credit_code"),
        sa.ForeignKeyConstraint(
            ["region_id"], ["region.id"], name="fk_work_target_region_id_region"
        ),
        sa.ForeignKeyConstraint(["place_id"], ["place.id"], name="fk_work_target_place_id_place"),
        sa.CheckConstraint(
            "kind IN ('enterprise','social_organization')", name="ck_work_target_kind"
        ),
        sa.CheckConstraint(f"industry IN ({_in(INDUSTRIES)})", name="ck_work_target_industry"),
        sa.CheckConstraint("employee_count >= 0", name="ck_work_target_employee_count"),
        sa.CheckConstraint("party_member_count >= 0", name="ck_work_target_party_member_count"),
        sa.CheckConstraint(
            "deregistered_on IS NULL OR deregistered_on >= registered_on",
            name="ck_work_target_deregistered_on",
        ),
    )
    op.create_index("ix_work_target_region_id", "work_target", ["region_id"])
    op.create_index("ix_work_target_place_id", "work_target", ["place_id"])
    op.create_index("ix_work_target_name_id", "work_target", ["name", "id"])

    op.create_table(
        "work_target_coverage",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("work_target_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date()),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_work_target_coverage"),
        sa.ForeignKeyConstraint(
            ["work_target_id"],
            ["work_target.id"],
            name="fk_work_target_coverage_work_target_id_work_target",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name="fk_work_target_coverage_organization_id_organization",
        ),
        sa.CheckConstraint(
            "mode IN ('own','joint','dispatched')", name="ck_work_target_coverage_mode"
        ),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to > valid_from", name="ck_work_target_coverage_valid_range"
        ),
    )
    op.create_index(
        "ix_work_target_coverage_work_target_id",
        "work_target_coverage",
        ["work_target_id", "valid_from"],
    )
    op.create_index(
        "ix_work_target_coverage_organization_id", "work_target_coverage", ["organization_id"]
    )
    op.create_index(
        "uq_work_target_coverage_open",
        "work_target_coverage",
        ["work_target_id"],
        unique=True,
        postgresql_where=sa.text("valid_to IS NULL"),
    )

    op.create_table(
        "instructor_assignment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("person_name", sa.String(100), nullable=False),
        sa.Column("subject", sa.String(200)),
        sa.Column("member_id", sa.Uuid()),
        sa.Column("work_target_id", sa.Uuid()),
        sa.Column("organization_id", sa.Uuid()),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date()),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_instructor_assignment"),
        sa.ForeignKeyConstraint(
            ["work_target_id"],
            ["work_target.id"],
            name="fk_instructor_assignment_work_target_id_work_target",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name="fk_instructor_assignment_organization_id_organization",
        ),
        sa.CheckConstraint(
            "role IN ('instructor','liaison')", name="ck_instructor_assignment_role"
        ),
        sa.CheckConstraint(
            "(work_target_id IS NULL) <> (organization_id IS NULL)",
            name="ck_instructor_assignment_one_unit",
        ),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to > valid_from",
            name="ck_instructor_assignment_valid_range",
        ),
    )
    op.create_index(
        "ix_instructor_assignment_work_target_id", "instructor_assignment", ["work_target_id"]
    )
    op.create_index(
        "ix_instructor_assignment_organization_id", "instructor_assignment", ["organization_id"]
    )
    op.create_index("ix_instructor_assignment_subject", "instructor_assignment", ["subject"])

    op.create_table(
        "venue",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.Column("place_id", sa.Uuid()),
        sa.Column("address", sa.String(300)),
        sa.Column("area_m2", sa.Float()),
        sa.Column("opening_hours", sa.String(200)),
        sa.Column("run_by_organization_id", sa.Uuid()),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("closed_on", sa.Date()),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_venue"),
        sa.ForeignKeyConstraint(["region_id"], ["region.id"], name="fk_venue_region_id_region"),
        sa.ForeignKeyConstraint(["place_id"], ["place.id"], name="fk_venue_place_id_place"),
        sa.ForeignKeyConstraint(
            ["run_by_organization_id"],
            ["organization.id"],
            name="fk_venue_run_by_organization_id_organization",
        ),
        sa.CheckConstraint("kind IN ('guidance_center','activity_center')", name="ck_venue_kind"),
        sa.CheckConstraint("area_m2 > 0", name="ck_venue_area_m2"),
        sa.CheckConstraint(
            "closed_on IS NULL OR closed_on >= opened_on", name="ck_venue_closed_on"
        ),
    )
    op.create_index("ix_venue_region_id", "venue", ["region_id"])
    op.create_index("ix_venue_place_id", "venue", ["place_id"])
    op.create_index("ix_venue_name_id", "venue", ["name", "id"])

    op.create_table(
        "showcase_site",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("until", sa.Date()),
        sa.Column("criteria", postgresql.JSONB(), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("note", sa.String(500)),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_showcase_site"),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name="fk_showcase_site_organization_id_organization",
        ),
        sa.CheckConstraint("source IN ('manual','rating')", name="ck_showcase_site_source"),
        sa.CheckConstraint("until IS NULL OR until > since", name="ck_showcase_site_valid_range"),
    )
    op.create_index(
        "ix_showcase_site_organization_id", "showcase_site", ["organization_id", "since"]
    )
    op.create_index(
        "uq_showcase_site_open",
        "showcase_site",
        ["organization_id"],
        unique=True,
        postgresql_where=sa.text("until IS NULL"),
    )

    op.create_table(
        "responsibility_assignment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_name", sa.String(100), nullable=False),
        sa.Column("subject", sa.String(200)),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("position", sa.String(100), nullable=False),
        sa.Column("organization_id", sa.Uuid()),
        sa.Column("work_target_id", sa.Uuid()),
        sa.Column("first_secretary", sa.Boolean(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date()),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_responsibility_assignment"),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name="fk_responsibility_assignment_organization_id_organization",
        ),
        sa.ForeignKeyConstraint(
            ["work_target_id"],
            ["work_target.id"],
            name="fk_responsibility_assignment_work_target_id_work_target",
        ),
        sa.CheckConstraint(
            "level IN ('county','township','village')", name="ck_responsibility_assignment_level"
        ),
        sa.CheckConstraint(
            "(work_target_id IS NULL) <> (organization_id IS NULL)",
            name="ck_responsibility_assignment_one_unit",
        ),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to > valid_from",
            name="ck_responsibility_assignment_valid_range",
        ),
    )
    op.create_index(
        "ix_responsibility_assignment_organization_id",
        "responsibility_assignment",
        ["organization_id"],
    )
    op.create_index(
        "ix_responsibility_assignment_work_target_id",
        "responsibility_assignment",
        ["work_target_id"],
    )
    op.create_index(
        "ix_responsibility_assignment_person_name", "responsibility_assignment", ["person_name"]
    )
    op.create_index(
        "ix_responsibility_assignment_subject", "responsibility_assignment", ["subject"]
    )
    op.create_index(
        "uq_responsibility_assignment_open_first_secretary",
        "responsibility_assignment",
        [sa.text("coalesce(organization_id, work_target_id)")],
        unique=True,
        postgresql_where=sa.text("first_secretary AND valid_to IS NULL"),
    )

    op.create_table(
        "frontline_workday",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("assignment_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("items", postgresql.JSONB(), nullable=False),
        sa.Column("note", sa.String(1000)),
        sa.Column("recorded_at", TZ, nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_frontline_workday"),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["responsibility_assignment.id"],
            name="fk_frontline_workday_assignment_id_responsibility_assignment",
        ),
        sa.UniqueConstraint("assignment_id", "day", name="uq_frontline_workday_assignment_id_day"),
    )


def downgrade() -> None:
    for table in (
        "frontline_workday",
        "responsibility_assignment",
        "showcase_site",
        "venue",
        "instructor_assignment",
        "work_target_coverage",
        "work_target",
        "place",
    ):
        op.drop_table(table)
