"""Tables of venues (阵地: guidance and activity centers) and showcase sites (示范点)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, Column, Date, DateTime, Float, ForeignKey, Index, String
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel


class VenueKind(StrEnum):
    guidance_center = "guidance_center"  # 党建指导中心
    activity_center = "activity_center"  # 党群活动中心


class ShowcaseSource(StrEnum):
    manual = "manual"  # recorded by an administrator
    rating = "rating"  # follows from an organization star rating


# The five showcase criteria (两化三有); an organization is a showcase site only when
# all five hold.
SHOWCASE_CRITERIA = (
    "standardized",  # 规范化
    "visualized",  # 可视化
    "signature_method",  # 有品牌工作法
    "innovative_project",  # 有创新项目
    "culture",  # 有党建文化
)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Venue(SQLModel, table=True):
    __tablename__ = "venue"
    __table_args__ = (
        CheckConstraint("kind IN ('guidance_center','activity_center')", name="kind"),
        CheckConstraint("area_m2 > 0", name="area_m2"),
        CheckConstraint("closed_on IS NULL OR closed_on >= opened_on", name="closed_on"),
        Index("ix_venue_region_id", "region_id"),
        Index("ix_venue_place_id", "place_id"),
        Index("ix_venue_name_id", "name", "id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    kind: str = Field(sa_column=Column(String(30), nullable=False))
    name: str = Field(max_length=200)
    region_id: uuid.UUID = Field(sa_column=Column(ForeignKey("region.id"), nullable=False))
    place_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(ForeignKey("place.id"), nullable=True)
    )
    address: str | None = Field(default=None, max_length=300)
    area_m2: float | None = Field(default=None, sa_column=Column(Float))
    opening_hours: str | None = Field(default=None, max_length=200)
    run_by_organization_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(ForeignKey("organization.id"), nullable=True)
    )
    opened_on: date = Field(sa_column=Column(Date, nullable=False))
    closed_on: date | None = Field(default=None, sa_column=Column(Date))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class ShowcaseSite(SQLModel, table=True):
    """An organization recognized as a showcase site from `since` until `until` (exclusive)."""

    __tablename__ = "showcase_site"
    __table_args__ = (
        CheckConstraint("source IN ('manual','rating')", name="source"),
        CheckConstraint("until IS NULL OR until > since", name="valid_range"),
        Index("ix_showcase_site_organization_id", "organization_id", "since"),
        Index(
            "uq_showcase_site_open",
            "organization_id",
            unique=True,
            postgresql_where=sql_text("until IS NULL"),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organization_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("organization.id"), nullable=False)
    )
    since: date = Field(sa_column=Column(Date, nullable=False))
    until: date | None = Field(default=None, sa_column=Column(Date))
    criteria: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    source: str = Field(sa_column=Column(String(20), nullable=False))
    note: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
