"""API models of investors and their training."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9][0-9 -]{4,28}$")]
FEDERATION = "工商联"  # the federation of industry and commerce, which trains investors


class InvestorCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    work_target_id: uuid.UUID = Field(description="the enterprise they own or invest in")
    organization_id: uuid.UUID | None = Field(
        default=None, description="the party organization in the enterprise, if any"
    )
    member_id: uuid.UUID | None = Field(default=None, description="when the investor is a member")
    phone: Phone | None = None


class InvestorPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    work_target_id: uuid.UUID
    region_id: uuid.UUID
    organization_id: uuid.UUID | None
    member_id: uuid.UUID | None
    phone: str | None
    created_at: datetime
    updated_at: datetime


class InvestorTrainingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    held_on: date
    topic: str = Field(min_length=1, max_length=200)
    provider: str = Field(default=FEDERATION, min_length=1, max_length=200)
    class_hours: int = Field(default=0, ge=0, le=1000)


class InvestorTrainingPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    investor_id: uuid.UUID
    held_on: date
    topic: str
    provider: str
    class_hours: int
    created_at: datetime
