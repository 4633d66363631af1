"""API models of organizations."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from org_service.organizations.models import (
    Formation,
    JointMode,
    OrganizationKind,
    OrganizationStatus,
    OrganizationSubkind,
)


class OrganizationBase(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    kind: OrganizationKind
    subkind: OrganizationSubkind | None = Field(
        default=None,
        description="working_committee: city or district; party_committee: park, "
        "comprehensive, industry or enterprise",
    )
    formation: Formation = Formation.single
    joint_mode: JointMode | None = Field(default=None, description="only with formation joint")
    parent_id: uuid.UUID | None = Field(default=None, description="territorial parent")
    industry_committee_id: uuid.UUID | None = Field(
        default=None, description="industry line: an industry party committee (条块结合)"
    )
    region_id: uuid.UUID


class OrganizationCreate(OrganizationBase):
    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID | None = Field(
        default=None, description="optional client-chosen id, for idempotent loading"
    )
    founded_on: date | None = Field(default=None, description="defaults to today")


class OrganizationPublic(OrganizationBase):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    is_functional_branch: bool = Field(description="a branch formed by dispatch (功能型党支部)")
    status: OrganizationStatus
    founded_on: date
    depth: int
    created_at: datetime
    updated_at: datetime
