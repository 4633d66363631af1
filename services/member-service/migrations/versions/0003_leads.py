"""Reported members (leads) from sync clients, the log of their batches, idempotency keys.

Revision ID: member_0003
Revises: member_0002
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

from service_kit.bulk import create_bulk_tables
from service_kit.idempotency import create_idempotency_table

revision = "member_0003"
down_revision = "member_0002"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "member_lead",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client", sa.String(200), nullable=False),
        sa.Column("external_id", sa.String(100)),
        sa.Column("employer_id", sa.Uuid(), nullable=False),
        sa.Column("employer_credit_code", sa.String(18), nullable=False),
        sa.Column("responsible_organization_id", sa.Uuid()),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("gender", sa.String(10), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("id_number_key_id", sa.String(50), nullable=False),
        sa.Column("id_number_nonce", sa.LargeBinary(), nullable=False),
        sa.Column("id_number_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("id_number_hash", sa.LargeBinary(), nullable=False),
        sa.Column("phone", sa.String(30)),
        sa.Column("reported_stage", sa.String(30), nullable=False),
        sa.Column("joined_on", sa.Date()),
        sa.Column("home_organization", sa.String(200)),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("member_id", sa.Uuid()),
        sa.Column("decided_at", TZ),
        sa.Column("decided_by", sa.String(200)),
        sa.Column("decision_note", sa.String(500)),
        sa.Column("reported_at", TZ, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_member_lead"),
        sa.CheckConstraint(
            "status IN ('pending','matched','confirmed','rejected')", name="ck_member_lead_status"
        ),
        sa.CheckConstraint(
            "reported_stage IN ('probationary_member','full_member')",
            name="ck_member_lead_reported_stage",
        ),
        sa.CheckConstraint(
            "(status IN ('matched', 'confirmed')) = (member_id IS NOT NULL)",
            name="ck_member_lead_member_id",
        ),
    )
    op.create_index(
        "uq_member_lead_client_employer_id_number",
        "member_lead",
        ["client", "employer_id", "id_number_hash"],
        unique=True,
    )
    op.create_index(
        "ix_member_lead_responsible",
        "member_lead",
        ["responsible_organization_id", "name", "id"],
    )
    op.create_index("ix_member_lead_id_number_hash", "member_lead", ["id_number_hash"])
    create_idempotency_table(op)
    create_bulk_tables(op)


def downgrade() -> None:
    op.drop_table("bulk_batch")
    op.drop_table("idempotent_request")
    op.drop_table("member_lead")
