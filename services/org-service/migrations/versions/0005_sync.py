"""The sync API of park, business-district and building systems: their own ids of places,
floors, tenancies, the log of batches and idempotency keys.

Revision ID: org_0005
Revises: org_0004
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from service_kit.bulk import create_bulk_tables
from service_kit.idempotency import create_idempotency_table

revision = "org_0005"
down_revision = "org_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "place",
        sa.Column(
            "external_refs",
            postgresql.JSONB(),
            nullable=False,
            server_default=sa.text("'{}'::jsonb"),
        ),
    )
    # A client reads its work targets back by its own id: {"<client>": "<its id>"} @> …
    op.create_index(
        "ix_work_target_external_refs",
        "work_target",
        ["external_refs"],
        postgresql_using="gin",
        postgresql_ops={"external_refs": "jsonb_path_ops"},
    )
    op.create_table(
        "place_floor",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("place_id", sa.Uuid(), nullable=False),
        sa.Column("label", sa.String(20), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_place_floor"),
        sa.ForeignKeyConstraint(["place_id"], ["place.id"], name="fk_place_floor_place_id_place"),
    )
    op.create_index(
        "uq_place_floor_place_id_label", "place_floor", ["place_id", "label"], unique=True
    )
    op.create_table(
        "work_target_tenancy",
        sa.Column("work_target_id", sa.Uuid(), nullable=False),
        sa.Column("floor", sa.String(20)),
        sa.Column("unit", sa.String(50)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("work_target_id", name="pk_work_target_tenancy"),
        sa.ForeignKeyConstraint(
            ["work_target_id"],
            ["work_target.id"],
            name="fk_work_target_tenancy_work_target_id_work_target",
        ),
    )
    create_idempotency_table(op)
    create_bulk_tables(op)


def downgrade() -> None:
    op.drop_table("bulk_batch")
    op.drop_table("idempotent_request")
    op.drop_table("work_target_tenancy")
    op.drop_table("place_floor")
    op.drop_index("ix_work_target_external_refs", table_name="work_target")
    op.drop_column("place", "external_refs")
