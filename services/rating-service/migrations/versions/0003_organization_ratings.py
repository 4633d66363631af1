"""Rating schemes (seeded with the default one), organization ratings and star levels.

Revision ID: rating_0003
Revises: rating_0002
Create Date: 2026-11-27
"""

import uuid
from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "rating_0003"
down_revision = "rating_0002"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
UUIDS = postgresql.ARRAY(sa.Uuid())

DEFAULT_SCHEME_ID = uuid.UUID("5a7e0c3e-8d0b-4c61-9f45-2b6a1d0e7c01")


def _area(code: str, name: str, *indicators: tuple[str, str, int]) -> dict[str, object]:
    return {
        "code": code,
        "name": name,
        "indicators": [{"code": c, "name": n, "max_points": p} for c, n, p in indicators],
    }


# A published local example: 6 areas, 18 indicators, 100 points.
DEFAULT_AREAS = [
    _area(
        "organization_building",
        "组织建设",
        ("organization_setup", "组织设置规范", 6),
        ("elections_on_time", "按期换届", 5),
        ("member_development", "发展党员", 5),
    ),
    _area(
        "team_building",
        "队伍建设",
        ("secretary_role", "书记履职", 6),
        ("member_management", "党员教育管理", 6),
        ("activist_pool", "积极分子队伍", 4),
    ),
    _area(
        "organization_life",
        "组织生活",
        ("regular_meetings", "三会一课", 6),
        ("themed_party_day", "主题党日", 6),
        ("member_posts", "亮身份亮岗位", 5),
    ),
    _area(
        "venue_and_support",
        "阵地保障",
        ("venue", "活动阵地", 6),
        ("funding_use", "经费使用", 5),
        ("records", "台账资料", 5),
    ),
    _area(
        "role_in_development",
        "作用发挥",
        ("business_development", "促进企业发展", 7),
        ("social_responsibility", "履行社会责任", 6),
        ("harmonious_labor", "构建和谐劳动关系", 5),
    ),
    _area(
        "brand_building",
        "品牌创建",
        ("signature_method", "品牌工作法", 6),
        ("innovative_project", "创新项目", 6),
        ("party_culture", "党建文化", 5),
    ),
]

DEFAULT_VETO_ITEMS = [
    {"code": "serious_violation", "name": "班子成员严重违纪违法"},
    {"code": "major_accident", "name": "发生重大安全生产事故"},
    {"code": "mass_incident", "name": "发生群体性事件"},
    {"code": "organization_inactive", "name": "组织软弱涣散"},
]


def upgrade() -> None:
    schemes = op.create_table(
        "rating_scheme",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("total_points", sa.Float(), nullable=False),
        sa.Column("areas", postgresql.JSONB(), nullable=False),
        sa.Column("five_stars_min", sa.Float(), nullable=False),
        sa.Column("four_stars_min", sa.Float(), nullable=False),
        sa.Column("three_stars_min", sa.Float(), nullable=False),
        sa.Column("two_stars_min", sa.Float(), nullable=False),
        sa.Column("veto_items", postgresql.JSONB(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_rating_scheme"),
        sa.CheckConstraint("total_points > 0", name="ck_rating_scheme_total_points"),
        sa.CheckConstraint(
            "five_stars_min > four_stars_min AND four_stars_min > three_stars_min "
            "AND three_stars_min > two_stars_min AND two_stars_min > 0 "
            "AND five_stars_min <= total_points",
            name="ck_rating_scheme_star_thresholds",
        ),
    )
    op.create_index("ix_rating_scheme_valid_from", "rating_scheme", ["valid_from", "created_at"])
    op.bulk_insert(
        schemes,
        [
            {
                "id": DEFAULT_SCHEME_ID,
                "name": "非公企业和社会组织党组织星级评定（6个方面18项指标，百分制）",
                "valid_from": date(2000, 1, 1),
                "total_points": 100.0,
                "areas": DEFAULT_AREAS,
                "five_stars_min": 90.0,
                "four_stars_min": 80.0,
                "three_stars_min": 70.0,
                "two_stars_min": 60.0,
                "veto_items": DEFAULT_VETO_ITEMS,
                "created_by": "migration",
                "created_at": datetime.now(UTC),
            }
        ],
    )

    op.create_table(
        "organization_rating",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("organization_chain", UUIDS, nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.Column("region_chain", UUIDS, nullable=False),
        sa.Column("scheme_id", sa.Uuid(), nullable=False),
        sa.Column("rated_on", sa.Date(), nullable=False),
        sa.Column("indicator_points", postgresql.JSONB(), nullable=False),
        sa.Column("area_points", postgresql.JSONB(), nullable=False),
        sa.Column("total_points", sa.Float(), nullable=False),
        sa.Column("vetoes", postgresql.JSONB(), nullable=False),
        sa.Column("points_stars", sa.SmallInteger(), nullable=False),
        sa.Column("stars", sa.SmallInteger(), nullable=False),
        sa.Column("showcase_criteria", postgresql.JSONB(), nullable=False),
        sa.Column("showcase", sa.Boolean(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("note", sa.String(500)),
        sa.Column("rated_by", sa.String(200), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_organization_rating"),
        sa.ForeignKeyConstraint(
            ["scheme_id"],
            ["rating_scheme.id"],
            name="fk_organization_rating_scheme_id_rating_scheme",
        ),
        sa.CheckConstraint(
            "stars BETWEEN 1 AND 5 AND points_stars BETWEEN 1 AND 5",
            name="ck_organization_rating_stars",
        ),
        sa.CheckConstraint("valid_until > valid_from", name="ck_organization_rating_valid_range"),
    )
    op.create_index(
        "ix_organization_rating_organization",
        "organization_rating",
        ["organization_id", "rated_on"],
    )
    op.create_index(
        "ix_organization_rating_created_at_id", "organization_rating", ["created_at", "id"]
    )
    op.create_index(
        "ix_organization_rating_organization_chain",
        "organization_rating",
        ["organization_chain"],
        postgresql_using="gin",
    )
    op.create_index(
        "ix_organization_rating_region_chain",
        "organization_rating",
        ["region_chain"],
        postgresql_using="gin",
    )

    op.create_table(
        "star_level_history",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subject_kind", sa.String(20), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("stars", sa.SmallInteger(), nullable=False),
        sa.Column("showcase", sa.Boolean(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date()),
        sa.Column("source", sa.String(30), nullable=False),
        sa.Column("source_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("organization_chain", UUIDS, nullable=False),
        sa.Column("region_chain", UUIDS, nullable=False),
        sa.Column("recorded_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_star_level_history"),
        sa.CheckConstraint(
            "subject_kind IN ('organization','member')", name="ck_star_level_history_subject_kind"
        ),
        sa.CheckConstraint("stars BETWEEN 1 AND 5", name="ck_star_level_history_stars"),
        sa.CheckConstraint(
            "source IN ('evaluation','organization_rating')", name="ck_star_level_history_source"
        ),
        sa.CheckConstraint(
            "valid_until IS NULL OR valid_until >= valid_from",
            name="ck_star_level_history_valid_range",
        ),
    )
    op.create_index(
        "ix_star_level_history_subject",
        "star_level_history",
        ["subject_kind", "subject_id", "valid_from"],
    )
    op.create_index(
        "ix_star_level_history_organization_chain",
        "star_level_history",
        ["organization_chain"],
        postgresql_using="gin",
    )
    op.create_index(
        "ix_star_level_history_region_chain",
        "star_level_history",
        ["region_chain"],
        postgresql_using="gin",
    )


def downgrade() -> None:
    for table in ("star_level_history", "organization_rating", "rating_scheme"):
        op.drop_table(table)
