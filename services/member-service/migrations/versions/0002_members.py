"""Members, their history, quotas, transfers, posts, the political archive, activities, three teams.

The archive is append-only in the database itself: a trigger refuses UPDATE, DELETE and
TRUNCATE of archive_entry, whoever asks.

Revision ID: member_0002
Revises: member_0001
Create Date: 2026-11-27
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

from service_kit.policy import PolicyKey, create_policy_table

revision = "member_0002"
down_revision = "member_0001"
branch_labels = None
depends_on = None

# The values DOMAIN.md gives, seeded as data (later values are added as dated rows).
SEEDED = (
    PolicyKey(
        "instructor_staffing_norms",
        "",
        {"district_level": 10, "national_park": 10, "provincial_park": 5},
        dict,
    ),
    PolicyKey("public_holidays", "", [], list),
)

STAGES = (
    "'applicant','activist','development_target','probationary_member','full_member',"
    "'transferred_out','left','deceased'"
)
ENTRY_KINDS = "'attendance','post','evaluation','award','training','stage_change','transfer'"

ARCHIVE_GUARD = (
    """
    CREATE FUNCTION archive_entry_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'archive_entry is append-only: % refused; record a correction instead',
            TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END
    $$
    """,
    """
    CREATE TRIGGER archive_entry_no_update_or_delete
        BEFORE UPDATE OR DELETE ON archive_entry
        FOR EACH ROW EXECUTE FUNCTION archive_entry_append_only()
    """,
    """
    CREATE TRIGGER archive_entry_no_truncate
        BEFORE TRUNCATE ON archive_entry
        FOR EACH STATEMENT EXECUTE FUNCTION archive_entry_append_only()
    """,
)


def _timestamps() -> list[sa.Column[Any]]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}")


def upgrade() -> None:
    create_policy_table(op, SEEDED)
    tz = sa.DateTime(timezone=True)

    op.create_table(
        "member_org_reference",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("parent_id", sa.Uuid()),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("source_updated_at", tz, nullable=False),
        sa.Column("synced_at", tz, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_member_org_reference"),
    )
    op.create_index("ix_member_org_reference_parent_id", "member_org_reference", ["parent_id"])
    op.create_index("ix_member_org_reference_region_id", "member_org_reference", ["region_id"])
    op.create_table(
        "member_region_reference",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("parent_id", sa.Uuid()),
        sa.Column("district_class", sa.String(20)),
        sa.Column("synced_at", tz, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_member_region_reference"),
    )
    op.create_index(
        "ix_member_region_reference_parent_id", "member_region_reference", ["parent_id"]
    )

    op.create_table(
        "member",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("gender", sa.String(10), nullable=False),
        sa.Column("ethnicity", sa.String(50)),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("id_number_key_id", sa.String(50), nullable=False),
        sa.Column("id_number_nonce", sa.LargeBinary(), nullable=False),
        sa.Column("id_number_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("id_number_hash", sa.LargeBinary(), nullable=False),
        sa.Column("education", sa.String(30)),
        sa.Column("phone", sa.String(30)),
        sa.Column("employer_id", sa.Uuid()),
        sa.Column("stage", sa.String(30), nullable=False),
        sa.Column("applied_on", sa.Date(), nullable=False),
        sa.Column("activist_on", sa.Date()),
        sa.Column("development_target_on", sa.Date()),
        sa.Column("admitted_on", sa.Date()),
        sa.Column("probation_ends_on", sa.Date()),
        sa.Column("probation_extended_months", sa.Integer()),
        sa.Column("full_member_on", sa.Date()),
        sa.Column("ended_on", sa.Date()),
        sa.Column("end_reason", sa.String(500)),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("serving_organization_id", sa.Uuid(), nullable=False),
        sa.Column("origin", sa.String(20), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_member"),
        sa.CheckConstraint(f"stage IN ({STAGES})", name="ck_member_stage"),
        sa.CheckConstraint("gender IN ('male','female')", name="ck_member_gender"),
        sa.CheckConstraint("origin IN ('registered','imported')", name="ck_member_origin"),
        sa.CheckConstraint(
            "probation_extended_months IS NULL OR probation_extended_months BETWEEN 6 AND 12",
            name="ck_member_probation_extension",
        ),
    )
    op.create_index("uq_member_id_number_hash", "member", ["id_number_hash"], unique=True)
    op.create_index("ix_member_organization_id_name", "member", ["organization_id", "name", "id"])
    op.create_index("ix_member_serving_organization_id", "member", ["serving_organization_id"])

    op.create_table(
        "member_version",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date()),
        sa.Column("stage", sa.String(30), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("serving_organization_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_member_version"),
        _fk("member_version", "member_id", "member"),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to > valid_from", name="ck_member_version_valid_range"
        ),
        sa.CheckConstraint(f"stage IN ({STAGES})", name="ck_member_version_stage"),
    )
    op.create_index(
        "uq_member_version_member_id_valid_from",
        "member_version",
        ["member_id", "valid_from"],
        unique=True,
    )
    op.create_index(
        "uq_member_version_open",
        "member_version",
        ["member_id"],
        unique=True,
        postgresql_where=sa.text("valid_to IS NULL"),
    )
    op.create_index(
        "ix_member_version_organization_id_valid_from",
        "member_version",
        ["organization_id", "valid_from"],
    )

    op.create_table(
        "development_quota",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("allocated", sa.Integer(), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(500)),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_development_quota"),
        sa.CheckConstraint(
            "allocated >= 0 AND used >= 0 AND used <= allocated",
            name="ck_development_quota_within",
        ),
        sa.CheckConstraint("year BETWEEN 1921 AND 9999", name="ck_development_quota_year"),
    )
    op.create_index(
        "uq_development_quota_region_id_year",
        "development_quota",
        ["region_id", "year"],
        unique=True,
    )
    op.create_table(
        "quota_draw",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("quota_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("drawn_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", tz, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_quota_draw"),
        _fk("quota_draw", "quota_id", "development_quota"),
        _fk("quota_draw", "member_id", "member"),
    )
    op.create_index("uq_quota_draw_member_id", "quota_draw", ["member_id"], unique=True)
    op.create_index("ix_quota_draw_quota_id", "quota_draw", ["quota_id"])

    op.create_table(
        "archive_entry",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("corrects_id", sa.Uuid()),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("source_event_id", sa.Uuid()),
        sa.Column("recorded_at", tz, nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("prev_hash", sa.LargeBinary(), nullable=False),
        sa.Column("hash", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_archive_entry"),
        _fk("archive_entry", "member_id", "member"),
        sa.ForeignKeyConstraint(
            ["corrects_id"], ["archive_entry.id"], name="fk_archive_entry_corrects_id_archive_entry"
        ),
        sa.CheckConstraint("seq >= 1", name="ck_archive_entry_seq"),
        sa.CheckConstraint(f"kind IN ({ENTRY_KINDS})", name="ck_archive_entry_kind"),
        sa.CheckConstraint(
            "octet_length(hash) = 32 AND octet_length(prev_hash) = 32",
            name="ck_archive_entry_hashes",
        ),
    )
    op.create_index(
        "uq_archive_entry_member_id_seq", "archive_entry", ["member_id", "seq"], unique=True
    )
    op.create_index(
        "uq_archive_entry_corrects_id",
        "archive_entry",
        ["corrects_id"],
        unique=True,
        postgresql_where=sa.text("corrects_id IS NOT NULL"),
    )
    op.create_index(
        "uq_archive_entry_source_event_id",
        "archive_entry",
        ["source_event_id"],
        unique=True,
        postgresql_where=sa.text("source_event_id IS NOT NULL"),
    )
    for statement in ARCHIVE_GUARD:
        op.execute(statement)

    op.create_table(
        "admission",
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("voted_on", sa.Date(), nullable=False),
        sa.Column("public_notice_started_on", sa.Date(), nullable=False),
        sa.Column("entitled_voters", sa.Integer(), nullable=False),
        sa.Column("present_voters", sa.Integer(), nullable=False),
        sa.Column("votes_for", sa.Integer(), nullable=False),
        sa.Column("introducer_1_id", sa.Uuid(), nullable=False),
        sa.Column("introducer_2_id", sa.Uuid(), nullable=False),
        sa.Column("quota_id", sa.Uuid(), nullable=False),
        sa.Column("recorded_at", tz, nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("member_id", name="pk_admission"),
        _fk("admission", "member_id", "member"),
        _fk("admission", "introducer_1_id", "member"),
        _fk("admission", "introducer_2_id", "member"),
        _fk("admission", "quota_id", "development_quota"),
        sa.CheckConstraint(
            "present_voters BETWEEN 0 AND entitled_voters AND votes_for BETWEEN 0 AND "
            "present_voters",
            name="ck_admission_votes",
        ),
        sa.CheckConstraint(
            "introducer_1_id <> introducer_2_id", name="ck_admission_two_introducers"
        ),
    )
    op.create_table(
        "member_training",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("provider", sa.String(200)),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("class_hours", sa.Integer(), nullable=False),
        sa.Column("archive_entry_id", sa.Uuid(), nullable=False),
        sa.Column("recorded_at", tz, nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_member_training"),
        _fk("member_training", "member_id", "member"),
        _fk("member_training", "archive_entry_id", "archive_entry"),
        sa.CheckConstraint("ended_on >= started_on", name="ck_member_training_period"),
        sa.CheckConstraint("days >= 1 AND class_hours >= 0", name="ck_member_training_length"),
        sa.CheckConstraint("kind IN ('intensive','regular')", name="ck_member_training_kind"),
    )
    op.create_index(
        "ix_member_training_member_id_ended_on", "member_training", ["member_id", "ended_on"]
    )

    op.create_table(
        "member_transfer",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("from_organization_id", sa.Uuid(), nullable=False),
        sa.Column("to_organization_id", sa.Uuid()),
        sa.Column("destination_name", sa.String(200)),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("initiated_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("decided_on", sa.Date()),
        sa.Column("decision_note", sa.String(500)),
        sa.Column("receipt_returned_on", sa.Date()),
        sa.Column("note", sa.String(500)),
        *_timestamps(),
        sa.Column("initiated_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_member_transfer"),
        _fk("member_transfer", "member_id", "member"),
        sa.CheckConstraint(
            "status IN ('pending','accepted','rejected','expired')",
            name="ck_member_transfer_status",
        ),
        sa.CheckConstraint(
            "(to_organization_id IS NULL) <> (destination_name IS NULL)",
            name="ck_member_transfer_destination",
        ),
        sa.CheckConstraint("expires_on > initiated_on", name="ck_member_transfer_validity"),
        sa.CheckConstraint(
            "receipt_returned_on IS NULL OR status = 'accepted'",
            name="ck_member_transfer_receipt_after_acceptance",
        ),
    )
    op.create_index(
        "uq_member_transfer_pending",
        "member_transfer",
        ["member_id"],
        unique=True,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index("ix_member_transfer_member_id", "member_transfer", ["member_id"])
    op.create_index(
        "ix_member_transfer_from_organization_id", "member_transfer", ["from_organization_id"]
    )
    op.create_index(
        "ix_member_transfer_to_organization_id", "member_transfer", ["to_organization_id"]
    )

    op.create_table(
        "member_post",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("duties", sa.String(1000)),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date()),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_member_post"),
        _fk("member_post", "member_id", "member"),
        sa.CheckConstraint(
            "kind IN ('integrity','civility','shock','tackling')", name="ck_member_post_kind"
        ),
        sa.CheckConstraint(
            "ended_on IS NULL OR ended_on >= started_on", name="ck_member_post_period"
        ),
    )
    op.create_index(
        "ix_member_post_member_id_kind", "member_post", ["member_id", "kind", "started_on"]
    )
    op.create_index(
        "ix_member_post_organization_id", "member_post", ["organization_id", "started_on"]
    )

    op.create_table(
        "activity",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("venue", sa.String(200)),
        sa.Column("note", sa.String(1000)),
        sa.Column("created_at", tz, nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_activity"),
        sa.CheckConstraint(
            "kind IN ('member_meeting','committee_meeting','group_meeting','party_lesson',"
            "'themed_party_day')",
            name="ck_activity_kind",
        ),
    )
    op.create_index(
        "ix_activity_organization_id_held_on", "activity", ["organization_id", "held_on", "id"]
    )
    op.create_table(
        "activity_attendance",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("activity_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("archive_entry_id", sa.Uuid(), nullable=False),
        sa.Column("recorded_at", tz, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_activity_attendance"),
        _fk("activity_attendance", "activity_id", "activity"),
        _fk("activity_attendance", "member_id", "member"),
        _fk("activity_attendance", "archive_entry_id", "archive_entry"),
        sa.CheckConstraint(
            "status IN ('present','absent','excused')", name="ck_activity_attendance_status"
        ),
    )
    op.create_index(
        "uq_activity_attendance_activity_id_member_id",
        "activity_attendance",
        ["activity_id", "member_id"],
        unique=True,
    )
    op.create_index("ix_activity_attendance_member_id", "activity_attendance", ["member_id"])

    op.create_table(
        "team_secretary_term",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("term_start", sa.Date(), nullable=False),
        sa.Column("term_end", sa.Date()),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_team_secretary_term"),
        _fk("team_secretary_term", "member_id", "member"),
        sa.CheckConstraint(
            "term_end IS NULL OR term_end >= term_start", name="ck_team_secretary_term_period"
        ),
    )
    op.create_index(
        "uq_team_secretary_term_open",
        "team_secretary_term",
        ["organization_id"],
        unique=True,
        postgresql_where=sa.text("term_end IS NULL"),
    )
    op.create_index(
        "ix_team_secretary_term_organization_id_term_start",
        "team_secretary_term",
        ["organization_id", "term_start"],
    )
    op.create_index(
        "ix_team_secretary_term_term_start", "team_secretary_term", ["term_start", "id"]
    )
    op.create_index("ix_team_secretary_term_member_id", "team_secretary_term", ["member_id"])

    op.create_table(
        "team_instructor",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("member_id", sa.Uuid()),
        sa.Column("subject", sa.String(200)),
        sa.Column("employer_kind", sa.String(20), nullable=False),
        sa.Column("employer_id", sa.Uuid(), nullable=False),
        sa.Column("employer_name", sa.String(200), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.Column("hired_on", sa.Date(), nullable=False),
        sa.Column("left_on", sa.Date()),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_team_instructor"),
        _fk("team_instructor", "member_id", "member"),
        sa.CheckConstraint(
            "employer_kind IN ('district','park')", name="ck_team_instructor_employer_kind"
        ),
        sa.CheckConstraint(
            "left_on IS NULL OR left_on >= hired_on", name="ck_team_instructor_period"
        ),
    )
    op.create_index(
        "ix_team_instructor_employer_id", "team_instructor", ["employer_id", "hired_on"]
    )
    op.create_index("ix_team_instructor_region_id", "team_instructor", ["region_id"])
    op.create_index(
        "uq_team_instructor_subject",
        "team_instructor",
        ["subject"],
        unique=True,
        postgresql_where=sa.text("subject IS NOT NULL"),
    )
    op.create_table(
        "team_instructor_assignment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("instructor_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid()),
        sa.Column("work_target_id", sa.Uuid()),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date()),
        sa.Column("created_at", tz, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_team_instructor_assignment"),
        _fk("team_instructor_assignment", "instructor_id", "team_instructor"),
        sa.CheckConstraint(
            "(organization_id IS NULL) <> (work_target_id IS NULL)",
            name="ck_team_instructor_assignment_one_unit",
        ),
        sa.CheckConstraint(
            "ended_on IS NULL OR ended_on >= started_on",
            name="ck_team_instructor_assignment_period",
        ),
    )
    op.create_index(
        "ix_team_instructor_assignment_instructor_id",
        "team_instructor_assignment",
        ["instructor_id", "started_on"],
    )
    op.create_index(
        "ix_team_instructor_assignment_organization_id",
        "team_instructor_assignment",
        ["organization_id"],
    )

    op.create_table(
        "team_investor",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("work_target_id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid()),
        sa.Column("member_id", sa.Uuid()),
        sa.Column("phone", sa.String(30)),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_team_investor"),
        _fk("team_investor", "member_id", "member"),
    )
    op.create_index("ix_team_investor_work_target_id", "team_investor", ["work_target_id"])
    op.create_index("ix_team_investor_region_id", "team_investor", ["region_id", "name", "id"])
    op.create_index("ix_team_investor_organization_id", "team_investor", ["organization_id"])
    op.create_table(
        "team_investor_training",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("investor_id", sa.Uuid(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("provider", sa.String(200), nullable=False),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("class_hours", sa.Integer(), nullable=False),
        sa.Column("created_at", tz, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_team_investor_training"),
        _fk("team_investor_training", "investor_id", "team_investor"),
        sa.CheckConstraint("class_hours >= 0", name="ck_team_investor_training_class_hours"),
    )
    op.create_index(
        "ix_team_investor_training_investor_id",
        "team_investor_training",
        ["investor_id", "held_on"],
    )


def downgrade() -> None:
    for table in (
        "team_investor_training",
        "team_investor",
        "team_instructor_assignment",
        "team_instructor",
        "team_secretary_term",
        "activity_attendance",
        "activity",
        "member_post",
        "member_transfer",
        "member_training",
        "admission",
    ):
        op.drop_table(table)
    op.execute("DROP TABLE archive_entry")
    op.execute("DROP FUNCTION archive_entry_append_only()")
    for table in (
        "quota_draw",
        "development_quota",
        "member_version",
        "member",
        "member_region_reference",
        "member_org_reference",
        "policy_parameter",
    ):
        op.drop_table(table)
