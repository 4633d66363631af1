"""Tables of places: the region tree, and the parks, business districts, markets, buildings."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, Column, DateTime, ForeignKey, Index, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel


class RegionKind(StrEnum):
    city = "city"
    district = "district"
    county = "county"
    new_area = "new_area"
    sub_district = "sub_district"
    community = "community"


class DistrictClass(StrEnum):
    """Allowances differ by class (DOMAIN.md "Places")."""

    urban = "urban"
    county = "county"


# Which kind of region may sit under which (None: a root).
REGION_PARENT_KINDS: dict[RegionKind, set[RegionKind | None]] = {
    RegionKind.city: {None},
    RegionKind.district: {RegionKind.city},
    RegionKind.county: {RegionKind.city},
    RegionKind.new_area: {RegionKind.city},
    RegionKind.sub_district: {RegionKind.district, RegionKind.county, RegionKind.new_area},
    RegionKind.community: {RegionKind.sub_district},
}

DISTRICT_LEVEL = {RegionKind.district, RegionKind.county, RegionKind.new_area}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Region(SQLModel, table=True):
    __tablename__ = "region"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('city','district','county','new_area','sub_district','community')",
            name="kind",
        ),
        CheckConstraint("district_class IN ('urban','county')", name="district_class"),
        Index("ix_region_path", "path"),
        Index("ix_region_parent_id_name", "parent_id", "name", unique=True),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=100)
    kind: str = Field(sa_column=Column(String(20), nullable=False))
    district_class: str | None = Field(default=None, sa_column=Column(String(20)))
    code: str | None = Field(default=None, max_length=12)
    parent_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(ForeignKey("region.id"), nullable=True)
    )
    path: str = Field(sa_column=Column(String(400, collation="C"), nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class PlaceKind(StrEnum):
    park = "park"  # 园区
    business_district = "business_district"  # 商圈
    market = "market"  # 市场
    building = "building"  # 楼宇


class ParkLevel(StrEnum):
    national = "national"
    provincial = "provincial"
    municipal = "municipal"


# "Provincial or above" (省级以上) means provincial or national (DOMAIN.md "Places").
PROVINCIAL_OR_ABOVE = frozenset({ParkLevel.provincial, ParkLevel.national})

# Which kind of place may sit inside which (None: directly in its region).
PLACE_PARENT_KINDS: dict[PlaceKind, set[PlaceKind | None]] = {
    PlaceKind.park: {None},
    PlaceKind.business_district: {None},
    PlaceKind.market: {None, PlaceKind.business_district},
    PlaceKind.building: {None, PlaceKind.business_district, PlaceKind.park},
}


class Place(SQLModel, table=True):
    __tablename__ = "place"
    __table_args__ = (
        CheckConstraint("kind IN ('park','business_district','market','building')", name="kind"),
        CheckConstraint("level IN ('national','provincial','municipal')", name="level"),
        CheckConstraint("(kind = 'park') = (level IS NOT NULL)", name="level_for_parks"),
        Index("ix_place_region_id_name", "region_id", "name", unique=True),
        Index("ix_place_parent_place_id", "parent_place_id"),
        Index("ix_place_name_id", "name", "id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=100)
    kind: str = Field(sa_column=Column(String(20), nullable=False))
    level: str | None = Field(default=None, sa_column=Column(String(20)))
    region_id: uuid.UUID = Field(sa_column=Column(ForeignKey("region.id"), nullable=False))
    parent_place_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(ForeignKey("place.id"), nullable=True)
    )
    address: str | None = Field(default=None, max_length=300)
    # The ids sync clients give the place in their own systems, by client (org_service.sync).
    external_refs: dict[str, Any] = Field(
        default_factory=dict,
        sa_column=Column(JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    )
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
