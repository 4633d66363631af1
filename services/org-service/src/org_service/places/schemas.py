"""API models of places: regions and the parks, business districts, markets, buildings in them."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from org_service.places.models import DistrictClass, ParkLevel, PlaceKind, RegionKind


class RegionBase(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    kind: RegionKind
    district_class: DistrictClass | None = Field(
        default=None, description="urban or county; required for district-level regions"
    )
    code: str | None = Field(
        default=None, pattern=r"^\d{6}(\d{3})?$", description="administrative division code"
    )
    parent_id: uuid.UUID | None = None


class RegionCreate(RegionBase):
    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID | None = Field(
        default=None, description="optional client-chosen id, for idempotent loading"
    )


class RegionPublic(RegionBase):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    depth: int
    created_at: datetime


class PlaceBase(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    kind: PlaceKind
    level: ParkLevel | None = Field(
        default=None,
        description="parks only (and required for them): national, provincial or municipal",
    )
    region_id: uuid.UUID = Field(description="the region the place lies in")
    parent_place_id: uuid.UUID | None = Field(
        default=None,
        description="the business district or park a building sits in; the business district "
        "of a market",
    )
    address: str | None = Field(default=None, max_length=300)


class PlaceCreate(PlaceBase):
    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID | None = Field(
        default=None, description="optional client-chosen id, for idempotent loading"
    )


class PlacePublic(PlaceBase):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    provincial_or_above: bool = Field(description="a national or provincial park (省级以上)")
    created_at: datetime
