"""Tables of places: the region tree (city, districts, counties, sub-districts, communities)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, DateTime, ForeignKey, Index, String
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
