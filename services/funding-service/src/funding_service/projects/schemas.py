"""API models of party-building projects and bids (amounts in integer fen)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from funding_service.money import Fen
from funding_service.projects.models import BidStatus


class ProjectCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    budget_id: uuid.UUID = Field(description="the district budget the project is funded from")
    budget_fen: Fen
    min_stars: int = Field(
        ge=1, le=5, description="the lowest organization star level that may bid"
    )
    bids_close_on: date = Field(description="the last day bids are taken")


class ProjectPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    title: str
    description: str | None
    district_id: uuid.UUID
    budget_id: uuid.UUID
    budget_fen: int
    awarded_fen: int
    min_stars: int
    bids_close_on: date
    created_at: datetime
    created_by: str


class BidCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organization_id: uuid.UUID
    amount_fen: Fen
    proposal: str | None = Field(default=None, max_length=2000)


class BidPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    project_id: uuid.UUID
    organization_id: uuid.UUID
    organization_name: str
    amount_fen: int
    proposal: str | None
    stars: int = Field(description="the organization's star level when it bid")
    star_source: str = Field(
        description="rating_service: asked at that moment; projection: rating-service could "
        "not be reached and its last announced level was used"
    )
    status: BidStatus
    transfer_id: uuid.UUID | None
    created_at: datetime


class AwardCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bid_id: uuid.UUID
    amount_fen: Fen | None = Field(default=None, description="default: the amount bid")
