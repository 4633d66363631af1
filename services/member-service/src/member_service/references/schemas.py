"""What member-service reads of org-service's answers and events (the agreed contracts)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field


class OrganizationState(BaseModel):
    """The columns of org-service's OrganizationPublic kept here (the rest is ignored)."""

    id: uuid.UUID
    name: str = Field(max_length=200)
    kind: str = Field(max_length=30)
    parent_id: uuid.UUID | None = None
    region_id: uuid.UUID
    status: str = Field(max_length=20)
    updated_at: datetime


class RegionState(BaseModel):
    id: uuid.UUID
    name: str = Field(max_length=100)
    kind: str = Field(max_length=20)
    parent_id: uuid.UUID | None = None
    district_class: str | None = Field(default=None, max_length=20)


class OrganizationChanged(BaseModel):
    """`data` of org.organization.changed."""

    change: str
    organization: OrganizationState


class OrganizationDissolved(BaseModel):
    """`data` of org.organization.dissolved."""

    organization_id: uuid.UUID
    effective_on: date
    reason: str | None = None
