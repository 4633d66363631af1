"""API models of venues and showcase sites."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from org_service.venues.models import ShowcaseSource, VenueKind


class VenueBase(BaseModel):
    kind: VenueKind
    name: str = Field(min_length=1, max_length=200)
    region_id: uuid.UUID
    place_id: uuid.UUID | None = Field(
        default=None, description="the park, business district or building it is in"
    )
    address: str | None = Field(default=None, max_length=300)
    area_m2: float | None = Field(default=None, gt=0, le=1_000_000, description="floor area")
    opening_hours: str | None = Field(
        default=None, max_length=200, description="as posted, e.g. 周一至周五 8:30-17:00"
    )
    run_by_organization_id: uuid.UUID | None = Field(
        default=None, description="the party organization that runs it"
    )
    opened_on: date
    closed_on: date | None = None


class VenueCreate(VenueBase):
    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID | None = Field(
        default=None, description="optional client-chosen id, for idempotent loading"
    )


class VenueUpdate(BaseModel):
    """Only the fields given change; `null` clears a field that may be empty."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    place_id: uuid.UUID | None = None
    address: str | None = Field(default=None, max_length=300)
    area_m2: float | None = Field(default=None, gt=0, le=1_000_000)
    opening_hours: str | None = Field(default=None, max_length=200)
    run_by_organization_id: uuid.UUID | None = None
    opened_on: date | None = None
    closed_on: date | None = None


class VenuePublic(VenueBase):
    id: uuid.UUID
    is_open: bool = Field(description="open on as_of")
    area_standard_m2: float | None = Field(
        description="guidance centers: the smallest area allowed on as_of (policy parameter "
        "guidance_center_min_area_m2); null for activity centers"
    )
    meets_area_standard: bool | None = Field(
        description="guidance centers: area_m2 reaches the standard; null for activity "
        "centers and when the area is unknown"
    )
    as_of: date
    created_at: datetime
    updated_at: datetime


class ShowcaseCriteria(BaseModel):
    """两化三有: all five must hold for an organization to be a showcase site."""

    model_config = ConfigDict(extra="forbid")

    standardized: bool = Field(description="规范化")
    visualized: bool = Field(description="可视化")
    signature_method: bool = Field(description="有品牌工作法: a signature work method")
    innovative_project: bool = Field(description="有创新项目: an innovative project")
    culture: bool = Field(description="有党建文化: a party-building culture")


class ShowcaseSiteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organization_id: uuid.UUID
    since: date
    criteria: ShowcaseCriteria
    source: ShowcaseSource = ShowcaseSource.manual
    note: str | None = Field(default=None, max_length=500)


class ShowcaseSiteEnd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    until: date = Field(description="the first day it is no longer a showcase site")
    note: str | None = Field(default=None, max_length=500)


class ShowcaseSitePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    organization_id: uuid.UUID
    since: date
    until: date | None
    criteria: ShowcaseCriteria
    source: ShowcaseSource
    note: str | None
    created_at: datetime
