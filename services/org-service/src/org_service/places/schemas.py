"""API models of places."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from org_service.places.models import DistrictClass, RegionKind


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
