"""API models of responsibility assignments (三级包保) and front-line work days."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from org_service.responsibility.models import ResponsibilityLevel


class ResponsibilityAssignmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_name: str = Field(min_length=1, max_length=100)
    subject: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="the person's login, if they have one: they may then log their work days",
    )
    level: ResponsibilityLevel = Field(
        description="county (county or bureau leader), township (township or sub-district "
        "cadre) or village (village or community cadre)"
    )
    position: str = Field(min_length=1, max_length=100, description="e.g. 区委副书记")
    organization_id: uuid.UUID | None = Field(default=None, description="exactly one of the two")
    work_target_id: uuid.UUID | None = Field(default=None, description="exactly one of the two")
    first_secretary: bool = Field(
        default=False, description="acts as the unit's first secretary (第一书记)"
    )
    valid_from: date


class ResponsibilityEnd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    valid_to: date = Field(description="the first day the responsibility no longer holds")


class ResponsibilityAssignmentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    person_name: str
    subject: str | None
    level: ResponsibilityLevel
    position: str
    organization_id: uuid.UUID | None
    work_target_id: uuid.UUID | None
    first_secretary: bool
    valid_from: date
    valid_to: date | None
    created_at: datetime


ItemCode = Annotated[str, StringConstraints(min_length=1, max_length=50)]


class FrontlineWorkdayCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    day: date
    items: list[ItemCode] = Field(
        min_length=1,
        max_length=20,
        description="codes of the checklist items done (policy parameter frontline_checklist)",
    )
    note: str | None = Field(default=None, max_length=1000)


class FrontlineWorkdayPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    assignment_id: uuid.UUID
    day: date
    items: list[str]
    note: str | None
    recorded_at: datetime
    recorded_by: str
