"""Tables of rating schemes and organization ratings."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    SmallInteger,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from rating_service.campaigns.models import uuid_array

# The showcase criteria (两化三有); an organization meets them only when all five hold.
SHOWCASE_CRITERIA = (
    "standardized",  # 规范化
    "visualized",  # 可视化
    "signature_method",  # 有品牌工作法
    "innovative_project",  # 有创新项目
    "culture",  # 有党建文化
)

# The scheme every database starts with (a published local example: 6 areas, 18
# indicators, 100 points); later schemes are added as dated rows.
DEFAULT_SCHEME_ID = uuid.UUID("5a7e0c3e-8d0b-4c61-9f45-2b6a1d0e7c01")


def utcnow() -> datetime:
    return datetime.now(UTC)


class RatingScheme(SQLModel, table=True):
    """Areas of indicators with their points, star thresholds on the total, veto items; the
    scheme in force on a day is the latest whose valid_from is on or before it."""

    __tablename__ = "rating_scheme"
    __table_args__ = (
        CheckConstraint("total_points > 0", name="total_points"),
        CheckConstraint(
            "five_stars_min > four_stars_min AND four_stars_min > three_stars_min "
            "AND three_stars_min > two_stars_min AND two_stars_min > 0 "
            "AND five_stars_min <= total_points",
            name="star_thresholds",
        ),
        Index("ix_rating_scheme_valid_from", "valid_from", "created_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=200)
    valid_from: date = Field(sa_column=Column(Date, nullable=False))
    total_points: float = Field(sa_column=Column(Float, nullable=False))
    areas: list[dict[str, Any]] = Field(sa_column=Column(JSONB, nullable=False))
    five_stars_min: float = Field(sa_column=Column(Float, nullable=False))
    four_stars_min: float = Field(sa_column=Column(Float, nullable=False))
    three_stars_min: float = Field(sa_column=Column(Float, nullable=False))
    two_stars_min: float = Field(sa_column=Column(Float, nullable=False))
    veto_items: list[dict[str, Any]] = Field(sa_column=Column(JSONB, nullable=False))
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class OrganizationRating(SQLModel, table=True):
    """One rating of an organization under a scheme; it sets the organization's star level
    from rated_on for the validity period in force."""

    __tablename__ = "organization_rating"
    __table_args__ = (
        CheckConstraint("stars BETWEEN 1 AND 5 AND points_stars BETWEEN 1 AND 5", name="stars"),
        CheckConstraint("valid_until > valid_from", name="valid_range"),
        Index("ix_organization_rating_organization", "organization_id", "rated_on"),
        Index("ix_organization_rating_created_at_id", "created_at", "id"),
        Index(
            "ix_organization_rating_organization_chain",
            "organization_chain",
            postgresql_using="gin",
        ),
        Index("ix_organization_rating_region_chain", "region_chain", postgresql_using="gin"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organization_id: uuid.UUID = Field(sa_column=Column(Uuid(), nullable=False))
    organization_chain: list[uuid.UUID] = Field(sa_column=uuid_array())
    region_id: uuid.UUID = Field(sa_column=Column(Uuid(), nullable=False))
    region_chain: list[uuid.UUID] = Field(sa_column=uuid_array())
    scheme_id: uuid.UUID = Field(sa_column=Column(ForeignKey("rating_scheme.id"), nullable=False))
    rated_on: date = Field(sa_column=Column(Date, nullable=False))
    indicator_points: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    area_points: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    total_points: float = Field(sa_column=Column(Float, nullable=False))
    vetoes: list[str] = Field(sa_column=Column(JSONB, nullable=False))
    points_stars: int = Field(sa_column=Column(SmallInteger, nullable=False))
    stars: int = Field(sa_column=Column(SmallInteger, nullable=False))
    showcase_criteria: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    showcase: bool = Field(sa_column=Column(Boolean, nullable=False))
    valid_from: date = Field(sa_column=Column(Date, nullable=False))
    valid_until: date = Field(sa_column=Column(Date, nullable=False))
    note: str | None = Field(default=None, max_length=500)
    rated_by: str = Field(max_length=200)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
